"""The hotline's own data classes: recordings, voicemails, chat transcripts, tickets and the audit trail.

What each destroy removes and what it keeps (docs/retention.md):
- a recording: its file (and its waveform's, recordings/peaks.py) is unlinked and its data key (`wrapped_key`,
  `key_id`) cleared, so a copy of the file left anywhere (a backup) no longer opens; the row stays, `destroyed`,
  with its checksum and size.
- a voicemail: its audio, as a recording's; the caller's number on it is cleared.
- a chat transcript: its messages and identity codes are deleted, the name and number the customer gave
  cleared, and the transcript filed on its ticket deleted.
- a ticket (closed or merged, and quiet since): anonymised, not deleted, since contacts, recordings, callbacks
  and surveys point at it by foreign key and its figures (category, status, times, outcome, satisfaction)
  count in reports; its subject is replaced, its description, solution, product and serial number cleared,
  its notes and notifications deleted, its attachments destroyed (file and data key) and deleted, survey
  comments and callback notes cleared.
- an audit entry: deleted (the trail of changes; the access log of reads is append-only and kept).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Integer, case, cast, delete, exists, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from contactcenter.attachments.models import TicketAttachment
from contactcenter.audit.models import AuditEvent
from contactcenter.callbacks.models import Callback
from contactcenter.chats.models import ChatMessage, ChatSession, IdentityCode
from contactcenter.contacts.models import Contact
from contactcenter.retention.models import RetentionMark
from contactcenter.retention.registry import Candidate, DataClass, Destroyed, register
from contactcenter.satisfaction.models import Survey
from contactcenter.tickets.lifecycle import State
from contactcenter.tickets.models import Notification, Ticket, TicketNote
from contactcenter.timeutil import as_utc
from contactcenter.voicemails.models import Voicemail, VoicemailStatus
from recordings.models import Recording, RecordingStatus
from recordings.peaks import peaks_path

REMOVED_SUBJECT = "已按保留策略删除 Removed under the retention policy"
TICKET_FIELDS = ("subject", "description", "solution", "product_model", "serial_number", "purchase_date")


def unmarked(data_class: str, object_id: Any) -> ColumnElement[bool]:
    """No mark of this class for the object yet (marked, or destroyed and its mark kept)."""
    return ~exists().where(RetentionMark.data_class == data_class, RetentionMark.object_id == object_id)


def key_ref(key_id: str | None, wrapped_key: str | None) -> str:
    """Which data key went: its master key's id and a fingerprint of the wrapped key (reveals nothing of it)."""
    if not wrapped_key:
        return ""
    return f"{key_id or ''}:{hashlib.sha256(wrapped_key.encode()).hexdigest()[:16]}"


def digest(content: Any) -> tuple[str, int]:
    """SHA-256 and size of content as canonical JSON (what a receipt records of rows)."""
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(data).hexdigest(), len(data)


