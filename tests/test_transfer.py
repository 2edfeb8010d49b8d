"""Transfers: the caller moves to another agent or queue and keeps the same contact and ticket."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest

from queues.engine import RoutingEngine
from tests import twilio_params as tw
from tests.conftest import HOTLINE, System
from tests.console import AgentConsole
from tests.ivr_caller import Caller
from tests.test_call_path import wait_until
from twilio_sandbox import get_call, place_call, wait_for_call


@pytest.fixture
def consoles(system: System) -> Iterator[tuple[AgentConsole, AgentConsole]]:
    first, second = AgentConsole(system, "agent1"), AgentConsole(system, "agent2")
    yield first, second
    for console in (first, second):
        console.post("/api/agent/state", {"state": "offline"})
        console.close()


def test_an_agent_transfers_a_caller_to_a_colleague_and_the_ticket_follows(
    system: System, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    agent1, agent2 = consoles
    agent1.go("available")
    call_sid = place_call(system.sandbox_url, from_="+8613200132000", to=HOTLINE, digits=["1", "1"], talk_seconds=2)
    offer = agent1.next_event("offer.created")
    assert agent1.accept(offer["contact"]).status_code == 200
    wait_until(lambda: get_call(system.sandbox_url, call_sid)["bridged"])

    agent2.go("available")
    bad = agent1.post(f"/api/agent/contacts/{offer['contact']}/transfer", {"queue": "general", "agent": agent2.id})
    assert bad.status_code == 400
    moved = agent1.post(f"/api/agent/contacts/{offer['contact']}/transfer", {"agent": agent2.id})
    assert moved.status_code == 200, moved.text
    agent1.next_event("agent.state", state="wrap_up")

    handed = agent2.next_event("offer.created", contact=offer["contact"])
    assert handed["info"]["ticket_id"] == offer["info"]["ticket_id"]
    assert "transferred" in handed["why"]["rule"]
    assert agent2.accept(offer["contact"]).status_code == 200

    call = wait_for_call(system.sandbox_url, call_sid, timeout=30)
    dialed = [entry["client"] for entry in call["log"] if entry["event"] == "dial"]
    assert dialed == [f"agent-{agent1.id}", f"agent-{agent2.id}"]

    def both_recordings() -> dict[str, Any] | None:
        ticket = agent2.http.get(f"/api/tickets/{offer['info']['ticket_id']}").json()
        return ticket if len(ticket["recordings"]) == 2 else None

    ticket = wait_until(both_recordings, timeout=30)
    [contact] = ticket["contacts"]
    assert contact["agent"] == "李明 Li Ming" and contact["status"] == "ended"
    assert [h["kind"] for h in ticket["history"]].count("opened") == 1


def test_a_transfer_to_a_queue_or_of_someone_elses_call_is_checked(
    system: System, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    agent1, agent2 = consoles
    agent1.go("available")
    call_sid = place_call(system.sandbox_url, from_="+8613100131000", to=HOTLINE, digits=["1", "1"], talk_seconds=3)
    offer = agent1.next_event("offer.created")
    agent1.accept(offer["contact"])
    wait_until(lambda: get_call(system.sandbox_url, call_sid)["bridged"])

    assert agent2.post(f"/api/agent/contacts/{offer['contact']}/transfer", {"queue": "repair"}).status_code == 409
    assert agent1.post(f"/api/agent/contacts/{offer['contact']}/transfer", {"queue": "nowhere"}).status_code == 404
    assert agent1.post(f"/api/agent/contacts/{offer['contact']}/transfer", {"agent": agent2.id}).status_code == 409
    moved = agent1.post(f"/api/agent/contacts/{offer['contact']}/transfer", {"queue": "repair"})
    assert moved.status_code == 200, moved.text
    routing = system.redis()
    assert routing.zscore("cc:{rt}:waiting:repair", offer["contact"]) is not None

    agent2.go("available")
    again = agent2.next_event("offer.created", contact=offer["contact"])
    assert again["queue"] == "repair"
    agent2.accept(offer["contact"])
    assert wait_for_call(system.sandbox_url, call_sid, timeout=30)["status"] == "completed"


def offered_caller(system: System, agent: AgentConsole) -> tuple[Caller, str]:
    """A hand-driven caller parked in the general queue and offered to the agent."""
    caller = Caller(system)
    caller.dial()
    caller.press("1")
    caller.press("1")
    assert caller.root.find("Enqueue") is not None
    offer = agent.next_event("offer.created")
    return caller, offer["contact"]


def connect(caller: Caller, contact: str, bridge: str | None = None) -> ET.Element:
    url = f"{caller.system.base_url}/twilio/voice/connect?contact={contact}"
    return caller._post(url + (f"&bridge={bridge}" if bridge else ""), tw.call_request(call=caller.call))


def dialled_client(root: ET.Element) -> str | None:
    client = root.find("Dial/Client")
    return client.text if client is not None else None


def test_a_transfer_redirect_landing_after_the_accept_still_rings_the_agent_once(
    system: System, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    """The accept and a transfer's late redirect both send the call to /connect; one of them dials."""
    agent1, _ = consoles
    agent1.go("available")
    routing = RoutingEngine(system.redis())

    # The transfer's redirect reaches /connect between the accept's routing step and its redirect:
    # it dials, and the accept learns it must not redirect (that would cut the ringing leg off).
    caller, contact = offered_caller(system, agent1)
    routing.accept(contact_id=contact, agent_id=str(agent1.id))
    answered_at = routing.contact(contact)["answered_at"]
    assert dialled_client(connect(caller, contact)) == f"agent-{agent1.id}"
    assert dialled_client(connect(caller, contact)) == f"agent-{agent1.id}", "a retried webhook dials again"
    assert routing.claim_bridge(contact_id=contact, answered_at=answered_at, by="accept") == "connect"
    caller.status("completed")
    agent1.next_event("agent.state", state="wrap_up")
    agent1.go("available")

    # The accept claimed the bridge first: a late redirect holds the caller in the queue, and the
    # accept's own redirect (which names the assignment) dials.
    caller, contact = offered_caller(system, agent1)
    routing.accept(contact_id=contact, agent_id=str(agent1.id))
    answered_at = routing.contact(contact)["answered_at"]
    assert routing.claim_bridge(contact_id=contact, answered_at=answered_at, by="accept") == "accept"
    held = connect(caller, contact)
    assert held.find("Enqueue") is not None and dialled_client(held) is None
    assert dialled_client(connect(caller, contact, bridge=answered_at)) == f"agent-{agent1.id}"
    caller.status("completed")
