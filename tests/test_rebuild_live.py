"""Redis lost its data with work in progress: a rebuild gives each call in progress back to its agent
(busy on it; its end goes as ever), ends one Twilio says is over, gives each chat in progress back to its
agent, and brings agents back not ready, remembering the state they last chose (their console offers it
back). Before, routing knew none of them: the agent's End was refused ("not yours") and the caller stayed
on the line with nobody able to end the call; agents were offline."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from contactcenter.chats import service as chats
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.reconcile.rebuild import rebuild
from contactcenter.reconcile.service import LOCK_KEY
from contactcenter.timeutil import utcnow
from contactcenter.users.models import User
from tests.conftest import HOTLINE
from tests.console import AgentConsole
from tests.finished_calls import finished_call
from tests.hotline import wait_until
from tests.inprocess import InProcessSystem
from tests.lost_redis import hub_caught_up, lose_redis, reopened
from tests.test_call_control import connected_call
from twilio_sandbox import wait_for_call


@pytest.fixture
def services(system: InProcessSystem) -> Iterator[Services]:
    found: Services = system.client.app.state.services  # type: ignore[attr-defined]
    hub_caught_up(system, found)  # an earlier test's loss, noticed late, would close this test's consoles
    yield found
    found.redis.delete(LOCK_KEY)


def _user_id(services: Services, username: str) -> int:
    with services.db.reading() as session:
        return session.scalars(select(User.id).where(User.username == username)).one()


def _status(services: Services, contact_id: int) -> str:
    with services.db.reading() as session:
        return session.get_one(Contact, contact_id).status


@pytest.mark.parametrize("ended_by", ["agent", "caller"])
def test_a_call_in_progress_is_its_agents_again_after_a_rebuild_and_ends_as_ever(
    system: InProcessSystem, services: Services, ended_by: str
) -> None:
    agent = AgentConsole(system, "agent1")
    try:
        call_sid, offer = connected_call(system, agent, talk_seconds=60)
        contact = offer["contact"]
        # SQL hears of the join a moment after routing (on PostgreSQL under load, after the console did).
        wait_until(lambda: _status(services, int(contact)) == ContactStatus.CONNECTED)
        lose_redis(system, services)

        rebuilt = rebuild(services)

        record = services.routing.contact(contact)
        assert (record.get("state"), record.get("agent"), record.get("call")) == ("assigned", str(agent.id), call_sid)
        assert rebuilt.assigned == [int(contact)] and int(contact) not in rebuilt.requeued
        assert services.routing.agent(str(agent.id))["state"] == "busy"
        assert services.routing.agent(str(agent.id))["contact"] == contact
        assert services.redis.sismember(services.routing.live_key, contact)  # the reconciler watches it
        agent = reopened(system, services, agent)
        assert agent.snapshot["agent"]["state"] == "busy"
        assert (agent.snapshot["contact"]["contact"], agent.snapshot["contact"]["state"]) == (contact, "assigned")

        if ended_by == "agent":  # the agent's End: refused before ("not yours"), the caller left on the line
            assert agent.post(f"/api/agent/contacts/{contact}/end").status_code == 200
        else:  # the caller hangs up: Twilio's reports end it
            httpx.post(f"{system.sandbox_url}/sandbox/calls/{call_sid}/hangup", json={"side": "caller"})
        agent.next_event("contact.ended", contact=contact)
        agent.next_event("agent.state", state="wrap_up")
        assert wait_for_call(system.sandbox_url, call_sid, timeout=20)["status"] == "completed"
        assert _status(services, int(contact)) == ContactStatus.ENDED
        wrapped = agent.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})
        assert wrapped.status_code == 200, wrapped.text
        agent.next_event("agent.state", state="available")
    finally:
        agent.post("/api/agent/state", {"state": "offline"})
        agent.close()


def test_a_call_in_progress_twilio_says_is_over_is_ended_and_its_agent_not_held(
    system: InProcessSystem, services: Services
) -> None:
    agent_id = _user_id(services, "agent2")
    with services.db.session() as session:
        row = Contact(
            provider_id=finished_call(services, system.sandbox_url),  # the caller hung up while Redis was away
            from_number="+8613700000005",
            to_number=HOTLINE,
            status=ContactStatus.CONNECTED,
            queue="general",
            agent_id=agent_id,
            created_at=utcnow() - timedelta(minutes=4),
            queued_at=utcnow() - timedelta(minutes=4),
            answered_at=utcnow() - timedelta(minutes=3),
        )
        session.add(row)
        session.flush()
        contact_id = row.id
    lose_redis(system, services)

    rebuilt = rebuild(services)

    assert contact_id in rebuilt.ended and contact_id not in rebuilt.assigned
    assert _status(services, contact_id) == ContactStatus.ENDED
    assert services.routing.agent(str(agent_id)).get("state") not in ("busy", "reserved", "wrap_up")
    assert services.routing.contact(str(contact_id)).get("state") != "assigned"


def _chat(system: InProcessSystem, name: str) -> str:
    answers = {"name": name, "phone": f"139{secrets.randbelow(10**8):08d}", "topic": "consultation", "language": "en"}
    response = httpx.post(system.base_url + "/api/chat/start", json=answers, timeout=15)
    assert response.status_code == 201, response.text
    return str(response.json()["contact"])


def test_a_chat_in_progress_is_its_agents_again_after_a_rebuild(system: InProcessSystem, services: Services) -> None:
    agent = AgentConsole(system, "agent1")
    contact = ""
    try:
        agent.go("available")
        contact = _chat(system, "孙女士")
        agent.next_event("offer.created", contact=contact)
        assert agent.accept(contact).status_code == 200
        lose_redis(system, services)

        rebuilt = rebuild(services)

        record = services.routing.contact(contact)
        assert (record.get("state"), record.get("agent"), record.get("channel")) == ("assigned", str(agent.id), "chat")
        assert int(contact) in rebuilt.assigned
        assert services.redis.sismember(f"cc:{{rt}}:agent:{agent.id}:chats", contact)
        agent = reopened(system, services, agent)
        assert [(chat["contact"], chat["state"]) for chat in agent.snapshot["chats"]] == [(contact, "assigned")]
        said = agent.post(f"/api/agent/chats/{contact}/messages", {"body": "Still here", "client_id": "after-1"})
        assert said.status_code in (200, 201), said.text
        assert agent.post(f"/api/agent/contacts/{contact}/end").status_code == 200
        agent.next_event("contact.ended", contact=contact)
        assert services.routing.contact(contact)["state"] == "ended"
    finally:
        if contact:
            with contextlib.suppress(Exception):
                chats.customer_leaves(services, contact_id=int(contact))
        agent.post("/api/agent/state", {"state": "offline"})
        agent.close()


def test_agents_come_back_not_ready_remembering_the_state_they_last_chose(
    system: InProcessSystem, services: Services
) -> None:
    """SQL records the states agents choose, not those routing gives them by itself (missed offers, a
    lost console, the end of a wrap-up): nobody is made available by a rebuild; the console offers the
    last choice back, one click away."""
    one, two, boss = (AgentConsole(system, name) for name in ("agent1", "agent2", "supervisor"))
    try:
        one.go("available")
        assert two.post("/api/agent/state", {"state": "not_ready", "reason": "meal"}).status_code == 200
        boss.go("available")
        boss.go("offline")  # logged out: stays out
        lose_redis(system, services)

        rebuilt = rebuild(services)

        for console, previous in ((one, ("available", "")), (two, ("not_ready", "meal"))):
            record = services.routing.agent(str(console.id))
            assert (record.get("state"), record.get("reason")) == ("not_ready", "routing_rebuilt")
            assert (record["prev_state"], record["prev_reason"]) == previous
            assert record["queues"]  # its queues and skills are back with it
        assert {one.id, two.id} <= set(rebuilt.agents) and boss.id not in rebuilt.agents
        assert services.routing.agent(str(boss.id)) == {}
        one = reopened(system, services, one)
        assert one.snapshot["agent"]["previous_state"] == "available"
        one.go("available")  # the console's "go back to it"
        assert services.routing.agent(str(one.id))["state"] == "available"
    finally:
        for console in (one, two, boss):
            console.post("/api/agent/state", {"state": "offline"})
            console.close()