def _when(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


# ---- recordings ------------------------------------------------------------------------------------------


def _voicemail_of(recording_contact: Any) -> ColumnElement[bool]:
    return exists().where(Voicemail.contact_id == recording_contact)


def recording_candidates(session: Session, *, before: datetime, after_id: int, limit: int) -> list[Candidate]:
    """Stored call recordings (not voicemails: their own class) made before `before`."""
    rows = session.execute(
        select(Recording.id, Recording.created_at, Contact.customer_id, Recording.ticket_id, Contact.agent_id)
        .outerjoin(Contact, Contact.id == Recording.contact_id)
        .where(
            Recording.status == RecordingStatus.STORED,
            Recording.created_at < before,
            Recording.id > after_id,
            ~_voicemail_of(Recording.contact_id),
            unmarked("recordings", Recording.id),
        )
        .order_by(Recording.id)
        .limit(limit)
    ).all()
    return [Candidate(*row) for row in rows]


def _destroy_recording_rows(session: Session, ids: Sequence[int], object_type: str = "recording") -> list[Destroyed]:
    """Clear these stored recordings' data keys and paths (status destroyed); their files go after the commit."""
    rows = session.execute(
        select(Recording.id, Recording.path, Recording.sha256, Recording.size_bytes, Recording.key_id)
        .add_columns(Recording.wrapped_key)
        .where(Recording.id.in_(ids), Recording.status == RecordingStatus.STORED)
        .order_by(Recording.id)
    ).all()
    if rows:
        session.execute(
            update(Recording)
            .where(Recording.id.in_([r.id for r in rows]))
            .values(status=RecordingStatus.DESTROYED, path=None, key_id=None, wrapped_key=None)
            .execution_options(synchronize_session=False)
        )
    return [
        Destroyed(
            object_type,
            r.id,
            r.sha256 or "",
            r.size_bytes or 0,
            key_ref(r.key_id, r.wrapped_key),
            (r.path, str(peaks_path(Path(r.path)))) if r.path else (),  # its waveform, kept beside it, goes too
        )
        for r in rows
    ]


def destroy_recordings(session: Session, *, ids: Sequence[int]) -> list[Destroyed]:
    """Destroy stored recordings: file and data key."""
    return _destroy_recording_rows(session, ids)


# ---- voicemails ------------------------------------------------------------------------------------------


def voicemail_candidates(session: Session, *, before: datetime, after_id: int, limit: int) -> list[Candidate]:
    """Voicemails left before `before` (not one being recorded)."""
    rows = session.execute(
        select(Voicemail.id, Voicemail.created_at, Voicemail.customer_id, Voicemail.ticket_id, Voicemail.taken_by)
        .where(
            Voicemail.status != VoicemailStatus.RECORDING,
            Voicemail.created_at < before,
            Voicemail.id > after_id,
            unmarked("voicemails", Voicemail.id),
        )
        .order_by(Voicemail.id)
        .limit(limit)
    ).all()
    return [Candidate(*row) for row in rows]


def destroy_voicemails(session: Session, *, ids: Sequence[int]) -> list[Destroyed]:
    """Destroy voicemails: the audio (file and data key) and the caller's number on them."""
    voicemails = session.execute(select(Voicemail.id, Voicemail.contact_id).where(Voicemail.id.in_(ids))).all()
    audio = session.execute(
        select(Recording.contact_id, Recording.id).where(
            Recording.contact_id.in_([v.contact_id for v in voicemails]), Recording.status == RecordingStatus.STORED
        )
    ).all()
    recordings_of: dict[int | None, list[int]] = {}
    for contact_id, recording_id in audio:
        recordings_of.setdefault(contact_id, []).append(recording_id)
    out: list[Destroyed] = []
    for voicemail in voicemails:
        gone = _destroy_recording_rows(session, recordings_of.get(voicemail.contact_id, []))
        first = gone[0] if gone else Destroyed("recording", 0, "", 0)
        # A second recording of the same message, if Twilio ever sent one, is a part with its own receipt.
        out.append(
            Destroyed("voicemail", voicemail.id, first.checksum, first.size, first.key_id, first.files, tuple(gone[1:]))
        )
    if voicemails:
        session.execute(
            update(Voicemail)
            .where(Voicemail.id.in_([v.id for v in voicemails]))
            .values(phone="", recording_sid=None)
            .execution_options(synchronize_session=False)
        )
    return out


# ---- chat transcripts ------------------------------------------------------------------------------------


def chat_candidates(session: Session, *, before: datetime, after_id: int, limit: int) -> list[Candidate]:
    """Chats (by their contact's id) that ended, or began if never ended, before `before`."""
    at = func.coalesce(ChatSession.ended_at, ChatSession.created_at)
    rows = session.execute(
        select(ChatSession.contact_id, at, Contact.customer_id, Contact.ticket_id, Contact.agent_id)
        .join(Contact, Contact.id == ChatSession.contact_id)
        .where(at < before, ChatSession.contact_id > after_id, unmarked("chat_transcripts", ChatSession.contact_id))
        .order_by(ChatSession.contact_id)
        .limit(limit)
    ).all()
    return [Candidate(row[0], as_utc(row[1]), *row[2:]) for row in rows]


def destroy_chats(session: Session, *, ids: Sequence[int]) -> list[Destroyed]:
    """Destroy chat transcripts: messages, identity codes, the transcript on the ticket, the name and number."""
    chats = session.scalars(select(ChatSession).where(ChatSession.contact_id.in_(ids)).order_by(ChatSession.contact_id))
    messages: dict[int, list[list[Any]]] = {}
    for m in session.execute(
        select(ChatMessage.contact_id, ChatMessage.sender, ChatMessage.author_id, ChatMessage.body)
        .add_columns(ChatMessage.created_at)
        .where(ChatMessage.contact_id.in_(ids))
        .order_by(ChatMessage.id)
    ):
        messages.setdefault(m.contact_id, []).append([m.sender, m.author_id, m.body, _when(m.created_at)])
    notes: dict[int | None, list[str]] = {}
    for contact_id, body in session.execute(
        select(TicketNote.contact_id, TicketNote.body).where(
            TicketNote.contact_id.in_(ids), TicketNote.kind == "transcript"
        )
    ):
        notes.setdefault(contact_id, []).append(body)
    out = []
    for chat in chats:
        content = [chat.name, chat.phone, messages.get(chat.contact_id, []), notes.get(chat.contact_id, [])]
        checksum, size = digest(content)
        out.append(Destroyed("transcript", chat.contact_id, checksum, size))
        chat.name, chat.phone = "", None
    session.execute(delete(ChatMessage).where(ChatMessage.contact_id.in_(ids)))
    session.execute(delete(IdentityCode).where(IdentityCode.contact_id.in_(ids)))
    session.execute(delete(TicketNote).where(TicketNote.contact_id.in_(ids), TicketNote.kind == "transcript"))
    return out


# ---- tickets ---------------------------------------------------------------------------------------------


def ticket_candidates(session: Session, *, before: datetime, after_id: int, limit: int) -> list[Candidate]:
    """Closed or merged tickets with no change since before `before`."""
    rows = session.execute(
        select(Ticket.id, Ticket.updated_at, Ticket.customer_id, Ticket.id, Ticket.assignee_id)
        .where(
            Ticket.status.in_([State.CLOSED, State.MERGED]),
            Ticket.updated_at < before,
            Ticket.id > after_id,
            unmarked("tickets", Ticket.id),
        )
        .order_by(Ticket.id)
        .limit(limit)
    ).all()
    return [Candidate(*row) for row in rows]


def destroy_tickets(session: Session, *, ids: Sequence[int]) -> list[Destroyed]:
    """Anonymise tickets: personal content removed, the row and its figures kept (foreign keys point at it)."""
    notes: dict[int, list[list[Any]]] = {}
    for n in session.execute(
        select(TicketNote.ticket_id, TicketNote.kind, TicketNote.body).where(TicketNote.ticket_id.in_(ids))
    ):
        notes.setdefault(n.ticket_id, []).append([n.kind, n.body])
    attachments = session.scalars(
        select(TicketAttachment).where(TicketAttachment.ticket_id.in_(ids)).order_by(TicketAttachment.id)
    ).all()
    parts: dict[int, list[Destroyed]] = {}
    for a in attachments:
        sealed = Destroyed("attachment", a.id, a.sha256, a.size_bytes, key_ref(a.key_id, a.wrapped_key), (a.path,))
        parts.setdefault(a.ticket_id, []).append(sealed)
    out: list[Destroyed] = []
    for ticket in session.scalars(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)):
        fields = [[name, str(getattr(ticket, name) or "")] for name in TICKET_FIELDS]
        checksum, size = digest([fields, notes.get(ticket.id, [])])
        out.append(Destroyed("ticket", ticket.id, checksum, size, parts=tuple(parts.get(ticket.id, []))))
        ticket.subject = REMOVED_SUBJECT
        for name in TICKET_FIELDS[1:]:
            setattr(ticket, name, None)
        ticket.search_tokens = ""
    session.execute(delete(TicketAttachment).where(TicketAttachment.ticket_id.in_(ids)))
    session.execute(delete(TicketNote).where(TicketNote.ticket_id.in_(ids)))
    session.execute(delete(Notification).where(Notification.ticket_id.in_(ids)))
    session.execute(update(Survey).where(Survey.ticket_id.in_(ids)).values(comment=None))
    session.execute(update(Callback).where(Callback.ticket_id.in_(ids)).values(note=None))
    return out


