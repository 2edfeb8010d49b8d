"""The reconciler compares SQL, Redis and Twilio and repairs what differs, each repair audited with its
reason: ghosts (routing holds a contact SQL ended, or whose call Twilio says is over), zombies (SQL waits
on a call routing lost and Twilio says is over), and the agent a dead call held. Live calls are left
alone; a dry run changes nothing."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from rq.job import Job
from sqlalchemy import delete, select

from agents.conference import LiveCall
from contactcenter.audit.models import AuditEvent
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.liveness import beat
from contactcenter.outbox.models import OutboxJob
from contactcenter.reconcile.service import Reconciler
from contactcenter.timeutil import utcnow
from contactcenter.users.models import User
from recordings.models import Recording
from recordings.service import fetch_job_id
from tests.conftest import HOTLINE
from tests.console import AgentConsole
from tests.finished_calls import finished_call
from tests.hotline import wait_until
from tests.inprocess import InProcessSystem
from tests.reconciling import audited as _audited
from tests.reconciling import contact_row as _contact
from tests.reconciling import held_services
from tests.reconciling import in_routing as _in_routing
from tests.reconciling import status_of as _status
from twilio_sandbox import get_call, place_call


@pytest.fixture
def services(system: InProcessSystem) -> Iterator[Services]:
    yield from held_services(system)


def test_a_waiting_contact_whose_call_twilio_says_is_over_is_let_go_in_routing_and_sql(
    system: InProcessSystem, services: Services
) -> None:
    call_sid = finished_call(services, system.sandbox_url)  # its end was never reported to us
    contact_id = _contact(services, status=ContactStatus.QUEUED, call_sid=call_sid)
    _in_routing(services, contact_id, call_sid)

    repairs = Reconciler(services).run_once()

    assert [(fix.kind, fix.contact_id) for fix in repairs] == [("ghost", contact_id)]
    assert services.routing.contact(str(contact_id))["state"] not in ("waiting", "offered")
    assert _status(services, contact_id) == ContactStatus.ABANDONED
    assert _audited(services, contact_id) == [("reconciled_ghost", "Twilio says the call is busy")]


def test_a_call_twilio_does_not_know_is_no_proof_the_caller_left(services: Services) -> None:
    call_sid = "CA" + secrets.token_hex(16)  # another account's, or another sandbox's: Twilio answers 404
    contact_id = _contact(services, status=ContactStatus.QUEUED, call_sid=call_sid)
    _in_routing(services, contact_id, call_sid)
    try:
        assert Reconciler(services).run_once() == []
        assert services.routing.contact(str(contact_id))["state"] in ("waiting", "offered")
    finally:
        finish_contact(services, contact_id=contact_id, reason="test over")


def test_routing_lets_go_of_a_contact_sql_has_ended(services: Services) -> None:
    contact_id = _contact(services, status=ContactStatus.ENDED)
    _in_routing(services, contact_id, "CA" + secrets.token_hex(16))

    repairs = Reconciler(services).run_once()

    assert [(fix.kind, fix.contact_id) for fix in repairs] == [("ghost", contact_id)]
    assert services.routing.contact(str(contact_id))["state"] not in ("waiting", "offered")
    assert _audited(services, contact_id) == [("reconciled_ghost", "routing holds it as live; SQL says ended")]


def test_sql_ends_a_waiting_call_routing_lost_and_twilio_says_is_over(
    system: InProcessSystem, services: Services
) -> None:
    contact_id = _contact(services, status=ContactStatus.QUEUED, call_sid=finished_call(services, system.sandbox_url))
    young = _contact(services, status=ContactStatus.QUEUED, minutes_ago=0)  # routing may not have heard yet

    repairs = Reconciler(services).run_once()

    assert [(fix.kind, fix.contact_id) for fix in repairs] == [("zombie_ended", contact_id)]
    assert _status(services, contact_id) == ContactStatus.ABANDONED
    assert _status(services, young) == ContactStatus.QUEUED
    assert _audited(services, contact_id) == [("reconciled_zombie_ended", "unknown to routing; Twilio says busy")]


def test_an_agent_held_by_a_call_that_is_over_goes_to_wrap_up(system: InProcessSystem, services: Services) -> None:
    call_sid = finished_call(services, system.sandbox_url)
    contact_id = _contact(services, status=ContactStatus.CONNECTED, call_sid=call_sid)
    with services.db.reading() as session:
        agent_id = str(session.scalar(select(User.id).where(User.username == "agent2")))
    services.routing.set_agent_state(agent_id=agent_id, state="available", queues=["general"])
    _in_routing(services, contact_id, call_sid)
    assert services.routing.contact(str(contact_id))["state"] == "offered"
    services.routing.accept(contact_id=str(contact_id), agent_id=agent_id)
    services.routing.joined(contact_id=str(contact_id), agent_id=agent_id)
    assert services.routing.agent(agent_id)["state"] == "busy"

    repairs = Reconciler(services).run_once()

    assert [(fix.kind, fix.contact_id) for fix in repairs] == [("ghost", contact_id)]
    assert services.routing.agent(agent_id)["state"] == "wrap_up"  # no longer busy on a dead call
    assert _status(services, contact_id) == ContactStatus.ENDED
    services.routing.set_agent_state(agent_id=agent_id, state="offline", queues=["general"])


def test_a_caller_still_on_the_line_is_left_alone_and_a_dry_run_changes_nothing(
    system: InProcessSystem, services: Services
) -> None:
    live = place_call(system.sandbox_url, from_="+8613700137077", to=HOTLINE, digits=["1", "1"], hangup_after_queue=60)
    waiting = wait_until(lambda: [k for k in services.redis.zrange("cc:{rt}:waiting:general", 0, -1)], timeout=10)
    live_contact = int(waiting[0])
    ghost = _contact(services, status=ContactStatus.ENDED)
    _in_routing(services, ghost, "CA" + secrets.token_hex(16))
    try:
        planned = Reconciler(services).run_once(dry_run=True)
        assert [(fix.kind, fix.contact_id) for fix in planned] == [("ghost", ghost)]
        assert services.routing.contact(str(ghost))["state"] in ("waiting", "offered")  # nothing changed
        assert _audited(services, ghost) == []

        assert [fix.contact_id for fix in Reconciler(services).run_once()] == [ghost]
        assert services.routing.contact(str(live_contact))["state"] == "waiting"
        assert get_call(system.sandbox_url, live)["status"] == "in-progress"
    finally:  # ended here: a caller left waiting would be offered to the next test's agent at once
        httpx.post(f"{system.sandbox_url}/sandbox/calls/{live}/hangup", json={"side": "caller"})
        finish_contact(services, contact_id=live_contact, reason="test over")


def test_a_caller_routing_lost_while_they_wait_on_the_line_is_queued_again_at_their_place(
    system: InProcessSystem, services: Services
) -> None:
    """SQL queued the caller and routing lost them (their enqueue never reached Redis): their wait loop
    played on with no agent ever coming."""
    live = place_call(system.sandbox_url, from_="+8613700137078", to=HOTLINE, digits=["1", "1"], hangup_after_queue=60)
    waiting = wait_until(lambda: [k for k in services.redis.zrange("cc:{rt}:waiting:general", 0, -1)], timeout=10)
    contact_id = int(waiting[0])
    arrived = services.routing.contact(str(contact_id))["enqueued_at"]
    services.routing.finish(contact_id=str(contact_id), reason="test: lost")
    services.redis.delete(services.routing.contact_key(str(contact_id)))  # routing has no trace of them
    with services.db.session() as session:  # and they have waited a while
        contact = session.get_one(Contact, contact_id)
        contact.created_at = contact.created_at - timedelta(minutes=1)
    try:
        repairs = Reconciler(services).run_once()

        assert [(fix.kind, fix.contact_id) for fix in repairs] == [("zombie_requeued", contact_id)]
        record = services.routing.contact(str(contact_id))
        assert record["state"] == "waiting"
        assert abs(int(record["enqueued_at"]) - int(arrived)) < 1000  # at their place (SQL's queued_at)
        assert _status(services, contact_id) == ContactStatus.QUEUED
        assert _audited(services, contact_id)[0][0] == "reconciled_zombie_requeued"
    finally:  # ended here: a caller left waiting would be offered to the next test's agent at once
        httpx.post(f"{system.sandbox_url}/sandbox/calls/{live}/hangup", json={"side": "caller"})
        finish_contact(services, contact_id=contact_id, reason="test over")


def test_the_reconcile_command_prints_what_it_would_repair_without_repairing_it(
    system: InProcessSystem, services: Services, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from contactcenter import cli

    ghost = _contact(services, status=ContactStatus.ENDED)
    _in_routing(services, ghost, "CA" + secrets.token_hex(16))
    for name, value in (("REDIS_URL", system.redis_url), ("DATABASE_URL", system.database_url)):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TWILIO_API_BASE", system.sandbox_url)

    assert cli.main(["reconcile", "--dry-run"]) == 0

    out, err = capsys.readouterr()
    assert json.loads(out.splitlines()[0]) == {
        "kind": "ghost",
        "contact_id": ghost,
        "reason": "routing holds it as live; SQL says ended",
        "done": False,
    }
    assert "would make" in err
    assert services.routing.contact(str(ghost))["state"] in ("waiting", "offered")
    services.routing.finish(contact_id=str(ghost), reason="test over")


def test_an_accepted_call_whose_agent_never_joined_and_nobody_reported_it_goes_back_to_its_place(
    system: InProcessSystem, services: Services
) -> None:
    """The web process that accepted died before it rang the phone or scheduled its overdue check: SQL
    said connected, the agent stayed busy and the caller heard "connecting" until they hung up."""
    call_sid = "CA" + secrets.token_hex(16)
    contact_id = _contact(services, status=ContactStatus.QUEUED, call_sid=call_sid)
    agent = AgentConsole(system, "agent1")  # a console open: routing keeps offering to them
    try:
        agent.go("available")
        _in_routing(services, contact_id, call_sid)
        assert agent.next_event("offer.created")["contact"] == str(contact_id)
        services.routing.accept(contact_id=str(contact_id), agent_id=str(agent.id))
        long_ago = int((utcnow() - timedelta(minutes=2)).timestamp() * 1000)
        services.redis.hset(services.routing.contact_key(str(contact_id)), "accepted_at", long_ago)

        repairs = Reconciler(services).run_once()

        assert [(fix.kind, fix.contact_id) for fix in repairs] == [("connect_lost", contact_id)]
        assert agent.next_event("offer.returned", contact=str(contact_id))["reason"] == "connect_lost"
        assert agent.next_event("agent.state", state="not_ready")["reason"] == "missed"
        assert _audited(services, contact_id)[0][0] == "reconciled_connect_lost"
    finally:
        finish_contact(services, contact_id=contact_id, reason="test over")
        agent.post("/api/agent/state", {"state": "offline"})
        agent.close()


@pytest.mark.parametrize("process", ["dead", "alive", "rang the phone"])
def test_an_accept_whose_process_died_before_ringing_the_agent_goes_back_at_once_and_no_other(
    system: InProcessSystem, services: Services, process: str
) -> None:
    """kill -9 of the web process between the accept and the agent's phone (bench/chaos.py): the caller
    heard "connecting" for ~50 s until the longest ring had passed. Its process's liveness key says it
    is gone: the call goes back within a pass. A live process, or a phone already ringing, is waited for."""
    call_sid = "CA" + secrets.token_hex(16)
    contact_id = _contact(services, status=ContactStatus.QUEUED, call_sid=call_sid)
    agent = AgentConsole(system, "agent1")
    try:
        agent.go("available")
        _in_routing(services, contact_id, call_sid)
        assert agent.next_event("offer.created")["contact"] == str(contact_id)
        by = f"test-process-{secrets.token_hex(3)}"
        services.routing.accept(contact_id=str(contact_id), agent_id=str(agent.id), by=by)
        three_s_ago = int((utcnow() - timedelta(seconds=3)).timestamp() * 1000)
        services.redis.hset(services.routing.contact_key(str(contact_id)), "accepted_at", three_s_ago)
        if process == "alive":
            beat(services.redis, by)
        elif process == "rang the phone":
            LiveCall(services, contact_id).set(**{f"agent:{agent.id}": "CA" + secrets.token_hex(16)})

        repairs = Reconciler(services).run_once()

        if process == "dead":
            assert [(fix.kind, fix.contact_id) for fix in repairs] == [("connect_lost", contact_id)]
            assert by in repairs[0].reason
            assert agent.next_event("offer.returned", contact=str(contact_id))["reason"] == "connect_lost"
        else:
            assert repairs == []
            assert services.routing.contact(str(contact_id))["state"] == "connecting"
    finally:
        finish_contact(services, contact_id=contact_id, reason="test over")
        agent.post("/api/agent/state", {"state": "offline"})
        agent.close()


def _agent_freed(services: Services, agent_id: str) -> list[tuple[str, object, object]]:
    with services.db.reading() as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "agent", AuditEvent.subject_id == agent_id, AuditEvent.actor == "reconciler"
            )
        ).all()
        return [(event.kind, event.data.get("reason"), event.data.get("contact_id")) for event in events]


def test_an_agent_held_on_a_contact_routing_no_longer_has_live_is_freed(
    system: InProcessSystem,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before, an agent reserved for an offer whose record was gone, or busy on a call routing had ended
    without them, stayed so for good: no offer, no wrap-up, nothing the agent could do (their state
    change was refused as busy)."""
    from contactcenter import cli

    with services.db.reading() as session:
        one, two = (str(session.scalar(select(User.id).where(User.username == name))) for name in ("agent1", "agent2"))
    gone, ended = (_contact(services, status=ContactStatus.QUEUED) for _ in range(2))
    services.routing.set_agent_state(agent_id=one, state="available", queues=["general"])
    _in_routing(services, gone, "CA" + secrets.token_hex(16))
    assert services.routing.agent(one)["state"] == "reserved"
    services.redis.delete(services.routing.contact_key(str(gone)))  # its record lost
    services.routing.set_agent_state(agent_id=two, state="available", queues=["general"])
    _in_routing(services, ended, "CA" + secrets.token_hex(16))
    services.routing.accept(contact_id=str(ended), agent_id=two)
    services.routing.joined(contact_id=str(ended), agent_id=two)
    services.redis.hset(services.routing.contact_key(str(ended)), mapping={"state": "ended", "agent": ""})
    for name, value in (("REDIS_URL", system.redis_url), ("DATABASE_URL", system.database_url)):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TWILIO_API_BASE", system.sandbox_url)
    try:
        assert cli.main(["reconcile", "--dry-run"]) == 0
        printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [line for line in printed if line["kind"] == "agent_freed"] == [
            {
                "kind": "agent_freed",
                "contact_id": gone,
                "reason": f"reserved on contact {gone}, which routing no longer has",
                "agent_id": int(one),
                "done": False,
            },
            {
                "kind": "agent_freed",
                "contact_id": ended,
                "reason": f"busy on contact {ended} of another agent, which is ended",
                "agent_id": int(two),
                "done": False,
            },
        ]
        assert services.routing.agent(one)["state"] == "reserved"  # a dry run changes nothing

        repairs = Reconciler(services).run_once()

        assert {(fix.kind, fix.agent_id) for fix in repairs} >= {("agent_freed", int(one)), ("agent_freed", int(two))}
        assert services.routing.agent(one)["state"] == "available"
        assert services.routing.agent(two)["state"] == "available"
        assert _agent_freed(services, one) == [
            ("reconciled_agent_freed", f"reserved on contact {gone}, which routing no longer has", gone)
        ]
        assert [kind for kind, _, _ in _agent_freed(services, two)] == ["reconciled_agent_freed"]
        assert [fix.kind for fix in Reconciler(services).run_once() if fix.kind == "agent_freed"] == []
    finally:
        for agent in (one, two):
            services.routing.set_agent_state(agent_id=agent, state="offline", queues=["general"])
        for contact_id in (gone, ended):
            with services.db.session() as session:
                session.get_one(Contact, contact_id).status = ContactStatus.ABANDONED


