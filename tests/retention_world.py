"""Objects of every retained class made straight in SQL for the retention tests, backdated as asked: a
customer's call with its sealed recording, a voicemail, a chat with its transcript, a closed ticket with a
note and a sealed attachment, an audit entry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from contactcenter.attachments.models import TicketAttachment
from contactcenter.attachments.service import ATTACHMENT_LABEL
from contactcenter.audit.models import AuditEvent
from contactcenter.chats.models import ChatMessage, ChatSession
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.tickets.models import Ticket, TicketNote
from contactcenter.tickets.search import reindex
from contactcenter.timeutil import utcnow
from contactcenter.users.models import User
from contactcenter.voicemails.models import Voicemail, VoicemailStatus
from recordings.models import Recording, RecordingStatus
from recordings.service import storage_path
from recordings.storage import master_keys, seal, store_encrypted
from tests.desk import make_ticket


def days_ago(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


def agent_id(services: Services, username: str = "agent1") -> int:
    with services.db.reading() as session:
        return int(session.scalar(select(User.id).where(User.username == username)) or 0)


@dataclass(frozen=True)
class Call:
    customer_id: int
    ticket_id: int
    contact_id: int


def a_call(services: Services, *, phone: str, at: datetime, agent: int | None = None, channel: str = "voice") -> Call:
    """A customer's ticket and one contact on it (answered by `agent`), both of time `at`."""
    ticket_id = make_ticket(services, category="repair", phone=phone, opened_at=at)
    with services.db.session() as session:
        ticket = session.get_one(Ticket, ticket_id)
        ticket.updated_at = at
        contact = Contact(
            channel=channel,
            provider_id=f"CA{secrets.token_hex(16)}",
            from_number=phone,
            to_number="+862100000000",
            status="ended",
            customer_id=ticket.customer_id,
            ticket_id=ticket_id,
            agent_id=agent,
            created_at=at,
            ended_at=at,
        )
        session.add(contact)
        session.flush()
        return Call(int(ticket.customer_id or 0), ticket_id, contact.id)


def a_recording(services: Services, call: Call, *, at: datetime, audio: bytes | None = None) -> tuple[int, bytes]:
    """A stored recording of the call, sealed on disk as the download job stores it; (id, audio)."""
    audio = audio or secrets.token_bytes(70_000)
    with services.db.session() as session:
        recording = Recording(
            provider_sid=f"RE{secrets.token_hex(16)}",
            call_sid=f"CA{secrets.token_hex(16)}",
            contact_id=call.contact_id,
            ticket_id=call.ticket_id,
            status=RecordingStatus.STORED,
            created_at=at,
            stored_at=at,
        )
        session.add(recording)
        session.flush()
        root = services.settings.recordings_path
        store_encrypted(
            recording, audio, target=storage_path(services, recording), keys=master_keys(services.settings), root=root
        )
        return recording.id, audio


def a_voicemail(services: Services, *, phone: str, at: datetime) -> tuple[int, int, bytes]:
    """A voicemail left at `at`, its audio stored as a recording of its contact; (voicemail, recording, audio)."""
    call = a_call(services, phone=phone, at=at)
    recording_id, audio = a_recording(services, call, at=at)
    with services.db.session() as session:
        voicemail = Voicemail(
            contact_id=call.contact_id,
            ticket_id=call.ticket_id,
            customer_id=call.customer_id,
            queue="general",
            phone=phone,
            status=VoicemailStatus.NEW,
            recording_sid="RE" + "1" * 32,
            created_at=at,
            updated_at=at,
        )
        session.add(voicemail)
        session.flush()
        return voicemail.id, recording_id, audio


def a_chat(services: Services, *, phone: str, at: datetime, words: str) -> Call:
    """An ended chat of `at` with two messages and its transcript filed on its ticket."""
    call = a_call(services, phone=phone, at=at, channel="chat", agent=agent_id(services))
    with services.db.session() as session:
        session.add(
            ChatSession(
                contact_id=call.contact_id,
                token_hash=secrets.token_hex(32),
                name="赵女士",
                phone=phone,
                topic="repair",
                created_at=at,
                ended_at=at,
            )
        )
        session.add(ChatMessage(contact_id=call.contact_id, sender="customer", body=words, created_at=at))
        session.add(ChatMessage(contact_id=call.contact_id, sender="agent", body="好的", created_at=at))
        session.add(
            TicketNote(
                ticket_id=call.ticket_id, contact_id=call.contact_id, kind="transcript", body=f"聊天记录 {words}"
            )
        )
    return call


def a_closed_ticket(services: Services, *, phone: str, at: datetime, words: str) -> tuple[int, int, Path]:
    """A ticket closed at `at` with a note and a sealed attachment; (ticket, attachment, its file)."""
    ticket_id = make_ticket(
        services, category="repair", phone=phone, opened_at=at, description=f"故障 {words}", serial_number="SN-12345"
    )
    root = services.settings.attachments_path
    with services.db.session() as session:
        session.add(TicketNote(ticket_id=ticket_id, kind="note", body=f"客户地址 {words}", created_at=at))
        attachment = TicketAttachment(
            ticket_id=ticket_id,
            file_name="发票.png",
            content_type="image/png",
            size_bytes=0,
            sha256="",
            path="",
            key_id="",
            wrapped_key="",
            uploaded_at=at,
        )
        session.add(attachment)
        session.flush()
        target = root / f"{attachment.id}-{secrets.token_hex(4)}.enc"
        data = b"\x89PNG" + secrets.token_bytes(1000)
        sealed = seal(
            data,
            object_id=attachment.id,
            target=target,
            keys=master_keys(services.settings),
            root=root,
            label=ATTACHMENT_LABEL,
        )
        attachment.path, attachment.key_id, attachment.wrapped_key = str(target), sealed.key_id, sealed.wrapped_key
        attachment.sha256, attachment.size_bytes = hashlib.sha256(data).hexdigest(), len(data)
        ticket = session.get_one(Ticket, ticket_id)
        ticket.status, ticket.closed_at, ticket.updated_at = "closed", at, at
        session.flush()
        reindex(session, ticket_id=ticket_id)
        return ticket_id, attachment.id, target


def an_audit_entry(services: Services, *, at: datetime, subject_type: str = "ticket", subject_id: int = 1) -> int:
    with services.db.session() as session:
        event = AuditEvent(
            actor="test",
            subject_type=subject_type,
            subject_id=str(subject_id),
            kind="tested",
            data={"why": "retention test"},
            occurred_at=at,
        )
        session.add(event)
        session.flush()
        return event.id
