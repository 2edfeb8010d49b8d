"""Transfers: the caller moves to another agent or queue and keeps the same contact and ticket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
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
    # The caller stays until the colleague is in (a 2 s talk ended, under load, before the transfer did).
    call_sid = place_call(system.sandbox_url, from_="+8613200132000", to=HOTLINE, digits=["1", "1"], talk_seconds=60)
    offer = agent1.next_event("offer.created")
    assert agent1.accept(offer["contact"]).status_code == 200
    wait_until(lambda: get_call(system.sandbox_url, call_sid)["bridged"])

    hold = f"/api/agent/contacts/{offer['contact']}/hold"
    assert agent1.post(hold).json()["state"] == "held"  # a hold before the transfer: still one recording
    assert agent1.post(f"/api/agent/contacts/{offer['contact']}/resume").json()["state"] == "resumed"
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
    agent2.next_event("contact.joined", contact=offer["contact"])

    def off_hold_to_the_colleague() -> bool:  # the colleague's join takes the caller off hold
        return len(room_events(room_of(system.sandbox_url, offer["contact"]), "participant-unhold")) == 2

    assert wait_until(off_hold_to_the_colleague)
    httpx.post(f"{system.sandbox_url}/sandbox/calls/{call_sid}/hangup", json={"side": "caller"}).raise_for_status()

    call = wait_for_call(system.sandbox_url, call_sid, timeout=30)
    assert call["status"] == "completed"
    # One room all along: the caller waited in it on hold while the call changed hands.
    room = room_of(system.sandbox_url, offer["contact"])
    labels = joined_labels(room)  # the caller and the first agent's phone join side by side
    assert sorted(labels[:2]) == [f"agent-{agent1.id}", "caller"] and labels[2:] == [f"agent-{agent2.id}"]
    assert [e["label"] for e in room_events(room, "participant-hold")] == ["caller", "caller"]  # hold, transfer
    assert [e["label"] for e in room_events(room, "participant-unhold")] == ["caller", "caller"]
    assert wait_until(lambda: len(room_of(system.sandbox_url, offer["contact"])["recording_sids"]) == 1)

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


def participant(room: dict[str, Any], label: str) -> dict[str, Any]:
    return next(p for p in room["participants"] if p["label"] == label)


def warm_transfer_to_agent2(
    system: System, agent1: AgentConsole, agent2: AgentConsole, number: str
) -> tuple[str, str, dict[str, Any]]:
    """agent1 talks to a caller, then consults agent2 (who accepts and joins); returns the call, contact, offer."""
    agent1.go("available")
    call_sid = place_call(system.sandbox_url, from_=number, to=HOTLINE, digits=["1", "1"], talk_seconds=30)
    offer = agent1.next_event("offer.created")
    contact = offer["contact"]
    assert agent1.accept(contact).status_code == 200
    agent1.next_event("contact.joined", contact=contact)
    # Answered once agent1's leg is in; the caller may enter a moment later (their prompt first).
    wait_until(lambda: "caller" in joined_labels(room_of(system.sandbox_url, contact)), timeout=15)
    agent2.go("available")
    body = {"agent": agent2.id, "warm": True, "note": "客户要改地址 wants a new delivery address"}
    assert agent1.post(f"/api/agent/contacts/{contact}/transfer", body).status_code == 200
    agent1.next_event("contact.consulting", contact=contact)

    handed = agent2.next_event("offer.created", contact=contact)
    assert handed["info"]["transfer"]["from_name"] == "王芳 Wang Fang"
    assert handed["info"]["transfer"]["note"] == body["note"] and handed["info"]["transfer"]["kind"] == "warm"
    pop = agent2.http.get(f"/api/agent/contacts/{contact}/screen-pop").json()
    assert pop["contact"]["transfer"]["note"] == body["note"]
    assert agent2.accept(contact).status_code == 200
    agent1.next_event("consult.joined", contact=contact, by=agent2.id)

    # The two agents talk; the caller waits on hold and hears neither.
    def consulting() -> dict[str, Any] | None:
        room = room_of(system.sandbox_url, contact)
        labels = {p["label"] for p in room["participants"]}
        return room if {f"agent-{agent1.id}", f"agent-{agent2.id}"} <= labels else None

    room = wait_until(consulting, timeout=15)
    first, second = participant(room, f"agent-{agent1.id}"), participant(room, f"agent-{agent2.id}")
    assert participant(room, "caller")["hold"] is True and participant(room, "caller")["hears"] == []
    assert second["call_sid"] in first["hears"] and first["call_sid"] in second["hears"]
    return call_sid, contact, offer


def test_a_warm_transfer_completed_leaves_the_caller_with_the_colleague_and_the_first_agent_writes_up(
    system: System, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    agent1, agent2 = consoles
    call_sid, contact, offer = warm_transfer_to_agent2(system, agent1, agent2, "+8613200132011")

    assert agent1.post(f"/api/agent/contacts/{contact}/transfer/complete").json()["ok"] is True
    assert agent1.next_event("agent.state", state="wrap_up")["reason"] == "transferred"

    def handed_over() -> dict[str, Any] | None:
        room = room_of(system.sandbox_url, contact)
        labels = {p["label"] for p in room["participants"]}
        return room if labels == {"caller", f"agent-{agent2.id}"} and not participant(room, "caller")["hold"] else None

    room = wait_until(handed_over, timeout=15)
    assert participant(room, f"agent-{agent2.id}")["call_sid"] in participant(room, "caller")["hears"]
    # The first agent's wrap-up is a form to fill, not an idle card: it saves.
    wrapped = agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"note": "转给李明", "next_state": "available"})
    assert wrapped.status_code == 200, wrapped.text
    assert agent1.post(f"/api/agent/contacts/{contact}/transfer/complete").status_code == 409  # once

    assert agent2.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    assert wait_for_call(system.sandbox_url, call_sid, timeout=30)["status"] == "completed"
    assert wait_until(lambda: len(room_of(system.sandbox_url, contact)["recording_sids"]) == 1, timeout=10)
    ticket = agent2.http.get(f"/api/tickets/{offer['info']['ticket_id']}").json()
    assert ticket["contacts"][0]["agent"] == "李明 Li Ming"
    assert "转给李明" in [n["body"] for n in ticket["notes"]]
    agent2.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})


def test_a_warm_transfer_canceled_sends_the_colleague_away_and_the_caller_back_to_the_agent(
    system: System, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    agent1, agent2 = consoles
    call_sid, contact, _ = warm_transfer_to_agent2(system, agent1, agent2, "+8613200132012")

    assert agent2.post(f"/api/agent/contacts/{contact}/transfer/cancel").status_code == 409  # not theirs to cancel
    assert agent1.post(f"/api/agent/contacts/{contact}/transfer/cancel").json()["ok"] is True
    agent2.next_event("consult.canceled", contact=contact)
    agent2.next_event("agent.state", state="available")

    def back_with_the_agent() -> dict[str, Any] | None:
        room = room_of(system.sandbox_url, contact)
        labels = {p["label"] for p in room["participants"]}
        return room if labels == {"caller", f"agent-{agent1.id}"} and not participant(room, "caller")["hold"] else None

    room = wait_until(back_with_the_agent, timeout=15)
    assert participant(room, f"agent-{agent1.id}")["call_sid"] in participant(room, "caller")["hears"]
    assert agent1.post(f"/api/agent/contacts/{contact}/hold").json()["state"] == "held"  # the call is theirs again
    assert agent1.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    agent1.next_event("agent.state", state="wrap_up")
    assert wait_for_call(system.sandbox_url, call_sid, timeout=30)["status"] == "completed"
    assert wait_until(lambda: len(room_of(system.sandbox_url, contact)["recording_sids"]) == 1, timeout=10)
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})


def test_a_warm_transfer_is_refused_for_a_chat_an_outside_number_or_someone_elses_call(
    system: System, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    agent1, agent2 = consoles
    agent1.go("available")
    place_call(system.sandbox_url, from_="+8613200132013", to=HOTLINE, digits=["1", "1"], talk_seconds=10)
    contact = agent1.next_event("offer.created")["contact"]
    agent1.accept(contact)
    agent1.next_event("contact.joined", contact=contact)
    url = f"/api/agent/contacts/{contact}/transfer"
    assert agent1.post(url, {"number": "13912345678", "warm": True}).status_code == 400
    assert agent2.post(url, {"queue": "general", "warm": True}).status_code == 409
    assert agent1.post(url, {"queue": "general", "warm": "yes"}).status_code == 400
    assert agent1.post(url, {"queue": "general", "warm": True, "note": "x" * 1001}).status_code == 400
    assert agent1.post(f"/api/agent/contacts/{contact}/transfer/complete").status_code == 409  # no transfer on
    room = room_of(system.sandbox_url, contact)
    assert not participant(room, "caller")["hold"]  # the refusals changed nothing
    agent1.post(f"/api/agent/contacts/{contact}/end")
    agent1.next_event("agent.state", state="wrap_up")
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})