@pytest.mark.parametrize("job", ["lost", "in RQ", "in the outbox"])
def test_a_pending_recording_whose_download_job_was_lost_is_fetched_again_and_no_other(
    services: Services, job: str
) -> None:
    """Redis lost its data after the outbox had handed the download to RQ: the recording stayed pending for
    ever (bench/chaos.py, redis_data_loss). One whose job RQ or the outbox still holds is left alone."""
    contact_id = _contact(services, status=ContactStatus.ENDED)
    sid = "RE" + secrets.token_hex(16)
    with services.db.session() as session:
        recording = Recording(
            provider_sid=sid,
            call_sid="CF" + secrets.token_hex(16),
            contact_id=contact_id,
            created_at=utcnow() - timedelta(seconds=30),
        )
        session.add(recording)
        session.flush()
        recording_id = recording.id
        if job == "in the outbox":
            session.add(
                OutboxJob(
                    job="recordings.jobs.fetch_recording",
                    args=[recording_id],
                    due_ms=0,
                    job_id=fetch_job_id(sid),
                    retry_intervals=[],
                )
            )
    if job == "in RQ":
        services.redis.hset(Job.key_for(fetch_job_id(sid)), "status", "scheduled")
    try:
        repairs = [fix for fix in Reconciler(services).run_once() if fix.kind == "recording_refetched"]

        with services.db.reading() as session:
            queued = session.scalars(select(OutboxJob).where(OutboxJob.job_id == fetch_job_id(sid))).all()
        if job == "lost":
            assert [(fix.recording_id, fix.contact_id) for fix in repairs] == [(recording_id, contact_id)]
            assert len(queued) == 1  # its download is on its way again, through the outbox (maybe handed over)
        else:
            assert repairs == []
            assert len(queued) == (1 if job == "in the outbox" else 0)
    finally:
        services.redis.delete(Job.key_for(fetch_job_id(sid)))
        with services.db.session() as session:
            session.execute(delete(OutboxJob).where(OutboxJob.job_id == fetch_job_id(sid)))
            session.execute(delete(Recording).where(Recording.id == recording_id))
