"""Jobs through the outbox: written with the change they follow, handed to RQ by the relay once due, never
lost to a Redis outage between the commit and the enqueue, and handed over once by relays side by side."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.job import Job
from sqlalchemy import select

from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.outbox import service as outbox
from contactcenter.outbox.models import OutboxJob
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.service import PLAN_VISIT_JOB, move_to
from contactcenter.timeutil import utcnow
from recordings.models import Recording, RecordingStatus
from recordings.service import recording_reported
from tests.desk import make_ticket
from tests.inprocess import InProcessSystem

NOT_A_JOB = "tests.test_outbox.never_run"  # no worker runs in the fast tier: only its arrival in RQ counts


def _services(system: InProcessSystem) -> Services:
    return system.client.app.state.services  # type: ignore[attr-defined]


def _in_rq(services: Services, job_id: str) -> bool:
    return Job.exists(job_id, connection=services.redis)


def _eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@contextmanager
def _redis_refuses_jobs(services: Services, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """RQ's enqueue fails as with Redis down (the rest of Redis keeps working: only the jobs' way is cut)."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RedisConnectionError("Error 111 connecting to redis: Connection refused.")

    with monkeypatch.context() as patch:
        patch.setattr(services.jobs, "enqueue", refuse)
        patch.setattr(services.jobs, "enqueue_at", refuse)
        yield


def _a_recorded_call(services: Services) -> tuple[int, str]:
    call_sid = "CA" + secrets.token_hex(16)
    with services.db.session() as session:
        contact = Contact(provider_id=call_sid, from_number="+8613700000001", to_number="+862180000000")
        session.add(contact)
        session.flush()
        return contact.id, call_sid