# ---- the audit trail -------------------------------------------------------------------------------------


def _subject_id(*kinds: str) -> ColumnElement[Any]:
    """The audit entry's subject id as a number when its subject is of these kinds (None otherwise)."""
    return case((AuditEvent.subject_type.in_(kinds), cast(AuditEvent.subject_id, Integer)), else_=None)


def audit_candidates(session: Session, *, before: datetime, after_id: int, limit: int) -> list[Candidate]:
    """Audit entries made before `before`; matched to holds by their subject (a customer, a ticket, an agent)."""
    rows = session.execute(
        select(
            AuditEvent.id,
            AuditEvent.occurred_at,
            _subject_id("customer"),
            _subject_id("ticket"),
            _subject_id("agent", "user"),
        )
        .where(AuditEvent.occurred_at < before, AuditEvent.id > after_id, unmarked("audit", AuditEvent.id))
        .order_by(AuditEvent.id)
        .limit(limit)
    ).all()
    return [Candidate(*row) for row in rows]


def destroy_audit(session: Session, *, ids: Sequence[int]) -> list[Destroyed]:
    """Delete audit entries; each receipt holds the checksum of the entry's content."""
    out = []
    for e in session.scalars(select(AuditEvent).where(AuditEvent.id.in_(ids)).order_by(AuditEvent.id)):
        content = [e.id, _when(e.occurred_at), e.actor, e.subject_type, e.subject_id, e.kind, e.data]
        checksum, size = digest(content)
        out.append(Destroyed("audit_event", e.id, checksum, size))
    session.execute(delete(AuditEvent).where(AuditEvent.id.in_(ids)))
    return out


BUILTIN = (
    DataClass(
        "recordings",
        ("通话录音", "Call recordings"),
        "recording",
        "retention_recordings_days",
        recording_candidates,
        destroy_recordings,
        order=10,
    ),
    DataClass(
        "voicemails",
        ("语音留言", "Voicemails"),
        "voicemail",
        "retention_voicemails_days",
        voicemail_candidates,
        destroy_voicemails,
        order=20,
    ),
    DataClass(
        "chat_transcripts",
        ("聊天记录", "Chat transcripts"),
        "transcript",
        "retention_chat_transcripts_days",
        chat_candidates,
        destroy_chats,
        order=30,
    ),
    DataClass(
        "tickets", ("工单", "Tickets"), "ticket", "retention_tickets_days", ticket_candidates, destroy_tickets, order=50
    ),
    DataClass(
        "audit",
        ("审计记录", "Audit trail"),
        "audit_event",
        "retention_audit_days",
        audit_candidates,
        destroy_audit,
        audit_each=False,
        order=90,
    ),
)
for data_class in BUILTIN:
    register(data_class)
