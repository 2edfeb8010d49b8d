"""Recordings: registered when Twilio reports them, fetched by a job, stored encrypted with a checksum."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

from rq.job import Job
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.callbacks.models import Callback
from contactcenter.contacts.lifecycle import UnknownCall
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.outbox import service as outbox
from contactcenter.outbox.models import OutboxJob
from contactcenter.timeutil import utcnow
from recordings.models import Recording, RecordingStatus
from recordings.storage import encrypted_path, master_keys, store_encrypted

FETCH_RETRY_INTERVALS = (1, 2, 4, 8, 16, 32)
FETCH_JOB = "recordings.jobs.fetch_recording"


def _as_int(value: str | None) -> int | None:
    return int(value) if value and value.lstrip("-").isdigit() else None


def _callback_call(session: Session, *, contact_id: int, call_sid: str) -> bool:
    """Whether `call_sid` is the outbound call made for this contact's callback."""
    return (
        session.scalar(select(Callback.id).where(Callback.contact_id == contact_id, Callback.call_sid == call_sid))
        is not None
    )


def recording_reported(
    services: Services,
    *,
    contact_id: int,
    recording_sid: str,
    call_sid: str,
    status: str,
    duration: str | None,
    channels: str | None,
    of_a_room: bool = False,
) -> None:
    """Twilio's recording status callback: note the recording and fetch it once completed. `call_sid` is
    the recorded call's CallSid, or (`of_a_room`) the ConferenceSid of a room the call was carried in."""
    if status not in ("in-progress", "completed", "absent", "failed"):
        raise ValueError(f"unknown RecordingStatus {status!r}")
    if status == "in-progress":
        return
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise UnknownCall(f"no contact {contact_id}")
        # Any room the callback names on the contact's own (signed) URL is the contact's: a caller can be in
        # two, one over while they waited again, and its recording was refused 400 and lost (bench/chaos.py).
        ours = of_a_room or call_sid in (contact.provider_id, contact.conference_sid)
        if not ours and not _callback_call(session, contact_id=contact.id, call_sid=call_sid):
            raise ValueError(f"recording {recording_sid} does not belong to contact {contact_id}")
        if session.scalar(select(Recording).where(Recording.provider_sid == recording_sid)):
            return  # a retried callback
        recording = Recording(
            provider_sid=recording_sid,
            call_sid=call_sid,
            contact_id=contact.id,
            ticket_id=contact.ticket_id,
            duration_seconds=_as_int(duration),
            channels=_as_int(channels),
            status=RecordingStatus.PENDING if status == "completed" else RecordingStatus.FAILED,
            last_error=None if status == "completed" else f"Twilio reported the recording {status}",
        )
        session.add(recording)
        session.flush()
        record_event(
            session,
            actor="twilio",
            subject_type="recording",
            subject_id=recording.id,
            kind=f"reported_{status}",
            recording_sid=recording_sid,
            contact_id=contact.id,
        )
        if status == "completed":
            _fetch_later(session, recording)


def _fetch_later(session: Session, recording: Recording) -> None:
    """The recording's download, in the session's transaction (the outbox hands it to RQ)."""
    outbox.add(
        session,
        job=FETCH_JOB,
        args=[recording.id],
        retry_intervals=FETCH_RETRY_INTERVALS,
        job_id=fetch_job_id(recording.provider_sid),
    )


class LostFetch(NamedTuple):
    recording_id: int
    recording_sid: str
    contact_id: int | None


def fetch_job_id(recording_sid: str) -> str:
    """The RQ job id of a recording's download (one at a time per recording)."""
    return f"fetch-recording-{recording_sid}"


def lost_fetches(services: Services, *, older_than: timedelta) -> list[LostFetch]:
    """Recordings still pending whose download neither the outbox nor RQ holds any more (Redis lost its
    data after the hand-over: the recording stayed pending for ever)."""
    before = utcnow() - older_than
    with services.db.reading() as session:
        pending = [
            LostFetch(*row)
            for row in session.execute(
                select(Recording.id, Recording.provider_sid, Recording.contact_id).where(
                    Recording.status == RecordingStatus.PENDING, Recording.created_at <= before
                )
            )
        ]
        waiting = set(
            session.scalars(select(OutboxJob.job_id).where(OutboxJob.handed_at.is_(None), OutboxJob.job == FETCH_JOB))
        )
    lost = [fetch for fetch in pending if fetch_job_id(fetch.recording_sid) not in waiting]
    with services.redis.pipeline(transaction=False) as pipe:
        for fetch in lost:
            pipe.exists(Job.key_for(fetch_job_id(fetch.recording_sid)))
        held = pipe.execute()
    return [fetch for fetch, in_rq in zip(lost, held, strict=True) if not in_rq]


def fetch_again(services: Services, *, recording_id: int) -> None:
    """Download a pending recording again (its job was lost)."""
    with services.db.session() as session:
        recording = session.get_one(Recording, recording_id)
        if recording.status == RecordingStatus.PENDING:
            _fetch_later(session, recording)


def storage_path(services: Services, recording: Recording) -> Path:
    """Where a recording's (encrypted) file lives: recordings dir / year / month / sid.wav.enc."""
    created = recording.created_at
    month = services.settings.recordings_path / f"{created:%Y}" / f"{created:%m}"
    return encrypted_path(month / f"{recording.provider_sid}.wav")


def fetch_and_store(services: Services, *, recording_id: int) -> Recording:
    """Download the media, write it encrypted and atomically with its SHA-256, attach it. Raises to be retried."""
    with services.db.session() as session:
        recording = session.get_one(Recording, recording_id)
        if recording.status == RecordingStatus.STORED:
            return recording
        recording.attempts += 1
        sid = recording.provider_sid
        target = storage_path(services, recording)
        session.commit()
        try:
            media = services.telephony.download_recording(sid)
        except Exception as exc:
            recording.last_error = str(exc)[:2000]
            session.commit()
            raise
        root = services.settings.recordings_path
        store_encrypted(recording, media, target=target, keys=master_keys(services.settings), root=root)
        recording.content_type = "audio/wav"
        recording.status = RecordingStatus.STORED
        recording.stored_at = utcnow()
        recording.last_error = None
        for subject_type, subject_id in (
            ("recording", recording.id),
            ("ticket", recording.ticket_id),
            ("contact", recording.contact_id),
        ):
            if subject_id:
                record_event(
                    session,
                    actor="worker",
                    subject_type=subject_type,
                    subject_id=subject_id,
                    kind="recording_stored",
                    recording_id=recording.id,
                    sha256=recording.sha256,
                )
        return recording
