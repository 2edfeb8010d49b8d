"""Redis lost its data with callers waiting: routing is rebuilt from SQL and Twilio, by itself within
seconds or by `contactcenter rebuild`; each waiting caller back at their place (order, arrival time),
a caller who hung up meanwhile ended, a waiting callback back with its details, waiting chats back at
theirs, a contact being offered back waiting at its place, queue settings back. Before, routing had
nobody waiting and the callers heard "connecting" until they gave up. (Work in progress and agents:
test_rebuild_live.py.)"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from contactcenter.callbacks.models import Callback, CallbackStatus
from contactcenter.chats import presence
from contactcenter.chats import service as chats
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.reconcile.rebuild import rebuild
from contactcenter.reconcile.service import LOCK_KEY
from contactcenter.timeutil import utcnow
from queues.engine import RoutingError
from tests.conftest import HOTLINE
from tests.console import AgentConsole
from tests.finished_calls import finished_call
from tests.hotline import wait_until
from tests.inprocess import InProcessSystem
from tests.lost_redis import hub_caught_up, hub_noticed_the_loss, hub_restarts, lose_redis, reopened
from tests.redis_replies import texts
from twilio_sandbox import get_call, place_call

WAITING = "cc:{rt}:waiting:general"
CHAT_WAITING = "cc:{rt}:chat-waiting:general"


@pytest.fixture
def services(system: InProcessSystem) -> Services:
    found: Services = system.client.app.state.services  # type: ignore[attr-defined]
    return found


@pytest.fixture
def callers(system: InProcessSystem, services: Services) -> Iterator[list[str]]:
    """Three callers waiting in the general queue, in this order."""
    placed: list[str] = []
    for _ in range(3):
        number = f"+86137{secrets.randbelow(10**8):08d}"
        placed.append(
            place_call(system.sandbox_url, from_=number, to=HOTLINE, digits=["1", "1"], hangup_after_queue=60)
        )
        wait_until(lambda: len(services.redis.zrange(WAITING, 0, -1)) == len(placed), timeout=10)
    yield placed
    for sid in placed:
        httpx.post(f"{system.sandbox_url}/sandbox/calls/{sid}/hangup", json={"side": "caller"})


def waiting_facts(services: Services, contact_ids: list[str]) -> dict[str, object]:
    """What SQL and routing say of these contacts (for a failure's message)."""
    with services.db.reading() as session:
        rows = {
            c.id: (c.status, c.queued_at, c.priority)
            for c in session.query(Contact).filter(Contact.id.in_([int(i) for i in contact_ids]))
        }
    return {cid: (rows.get(int(cid)), services.routing.contact(cid).get("enqueued_at")) for cid in contact_ids}


def _gone_caller(services: Services, sandbox_url: str) -> int:
    """A caller SQL has waiting whose call is over for Twilio (they hung up while Redis was away)."""
    with services.db.session() as session:
        contact = Contact(
            provider_id=finished_call(services, sandbox_url),
            from_number="+8613700000003",
            to_number=HOTLINE,
            status=ContactStatus.QUEUED,
            queue="general",
            created_at=utcnow() - timedelta(minutes=3),
            queued_at=utcnow() - timedelta(minutes=3),
        )
        session.add(contact)
        session.flush()
        return contact.id


def _offered_first(agent: AgentConsole, contact: str) -> None:
    """The agent goes available and is offered `contact` before any other."""
    agent.go("available")
    assert agent.next_event("offer.created")["contact"] == contact


def test_after_redis_lost_its_data_the_waiting_callers_are_back_in_their_order_and_a_gone_one_is_ended(
    system: InProcessSystem, services: Services, callers: list[str]
) -> None:
    order = texts(services.redis.zrange(WAITING, 0, -1))
    arrived = {cid: services.routing.contact(cid)["enqueued_at"] for cid in order}
    gone = _gone_caller(services, system.sandbox_url)
    restarts = hub_restarts(system)
    lose_redis(system, services, hold_the_reconciler=True)
    assert services.redis.zrange(WAITING, 0, -1) == []

    rebuilt = rebuild(services)

    assert texts(services.redis.zrange(WAITING, 0, -1)) == order
    for cid in order:  # as SQL has it: queued there a few ms before routing heard of it
        assert abs(int(services.routing.contact(cid)["enqueued_at"]) - int(arrived[cid])) < 1000
    assert services.routing.contact(order[0])["call"] == callers[0]  # an accept moves them without SQL
    assert rebuilt.ended == [gone] and sorted(rebuilt.requeued) == sorted(int(cid) for cid in order)
    with services.db.reading() as session:
        assert session.get_one(Contact, gone).status == ContactStatus.ABANDONED
    assert services.redis.hget("cc:{rt}:queue:general", "strategy")  # the queue's settings are back
    assert all(get_call(system.sandbox_url, sid)["status"] == "in-progress" for sid in callers)

    hub_noticed_the_loss(system, services, restarts_before=restarts)  # or its notice would close the console
    agent = AgentConsole(system, "agent1")  # and the first caller is the first one offered
    try:
        _offered_first(agent, order[0])
    finally:
        agent.post("/api/agent/state", {"state": "offline"})
        agent.close()
        services.redis.delete(LOCK_KEY)


def test_a_lost_redis_is_noticed_and_rebuilt_without_anyone_asking(
    system: InProcessSystem, services: Services, callers: list[str]
) -> None:
    order = texts(services.redis.zrange(WAITING, 0, -1))
    restarts = hub_restarts(system)
    lose_redis(system, services, hold_the_reconciler=False)

    try:
        wait_until(lambda: texts(services.redis.zrange(WAITING, 0, -1)) == order or None, timeout=15)
    except AssertionError:  # say what came back (a loaded CI run once saw a different queue: which?)
        now = texts(services.redis.zrange(WAITING, 0, -1))
        raise AssertionError(f"waiting before the loss {order}, after {now}: {waiting_facts(services, now)}") from None
    hub_noticed_the_loss(system, services, restarts_before=restarts)  # and every console is sent to resync


def _callback_contact(services: Services, sandbox_url: str, status: str) -> int:
    """A contact waiting as a callback in SQL (its caller hung up asking for one), its callback in `status`."""
    contact_id = _gone_caller(services, sandbox_url)
    with services.db.session() as session:
        session.get_one(Contact, contact_id).status = ContactStatus.CALLBACK
        session.add(Callback(contact_id=contact_id, phone="+8613700000004", queue="general", status=status))
    return contact_id


def test_a_waiting_callback_comes_back_as_a_callback_and_one_that_moved_on_does_not(
    system: InProcessSystem, services: Services
) -> None:
    waiting = _callback_contact(services, system.sandbox_url, CallbackStatus.WAITING)
    moved_on = _callback_contact(
        services, system.sandbox_url, CallbackStatus.SCHEDULED
    )  # released later as a contact of its own
    lose_redis(system, services, hold_the_reconciler=True)
    try:
        rebuilt = rebuild(services)

        assert waiting in rebuilt.requeued and moved_on not in rebuilt.requeued
        info = json.loads(services.routing.contact(str(waiting))["info"])
        assert info["callback"] is True and info["callback_phone"] == "+8613700000004"
        assert services.routing.contact(str(moved_on)) == {}
    finally:
        for contact_id in (waiting, moved_on):
            with services.db.session() as session:
                session.get_one(Contact, contact_id).status = ContactStatus.ABANDONED
            with contextlib.suppress(RoutingError):
                services.routing.finish(contact_id=str(contact_id), reason="test over")
        services.redis.delete(LOCK_KEY)


def test_waiting_chats_are_back_in_their_order_with_their_arrival_and_watched_again(
    system: InProcessSystem, services: Services
) -> None:
    started = []
    for name in ("孙女士", "Mr Lee"):
        answers = {
            "name": name,
            "phone": f"139{secrets.randbelow(10**8):08d}",
            "topic": "consultation",
            "language": "en",
        }
        response = httpx.post(system.base_url + "/api/chat/start", json=answers, timeout=15)
        assert response.status_code == 201, response.text
        started.append(str(response.json()["contact"]))
    order = texts(services.redis.zrange(CHAT_WAITING, 0, -1))
    assert order == started
    arrived = {cid: services.routing.contact(cid)["enqueued_at"] for cid in order}
    lose_redis(system, services)
    try:
        rebuilt = rebuild(services)

        assert texts(services.redis.zrange(CHAT_WAITING, 0, -1)) == order
        assert [cid for cid in map(str, rebuilt.requeued) if cid in order] == order
        for cid in order:
            record = services.routing.contact(cid)
            assert (record["channel"], record["state"]) == ("chat", "waiting")
            assert abs(int(record["enqueued_at"]) - int(arrived[cid])) < 1000
            assert json.loads(record["info"])["caller_name"] in ("孙女士", "Mr Lee")
            # a page gone meanwhile is abandoned after the grace, as ever
            assert services.redis.zscore(presence.HEARD, cid) is not None
    finally:
        for cid in order:
            chats.customer_leaves(services, contact_id=int(cid))
        services.redis.delete(LOCK_KEY)


def test_a_contact_being_offered_is_back_waiting_at_its_place_and_its_agent_not_ready(
    system: InProcessSystem, services: Services, callers: list[str]
) -> None:
    """The offer is gone with Redis; the agent is not made available again by itself (their console
    offers their last choice back), and the first caller is still the first one offered."""
    order = texts(services.redis.zrange(WAITING, 0, -1))
    hub_caught_up(system, services)  # an earlier test's loss, noticed late, would close this console
    agent = AgentConsole(system, "agent1")
    try:
        _offered_first(agent, order[0])
        lose_redis(system, services)

        rebuild(services)

        assert texts(services.redis.zrange(WAITING, 0, -1)) == order
        assert services.routing.contact(order[0])["state"] == "waiting"
        record = services.routing.agent(str(agent.id))
        assert (record["state"], record["reason"], record["prev_state"]) == (
            "not_ready",
            "routing_rebuilt",
            "available",
        )
        agent = reopened(system, services, agent)
        assert agent.snapshot["agent"]["previous_state"] == "available"
        _offered_first(agent, order[0])  # the console's "go back to it"
    finally:
        agent.post("/api/agent/state", {"state": "offline"})
        agent.close()
        services.redis.delete(LOCK_KEY)