def test_a_recording_reported_while_redis_refuses_jobs_is_fetched_once_redis_is_back(
    system: InProcessSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _services(system)
    contact_id, call_sid = _a_recorded_call(services)
    recording_sid = "RE" + secrets.token_hex(16)
    with _redis_refuses_jobs(services, monkeypatch):
        recording_reported(  # before the outbox: the row committed, the enqueue raised, the fetch was lost
            services,
            contact_id=contact_id,
            recording_sid=recording_sid,
            call_sid=call_sid,
            status="completed",
            duration="12",
            channels="2",
        )
        outbox.relay(services)
        assert not _in_rq(services, f"fetch-recording-{recording_sid}")
        with services.db.reading() as session:
            job = session.scalars(select(OutboxJob).where(OutboxJob.job_id == f"fetch-recording-{recording_sid}")).one()
            assert job.handed_at is None and job.attempts >= 1 and "refused" in (job.last_error or "")
            recording = session.scalars(select(Recording).where(Recording.provider_sid == recording_sid)).one()
            assert recording.status == RecordingStatus.PENDING
            recording_id = recording.id
    assert _eventually(lambda: _in_rq(services, f"fetch-recording-{recording_sid}"))  # the app's relay, or:
    outbox.relay(services)
    fetch = Job.fetch(f"fetch-recording-{recording_sid}", connection=services.redis)
    assert fetch.func_name == "recordings.jobs.fetch_recording" and fetch.args == (recording_id,)
    assert fetch.retries_left == 6  # the download's retries travel with it


def test_a_job_due_later_waits_in_sql_and_reaches_rq_at_its_time(system: InProcessSystem) -> None:
    services = _services(system)
    job_id = f"later-{secrets.token_hex(6)}"
    with services.db.session() as session:
        outbox.add(session, job=NOT_A_JOB, args=[1], due=utcnow() + timedelta(seconds=1.5), job_id=job_id)
    outbox.relay(services)
    assert not _in_rq(services, job_id)  # not even in RQ's scheduled registry: Redis may lose it there
    assert _eventually(lambda: _in_rq(services, job_id), seconds=6)
    assert Job.fetch(job_id, connection=services.redis).args == (1,)


def test_a_job_of_a_change_rolled_back_never_reaches_rq(system: InProcessSystem) -> None:
    services = _services(system)
    job_id = f"rolled-back-{secrets.token_hex(6)}"
    with pytest.raises(RuntimeError), services.db.session() as session:
        outbox.add(session, job=NOT_A_JOB, args=[], job_id=job_id)
        raise RuntimeError("the change failed")
    outbox.relay(services)
    time.sleep(2 * outbox.RELAY_INTERVAL)
    assert not _in_rq(services, job_id)


def test_relays_side_by_side_hand_each_job_over_once(system: InProcessSystem, monkeypatch: pytest.MonkeyPatch) -> None:
    services = _services(system)
    marker = secrets.token_hex(6)
    with services.db.session() as session:
        for n in range(60):
            outbox.add(session, job=NOT_A_JOB, args=[n], job_id=f"once-{marker}-{n}")
    handed: list[str] = []
    lock = threading.Lock()
    enqueue = services.jobs.enqueue

    def counting(*args: Any, **kwargs: Any) -> Any:
        if str(kwargs.get("job_id", "")).startswith(f"once-{marker}-"):
            with lock:
                handed.append(kwargs["job_id"])
        return enqueue(*args, **kwargs)

    monkeypatch.setattr(services.jobs, "enqueue", counting)
    relays = [threading.Thread(target=outbox.relay, args=(services,), kwargs={"limit": 7}) for _ in range(4)]
    for relay in relays:
        relay.start()
    for relay in relays:
        relay.join(30)
    assert _eventually(lambda: len(handed) >= 60)
    time.sleep(2 * outbox.RELAY_INTERVAL)
    assert sorted(handed) == sorted(f"once-{marker}-{n}" for n in range(60))  # each once, none twice
    assert all(_in_rq(services, f"once-{marker}-{n}") for n in range(60))


def test_a_job_rq_refuses_for_good_waits_apart_and_never_holds_up_the_jobs_behind_it(system: InProcessSystem) -> None:
    """Before: the relay stopped at the first job RQ refused, as for a Redis outage; a job RQ can never take (an
    id with a dot: "Job ID must only contain letters…") held every later one, SLA alarms included, for ever."""
    services = _services(system)
    good = f"behind-{secrets.token_hex(6)}"
    with services.db.session() as session:
        outbox.add(session, job=NOT_A_JOB, args=[], job_id="refused-1.5")
        outbox.add(session, job=NOT_A_JOB, args=[], job_id=good)
    assert _eventually(lambda: _in_rq(services, good))

    def tried() -> tuple[Any, ...] | None:  # the relay commits after it has handed the good one over
        with services.db.reading() as session:
            row = session.execute(
                select(OutboxJob.attempts, OutboxJob.handed_at, OutboxJob.last_error, OutboxJob.due_ms).where(
                    OutboxJob.job_id == "refused-1.5"
                )
            ).one()
            return tuple(row) if row.attempts >= 1 else None

    assert _eventually(lambda: tried() is not None)
    refused = tried()
    assert refused is not None
    _attempts, handed_at, last_error, due_ms = refused
    assert handed_at is None and "Job ID" in (last_error or "")
    assert due_ms >= int(time.time() * 1000) - 1000  # tried again later, not at every relay


def test_a_resolved_tickets_return_visit_job_reaches_rq(system: InProcessSystem) -> None:
    """Before: its id carried the resolution's timestamp with a dot, and RQ refused it."""
    services = _services(system)
    ticket_id = make_ticket(services, category="consultation")
    with services.db.session() as session:
        ticket = session.get_one(Ticket, ticket_id)
        move_to(session, clockwork(services), ticket=ticket, to="resolved", actor="test", why="test")
        job_id = session.scalars(
            select(OutboxJob.job_id).where(OutboxJob.job == PLAN_VISIT_JOB).order_by(OutboxJob.id.desc())
        ).first()
    assert job_id is not None and job_id.startswith(f"visit-plan-{ticket_id}-")
    assert _eventually(lambda: _in_rq(services, job_id))
