"""Routing's live set, as the reconciler reads it: the contacts routing holds as live (not every record
it keeps for a day), kept by routing's own scripts; stale members dropped, missing ones swept in."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from redis.client import Pipeline
from sqlalchemy import select

from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import ContactStatus
from contactcenter.context import Services
from contactcenter.reconcile.rebuild import rebuild
from contactcenter.reconcile.service import LOCK_KEY, Reconciler
from contactcenter.users.models import User
from tests.finished_calls import finished_call
from tests.inprocess import InProcessSystem
from tests.reconciling import contact_row as _contact
from tests.reconciling import held_services
from tests.reconciling import in_routing as _in_routing
from tests.reconciling import status_of as _status
from tests.redis_replies import texts

# Routing's live set: the reconciler reads the contacts routing holds as live, not every record it keeps
# for a day (a busy day's tens of thousands of ended ones, read every pass).


@pytest.fixture
def services(system: InProcessSystem) -> Iterator[Services]:
    yield from held_services(system)


def _live(services: Services) -> set[str]:
    return set(texts(services.redis.smembers(services.routing.live_key)))


def _agent(services: Services, username: str) -> str:
    with services.db.reading() as session:
        return str(session.scalar(select(User.id).where(User.username == username)))


def test_the_live_set_follows_a_contact_from_its_enqueue_through_its_assignment_to_its_end(
    services: Services,
) -> None:
    agent, waiter, call = _agent(services, "agent2"), _contact(services, status=ContactStatus.QUEUED), "CA" + "0" * 32
    served = _contact(services, status=ContactStatus.QUEUED)
    _in_routing(services, waiter, call)  # nobody free: waiting
    assert services.routing.contact(str(waiter))["state"] == "waiting"
    assert str(waiter) in _live(services)
    services.routing.finish(contact_id=str(waiter), reason="abandoned")
    assert str(waiter) not in _live(services)

    services.routing.set_agent_state(agent_id=agent, state="available", queues=["general"])
    try:
        _in_routing(services, served, call)
        for step in ("offered", "connecting", "assigned"):
            assert services.routing.contact(str(served))["state"] == step
            assert str(served) in _live(services)
            if step == "offered":
                services.routing.accept(contact_id=str(served), agent_id=agent)
            elif step == "connecting":
                services.routing.joined(contact_id=str(served), agent_id=agent)
        services.routing.finish(contact_id=str(served), reason="ended")
        assert services.routing.contact(str(served))["state"] == "ended"
        assert str(served) not in _live(services)
    finally:
        services.routing.end_wrap_up(agent_id=agent, state="not_ready")
        services.routing.set_agent_state(agent_id=agent, state="offline", queues=["general"])


def test_a_pass_reads_no_ended_record_of_routing(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    ended = _contact(services, status=ContactStatus.ENDED)
    _in_routing(services, ended, "CA" + secrets.token_hex(16))
    services.routing.finish(contact_id=str(ended), reason="ended")
    ghost = _contact(services, status=ContactStatus.ENDED)
    _in_routing(services, ghost, "CA" + secrets.token_hex(16))
    Reconciler(services).run_once(dry_run=True)  # a first pass may sweep every record (once an hour)
    read: list[str] = []
    pipeline = services.redis.pipeline

    def spied(*args: Any, **kwargs: Any) -> Pipeline:
        pipe = pipeline(*args, **kwargs)
        hmget = pipe.hmget

        def reading(name: str, *more: Any) -> Any:
            read.append(name)
            return hmget(name, *more)

        pipe.hmget = reading  # type: ignore[method-assign,assignment]
        return pipe

    monkeypatch.setattr(services.redis, "pipeline", spied)

    assert [fix.contact_id for fix in Reconciler(services).run_once()] == [ghost]  # ghosts are still found
    assert services.routing.contact_key(str(ghost)) in read
    assert services.routing.contact_key(str(ended)) not in read


def test_a_member_of_the_live_set_whose_record_is_gone_or_ended_is_dropped(services: Services) -> None:
    ended = _contact(services, status=ContactStatus.ENDED)
    _in_routing(services, ended, "CA" + secrets.token_hex(16))
    services.routing.finish(contact_id=str(ended), reason="ended")
    gone = "987654321"  # its record expired, or Redis lost it
    services.redis.sadd(services.routing.live_key, str(ended), gone)  # an end the set missed

    assert Reconciler(services).run_once() == []

    assert not {str(ended), gone} & _live(services)


def test_a_live_contact_missing_from_the_live_set_is_found_by_the_sweep(services: Services) -> None:
    """Routing held it before the set existed (an upgrade with calls in progress): the first pass, and
    one an hour, sweeps every record and adds it back."""
    ghost = _contact(services, status=ContactStatus.ENDED)
    _in_routing(services, ghost, "CA" + secrets.token_hex(16))
    services.redis.srem(services.routing.live_key, str(ghost))
    services.redis.delete(services.routing.prefix + "live:swept")

    assert [fix.contact_id for fix in Reconciler(services).run_once()] == [ghost]
    assert services.routing.contact(str(ghost))["state"] == "abandoned"


def test_a_contact_routing_has_ended_is_no_zombie_while_sql_still_has_it_live(
    system: InProcessSystem, services: Services
) -> None:
    """As before the live set: unknown to routing means routing has no record of it at all."""
    call_sid = finished_call(services, system.sandbox_url)
    contact_id = _contact(services, status=ContactStatus.QUEUED, call_sid=call_sid)
    _in_routing(services, contact_id, call_sid)
    services.routing.finish(contact_id=str(contact_id), reason="abandoned")  # SQL not told (yet)

    assert Reconciler(services).run_once() == []
    assert _status(services, contact_id) == ContactStatus.QUEUED
    finish_contact(services, contact_id=contact_id, reason="test over")


def test_after_routing_is_rebuilt_the_live_set_holds_the_contacts_put_back(services: Services) -> None:
    waiting = _contact(services, status=ContactStatus.QUEUED)  # a call Twilio does not know: kept
    services.redis.flushdb()  # Redis lost its data
    services.redis.set(LOCK_KEY, "this test", px=120_000)
    try:
        rebuilt = rebuild(services)

        assert waiting in rebuilt.requeued
        assert _live(services) == {str(cid) for cid in rebuilt.requeued}
        assert str(waiting) in Reconciler(services)._routing_contacts()
    finally:
        for cid in rebuilt.requeued:
            finish_contact(services, contact_id=cid, reason="test over")
