"""Contacts and scorecards made straight in SQL for the QA tests: a finished call or chat an agent handled
(with its stored recording), and a published scorecard."""

from __future__ import annotations

import io
import math
import uuid
import wave
from array import array
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.qa import scorecards
from contactcenter.qa.forms import Form
from contactcenter.timeutil import utcnow
from contactcenter.users.models import User
from contactcenter.users.service import create_user
from recordings.models import Recording, RecordingStatus
from recordings.storage import master_keys, store_encrypted
from tests.qa_forms import service_form


def handled_contact(
    services: Services,
    *,
    agent_id: int,
    queue: str = "general",
    channel: str = "voice",
    talk_seconds: int = 180,
    ended_ago: timedelta = timedelta(hours=1),
    recorded: bool = True,
    audio: bytes | None = None,
) -> int:
    """A finished contact `agent_id` answered (a call has its recording stored; with `audio`, sealed on disk
    as the fetch job stores it); returns its id."""
    ended = utcnow() - ended_ago
    with services.db.session() as session:
        contact = Contact(
            channel=channel,
            provider_id=f"CA{uuid.uuid4().hex}",
            from_number="+8613800138000",
            to_number="+861010000000",
            status=ContactStatus.ENDED,
            queue=queue,
            agent_id=agent_id,
            answered_at=ended - timedelta(seconds=talk_seconds),
            ended_at=ended,
        )
        session.add(contact)
        session.flush()
        if recorded and channel == "voice":
            recording = Recording(
                provider_sid=f"RE{uuid.uuid4().hex}",
                call_sid=contact.provider_id,
                contact_id=contact.id,
                status=RecordingStatus.STORED,
                duration_seconds=talk_seconds,
                channels=2,
            )
            session.add(recording)
            session.flush()
            if audio is not None:
                root = services.settings.recordings_path
                target = root / "qa-tests" / f"{recording.provider_sid}.wav.enc"
                store_encrypted(recording, audio, target=target, keys=master_keys(services.settings), root=root)
        return contact.id


def silent_wav(seconds: float = 2.0, channels: int = 2) -> bytes:
    """A quiet 8 kHz 16-bit WAV, as Twilio's recordings are."""
    return _wav([[0] * int(8000 * seconds)] * channels)


def talk_wav(seconds: int = 12) -> bytes:
    """Two channels taking turns, two seconds each, the customer first (it draws like a conversation)."""
    customer, agent = [], []
    for second in range(seconds):
        loud = 9000 if second % 4 < 2 else 0
        for n in range(8000):
            wave_at = int(loud * math.sin(2 * math.pi * 330 * n / 8000) * abs(math.sin(math.pi * 3 * n / 8000)))
            customer.append(wave_at if loud else 0)
            agent.append(0 if loud else int(7000 * math.sin(2 * math.pi * 220 * n / 8000)))
    return _wav([customer, agent])


def _wav(channels: list[list[int]]) -> bytes:
    frames = array("h", (sample for frame in zip(*channels, strict=True) for sample in frame))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(len(channels))
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(frames.tobytes())
    return out.getvalue()


def published_scorecard(services: Services, *, actor_id: int, form: dict[str, Any] | None = None, **where: Any) -> int:
    """A published scorecard (for every channel and queue unless `where` says); returns its version's id."""
    with services.db.session() as session:
        version = scorecards.create_scorecard(
            session,
            name=where.pop("name", "Service"),
            channel=where.get("channel"),
            queue=where.get("queue"),
            form=Form.model_validate(form or service_form()),
            actor_id=actor_id,
        )
        return scorecards.publish(session, scorecard_id=version.scorecard_id, actor_id=actor_id).id


def extra_user(services: Services, username: str, role: str, **fields: Any) -> int:
    """Another user (password "correct horse battery 1"); returns their id."""
    with services.db.session() as session:
        found = session.query(User).filter_by(username=username).one_or_none()
        if found is not None:
            return found.id
        return create_user(session, username=username, password="correct horse battery 1", role=role, **fields).id


def last_week(services: Services) -> timedelta:
    """How long ago last week's Wednesday noon was (in what a sampling run of the last whole week covers)."""
    local = utcnow().astimezone(ZoneInfo(services.settings.timezone))
    return utcnow() - (local - timedelta(days=local.weekday() + 5)).replace(hour=12, minute=0)


def sampled_for(lead: Any, *, evaluator_id: int, queue: str, seed: int) -> list[int]:
    """A QA lead's random sampling policy for `queue`'s calls, all of them for `evaluator_id`, run now (over
    last week) with `seed`; the contacts it chose."""
    policy = {"kind": "random_per_agent", "per_agent": 50, "queues": [queue], "evaluator_ids": [evaluator_id]}
    made = lead.post("/api/qa/sampling/policies", json={"name": f"{queue} 抽检", **policy})
    assert made.status_code == 201, made.text
    ran = lead.post(f"/api/qa/sampling/policies/{made.json()['id']}/run", json={"seed": seed})
    assert ran.status_code == 201, ran.text
    chosen: list[int] = ran.json()["contact_ids"]
    return chosen
