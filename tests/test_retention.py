"""Retention on the in-process system: expired objects are marked, wait out the grace period and are destroyed
with a receipt each (a recording's data key with its file); a legal hold always beats the policy, even one placed
during the grace period; nothing outside the expired set is touched; a dry run changes nothing; a stopped run
resumes without a second receipt."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from contactcenter.attachments.models import TicketAttachment
from contactcenter.audit.models import AuditEvent
from contactcenter.chats.models import ChatMessage, ChatSession
from contactcenter.context import Services
from contactcenter.retention import holds, receipts, service
from contactcenter.retention.builtin import REMOVED_SUBJECT
from contactcenter.retention.models import DeletionReceipt, RetentionLeftover, RetentionMark
from contactcenter.retention.receipts import verify
from contactcenter.satisfaction.models import Survey
from contactcenter.tickets.models import Ticket, TicketNote
from contactcenter.timeutil import utcnow
from contactcenter.voicemails.models import Voicemail
from recordings.crypto import RecordingCryptoError
from recordings.models import Recording, RecordingStatus
from recordings.peaks import peaks_path
from recordings.storage import master_keys, read_audio
from tests.conftest import System
from tests.desk import services_of
from tests.retention_world import (
    a_call,
    a_chat,
    a_closed_ticket,
    a_recording,
    a_voicemail,
    agent_id,
    an_audit_entry,
    days_ago,
)

GRACE = timedelta(days=8)  # past RETENTION_GRACE_DAYS (7)


def run(services: Services, *, at: datetime | None = None, dry_run: bool = False) -> service.RunReport:
    return service.run(services.db, services.settings, now=at or utcnow(), dry_run=dry_run)


def recording(services: Services, recording_id: int) -> Recording:
    with services.db.reading() as session:
        row = session.get_one(Recording, recording_id)
        session.expunge_all()  # kept as read: the reading session rolls back (which would expire it)
        return row


def mark_of(services: Services, data_class: str, object_id: int) -> RetentionMark | None:
    with services.db.reading() as session:
        mark = session.scalar(
            select(RetentionMark).where(RetentionMark.data_class == data_class, RetentionMark.object_id == object_id)
        )
        session.expunge_all()
        return mark


def receipt_of(services: Services, object_type: str, object_id: int) -> list[DeletionReceipt]:
    with services.db.reading() as session:
        found = list(
            session.scalars(
                select(DeletionReceipt).where(
                    DeletionReceipt.object_type == object_type, DeletionReceipt.object_id == object_id
                )
            )
        )
        session.expunge_all()
        return found


def place(
    services: Services,
    scope: str,
    subject_id: int | None,
    *,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
) -> int:
    with services.db.session() as session:
        hold = holds.place(
            session,
            case_number="(2026)沪01民初123号",
            reason="诉讼保全 litigation",
            scope=scope,
            subject_id=subject_id,
            date_from=date_from,
            date_to=date_to,
            by=agent_id(services, "manager"),
        )
        return hold.id


def release(services: Services, hold_id: int) -> None:
    with services.db.session() as session:
        holds.release(session, hold_id=hold_id, reason="结案 case closed", by=agent_id(services, "manager"))


def test_an_expired_recording_waits_out_its_grace_then_goes_with_its_data_key(system: System, tmp_path: Path) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139101", at=days_ago(400), agent=agent_id(services))
    recording_id, audio = a_recording(services, call, at=days_ago(400))
    path = Path(recording(services, recording_id).path or "")
    now = utcnow()

    report = run(services, at=now)
    mark = mark_of(services, "recordings", recording_id)
    assert mark is not None and mark.state == "marked" and report.classes["recordings"].marked >= 1
    assert mark.due_at == now + timedelta(days=7) and mark.customer_id == call.customer_id
    assert read_audio(recording(services, recording_id), master_keys(services.settings)) == audio  # still whole

    run(services, at=now + timedelta(days=6))  # within the grace period: nothing goes
    assert recording(services, recording_id).status == RecordingStatus.STORED and path.exists()

    copy = tmp_path / "backup.enc"
    shutil.copy(path, copy)  # a copy left somewhere (a backup) before the destruction
    sealed_row = recording(services, recording_id)
    run(services, at=now + GRACE)
    gone = recording(services, recording_id)
    assert gone.status == RecordingStatus.DESTROYED and not path.exists()
    assert (gone.wrapped_key, gone.key_id, gone.path) == (None, None, None)
    with pytest.raises(RecordingCryptoError):
        read_audio(gone, master_keys(services.settings))
    assert audio[:4096] not in copy.read_bytes()  # the copy is ciphertext whose data key no longer exists anywhere
    [receipt] = receipt_of(services, "recording", recording_id)
    assert (receipt.checksum, receipt.size_bytes) == (sealed_row.sha256, len(audio))
    assert receipt.policy == "recordings 365 d" and receipt.key_id.startswith(f"{sealed_row.key_id}:")
    assert (mark_of(services, "recordings", recording_id) or mark).receipt_seq == receipt.seq
    with services.db.reading() as session:
        kinds = session.scalars(
            select(AuditEvent.kind).where(
                AuditEvent.subject_type == "recording", AuditEvent.subject_id == str(recording_id)
            )
        ).all()
    assert {"retention_marked", "retention_destroyed"} <= set(kinds)


def test_a_hold_beats_the_policy_and_its_release_lets_the_object_expire_again(system: System) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139102", at=days_ago(500))
    recording_id, _ = a_recording(services, call, at=days_ago(500))
    hold_id = place(services, "customer", call.customer_id)
    now = utcnow()
    report = run(services, at=now)
    assert mark_of(services, "recordings", recording_id) is None and report.classes["recordings"].held >= 1
    run(services, at=now + GRACE * 10)  # however long: held
    assert recording(services, recording_id).status == RecordingStatus.STORED

    release(services, hold_id)
    later = now + GRACE * 10
    run(services, at=later)
    mark = mark_of(services, "recordings", recording_id)
    assert mark is not None and mark.due_at == later + timedelta(days=7)  # a whole grace period from the release
    run(services, at=later + GRACE)
    assert recording(services, recording_id).status == RecordingStatus.DESTROYED


def test_a_hold_placed_during_the_grace_period_saves_the_object(system: System) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139103", at=days_ago(400))
    recording_id, audio = a_recording(services, call, at=days_ago(400))
    now = utcnow()
    run(services, at=now)
    assert mark_of(services, "recordings", recording_id) is not None
    hold_id = place(services, "ticket", call.ticket_id)
    report = run(services, at=now + GRACE)
    assert report.classes["recordings"].saved >= 1 and mark_of(services, "recordings", recording_id) is None
    assert read_audio(recording(services, recording_id), master_keys(services.settings)) == audio
    assert receipt_of(services, "recording", recording_id) == []
    with services.db.reading() as session:
        saved = session.scalar(
            select(AuditEvent.data).where(
                AuditEvent.subject_type == "recording",
                AuditEvent.subject_id == str(recording_id),
                AuditEvent.kind == "retention_saved_by_hold",
            )
        )
    assert saved is not None and saved["holds"] == [hold_id]


def test_agent_and_date_range_holds_cover_what_they_name_only(system: System) -> None:
    services = services_of(system)
    agent2 = agent_id(services, "agent2")
    by_agent = a_call(services, phone="+8613900139104", at=days_ago(420), agent=agent2)
    in_range = a_call(services, phone="+8613900139105", at=days_ago(600))
    outside = a_call(services, phone="+8613900139106", at=days_ago(420))
    ids = {
        name: a_recording(services, call, at=days_ago(d))[0]
        for name, call, d in (("agent", by_agent, 420), ("range", in_range, 600), ("outside", outside, 420))
    }
    place(services, "agent", agent2)
    place(services, "dates", None, date_from=days_ago(610), date_to=days_ago(590))
    run(services)
    assert mark_of(services, "recordings", ids["agent"]) is None
    assert mark_of(services, "recordings", ids["range"]) is None
    assert mark_of(services, "recordings", ids["outside"]) is not None


def test_nothing_outside_the_expired_set_is_touched(system: System) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139107", at=days_ago(400))
    old_id, _ = a_recording(services, call, at=days_ago(400))
    fresh_call = a_call(services, phone="+8613900139107", at=days_ago(30))  # the same customer, this month
    fresh_id, fresh_audio = a_recording(services, fresh_call, at=days_ago(30))
    before = recording(services, fresh_id)
    fresh_file = Path(before.path or "").read_bytes()
    with services.db.reading() as session:
        ticket_before = session.execute(
            select(Ticket.subject, Ticket.description).where(Ticket.id == call.ticket_id)
        ).one()
        notes_before = session.scalar(select(func.count()).where(TicketNote.ticket_id == call.ticket_id))
    now = utcnow()
    run(services, at=now)
    run(services, at=now + GRACE)
    assert recording(services, old_id).status == RecordingStatus.DESTROYED
    after = recording(services, fresh_id)
    assert (after.status, after.path, after.key_id, after.wrapped_key, after.sha256) == (
        before.status,
        before.path,
        before.key_id,
        before.wrapped_key,
        before.sha256,
    )
    assert Path(after.path or "").read_bytes() == fresh_file
    assert read_audio(after, master_keys(services.settings)) == fresh_audio
    assert mark_of(services, "recordings", fresh_id) is None and receipt_of(services, "recording", fresh_id) == []
    with services.db.reading() as session:  # the old call's ticket is open: not a ticket to destroy
        ticket = session.get_one(Ticket, call.ticket_id)
        assert (ticket.subject, ticket.description) == (ticket_before.subject, ticket_before.description)
        assert session.scalar(select(func.count()).where(TicketNote.ticket_id == call.ticket_id)) == notes_before


def test_a_closed_ticket_is_anonymised_its_attachment_destroyed_and_its_row_kept(system: System) -> None:
    services = services_of(system)
    ticket_id, attachment_id, file = a_closed_ticket(
        services, phone="+8613900139108", at=days_ago(1200), words="上海市长宁区某路88号"
    )
    other_id, other_attachment, other_file = a_closed_ticket(
        services, phone="+8613900139108", at=days_ago(100), words="保留 kept"
    )
    with services.db.session() as session:
        session.add(
            Survey(ticket_id=ticket_id, source="ivr", satisfaction=2, comment="太慢了 王先生", recorded_by="ivr")
        )
    now = utcnow()
    run(services, at=now)
    run(services, at=now + GRACE)
    with services.db.reading() as session:
        ticket = session.get_one(Ticket, ticket_id)
        assert ticket.subject == REMOVED_SUBJECT and ticket.status == "closed"
        assert (ticket.description, ticket.serial_number, ticket.search_tokens) == (None, None, "")
        assert session.scalar(select(func.count()).where(TicketNote.ticket_id == ticket_id)) == 0
        assert session.get(TicketAttachment, attachment_id) is None
        assert session.scalar(select(Survey.comment).where(Survey.ticket_id == ticket_id)) is None
        assert session.get_one(Ticket, other_id).description == "故障 保留 kept"
        assert session.get(TicketAttachment, other_attachment) is not None
    assert not file.exists() and other_file.exists()
    [ticket_receipt] = receipt_of(services, "ticket", ticket_id)
    [attachment_receipt] = receipt_of(services, "attachment", attachment_id)
    assert attachment_receipt.seq == ticket_receipt.seq + 1 and attachment_receipt.key_id
    found = system.login("manager").get("/api/desk", params={"q": "长宁区"}).json()
    assert ticket_id not in [t["id"] for t in found.get("tickets", [])]


def test_a_chat_transcript_goes_with_its_messages_and_the_transcript_on_its_ticket(system: System) -> None:
    services = services_of(system)
    old = a_chat(services, phone="+8613900139109", at=days_ago(380), words="我的身份证号码")
    kept = a_chat(services, phone="+8613900139109", at=days_ago(5), words="最近的")
    now = utcnow()
    run(services, at=now)
    run(services, at=now + GRACE)
    with services.db.reading() as session:
        assert session.scalar(select(func.count()).where(ChatMessage.contact_id == old.contact_id)) == 0
        chat = session.scalar(select(ChatSession).where(ChatSession.contact_id == old.contact_id))
        assert chat is not None and (chat.name, chat.phone) == ("", None)
        assert (
            session.scalar(
                select(func.count()).where(TicketNote.contact_id == old.contact_id, TicketNote.kind == "transcript")
            )
            == 0
        )
        assert session.scalar(select(func.count()).where(ChatMessage.contact_id == kept.contact_id)) == 2
    [receipt] = receipt_of(services, "transcript", old.contact_id)
    assert receipt.size_bytes > 0 and len(receipt.checksum) == 64


def test_a_voicemail_goes_with_its_audio_and_the_callers_number(system: System) -> None:
    services = services_of(system)
    voicemail_id, recording_id, _ = a_voicemail(services, phone="+8613900139110", at=days_ago(370))
    now = utcnow()
    run(services, at=now)
    assert mark_of(services, "recordings", recording_id) is None  # a voicemail's audio is the voicemail's class
    run(services, at=now + GRACE)
    with services.db.reading() as session:
        assert session.get_one(Voicemail, voicemail_id).phone == ""
    gone = recording(services, recording_id)
    assert gone.status == RecordingStatus.DESTROYED and gone.wrapped_key is None
    [receipt] = receipt_of(services, "voicemail", voicemail_id)
    assert receipt.checksum == gone.sha256 and receipt.key_id


def test_old_audit_entries_go_unless_a_hold_covers_their_subject(system: System) -> None:
    services = services_of(system)
    old = an_audit_entry(services, at=days_ago(2000), subject_type="ticket", subject_id=987654)
    held = an_audit_entry(services, at=days_ago(2000), subject_type="ticket", subject_id=987655)
    recent = an_audit_entry(services, at=days_ago(1000))
    with services.db.session() as session:
        session.add(Ticket(id=987655, subject="held", status="closed"))
    place(services, "ticket", 987655)
    now = utcnow()
    run(services, at=now)
    run(services, at=now + GRACE)
    with services.db.reading() as session:
        assert session.get(AuditEvent, old) is None
        assert session.get(AuditEvent, held) is not None and session.get(AuditEvent, recent) is not None
    assert len(receipt_of(services, "audit_event", old)) == 1


def test_a_dry_run_reports_what_would_go_and_changes_nothing(system: System) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139111", at=days_ago(400))
    recording_id, _ = a_recording(services, call, at=days_ago(400))
    with services.db.reading() as session:
        marks = session.scalar(select(func.count()).select_from(RetentionMark))
        receipt_count = session.scalar(select(func.count()).select_from(DeletionReceipt))
    report = run(services, dry_run=True)
    assert report.dry_run and report.classes["recordings"].marked >= 1
    assert mark_of(services, "recordings", recording_id) is None
    run(services)
    report = run(services, at=utcnow() + GRACE, dry_run=True)
    assert report.classes["recordings"].destroyed >= 1
    assert recording(services, recording_id).status == RecordingStatus.STORED
    with services.db.reading() as session:
        assert (session.scalar(select(func.count()).select_from(RetentionMark)) or 0) > (marks or 0)
        assert session.scalar(select(func.count()).select_from(DeletionReceipt)) == receipt_count


def test_a_run_stopped_after_the_commit_removes_the_files_next_time_without_a_second_receipt(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139112", at=days_ago(400))
    recording_id, _ = a_recording(services, call, at=days_ago(400))
    path = Path(recording(services, recording_id).path or "")
    now = utcnow()
    run(services, at=now)

    def killed(db: object, files: list[str]) -> int:
        if files:
            raise KeyboardInterrupt  # the process stopped between the commit and the unlink
        return 0

    monkeypatch.setattr(service, "unlink", killed)
    with pytest.raises(KeyboardInterrupt):
        run(services, at=now + GRACE)
    monkeypatch.undo()
    assert path.exists() and recording(services, recording_id).wrapped_key is None  # key gone, file left
    with services.db.reading() as session:
        assert str(path) in session.scalars(select(RetentionLeftover.path)).all()
    report = run(services, at=now + GRACE)
    assert report.files_removed >= 1 and not path.exists()
    assert len(receipt_of(services, "recording", recording_id)) == 1
    with services.db.reading() as session:
        assert verify(session).broken is None


def test_a_run_stopped_inside_a_batch_leaves_it_whole_for_the_next(
    system: System, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139113", at=days_ago(400))
    recording_id, _ = a_recording(services, call, at=days_ago(400))
    now = utcnow()
    run(services, at=now)
    real = receipts.append

    def failing(*args: object, **kwargs: object) -> list[int]:
        real(*args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("the database went away")

    monkeypatch.setattr(receipts, "append", failing)
    with pytest.raises(RuntimeError):
        run(services, at=now + GRACE)
    monkeypatch.undo()
    assert recording(services, recording_id).status == RecordingStatus.STORED  # rolled back with its receipt
    assert receipt_of(services, "recording", recording_id) == []
    run(services, at=now + GRACE)
    assert len(receipt_of(services, "recording", recording_id)) == 1


def test_a_destroyed_recordings_waveform_kept_beside_it_goes_with_it(system: System) -> None:
    services = services_of(system)
    call = a_call(services, phone="+8613900139109", at=days_ago(400), agent=agent_id(services))
    recording_id, _ = a_recording(services, call, at=days_ago(400))
    waveform = peaks_path(Path(recording(services, recording_id).path or ""))
    waveform.write_bytes(b"sealed peaks")  # as the QA player's first look leaves it (recordings/peaks.py)
    now = utcnow()
    run(services, at=now)
    run(services, at=now + GRACE)
    assert recording(services, recording_id).status == RecordingStatus.DESTROYED and not waveform.exists()
