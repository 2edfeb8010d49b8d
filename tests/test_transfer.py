"""Transfers: the caller moves to another agent or queue and keeps the same contact and ticket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import HOTLINE, System
from tests.console import AgentConsole
from tests.ivr_caller import Caller
from tests.rooms import joined_labels, room_events, room_of
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
    assert call["status"] == "completed"
    # One room all along: the caller waited in it on hold while the call changed hands.
    room = room_of(system.sandbox_url, offer["contact"])
    assert joined_labels(room) == ["caller", f"agent-{agent1.id}", f"agent-{agent2.id}"]
    assert [e["label"] for e in room_events(room, "participant-hold")] == ["caller"]
    assert [e["label"] for e in room_events(room, "participant-unhold")] == ["caller"]
    assert len(room["recording_sids"]) == 1

    def the_recording() -> dict[str, Any] | None:
        ticket = agent2.http.get(f"/api/tickets/{offer['info']['ticket_id']}").json()
        return ticket if ticket["recordings"] else None

    ticket = wait_until(the_recording, timeout=30)
    assert len(ticket["recordings"]) == 1  # the whole call, across the transfer
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
