"""An agent on a call puts the caller on hold and takes them back, mutes, or sends them to an outside number.

The call is a conference: hold and mute change participants, so nothing ever rings the agent again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agents.conference_events import agent_joined
from tests.audit_log import audit_kinds
from tests.conftest import HOTLINE, System
from tests.console import AgentConsole, signed_in_console
from tests.hotline import wait_until
from tests.rooms import joined_labels, room_events, room_of
from tests.webhooks import signed_post
from twilio_sandbox import place_call, wait_for_call


@pytest.fixture
def agent1(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent1")


def connected_call(system: System, agent: AgentConsole, talk_seconds: int) -> tuple[str, dict[str, Any]]:
    """A call the agent accepted and joined (no browser phone: the sandbox answers for the agent)."""
    agent.go("available")
    call_sid = place_call(
        system.sandbox_url, from_="+8613900139000", to=HOTLINE, digits=["1", "1"], talk_seconds=talk_seconds
    )
    offer = agent.next_event("offer.created")
    assert agent.accept(offer["contact"]).status_code == 200
    agent.next_event("agent.state", state="busy")
    agent.next_event("contact.joined", contact=offer["contact"])
    # Answered once the agent's leg is in; the caller may enter a moment later (their prompt first).
    wait_until(lambda: "caller" in joined_labels(room_of(system.sandbox_url, offer["contact"])), timeout=15)
    return call_sid, offer


def log_of(system: System, call_sid: str) -> list[dict[str, Any]]:
    return httpx.get(f"{system.sandbox_url}/sandbox/calls/{call_sid}").json()["log"]


def test_hold_plays_music_to_the_caller_and_resume_rings_nothing(system: System, agent1: AgentConsole) -> None:
    """Before: hold took the caller out of the bridge and resume rang the agent's phone again (unanswered
    within 20 s, the caller heard "system busy" and was hung up). Now the agent never leaves the room."""
    call_sid, offer = connected_call(system, agent1, talk_seconds=12)
    contact = offer["contact"]

    assert agent1.post(f"/api/agent/contacts/{contact}/hold").json() == {"ok": True, "state": "held"}
    agent1.next_event("contact.held", contact=contact)
    wait_until(lambda: room_events(room_of(system.sandbox_url, contact), "participant-hold"), timeout=15)
    caller = [p for p in room_of(system.sandbox_url, contact)["participants"] if p["label"] == "caller"][0]
    assert caller["hold"] is True and "hold-music" in (caller["music"] or "") and caller["hears"] == []
    assert agent1.post(f"/api/agent/contacts/{contact}/hold").json()["state"] == "held"  # a second click: no change

    assert agent1.post(f"/api/agent/contacts/{contact}/resume").json() == {"ok": True, "state": "resumed"}
    agent1.next_event("contact.resumed", contact=contact)
    wait_until(lambda: room_events(room_of(system.sandbox_url, contact), "participant-unhold"), timeout=15)
    room = room_of(system.sandbox_url, contact)
    assert sorted(joined_labels(room)) == [f"agent-{agent1.id}", "caller"]  # the agent's phone rang once, at the start
    caller = [p for p in room["participants"] if p["label"] == "caller"][0]
    assert caller["hold"] is False and caller["hears"]  # talking again, nothing to answer
    assert agent1.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    agent1.next_event("contact.ended", contact=contact)
    assert wait_for_call(system.sandbox_url, call_sid, timeout=20)["status"] == "completed"
    assert not [e for e in log_of(system, call_sid) if e["event"] == "say" and "系统繁忙" in e["text"]]
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})


def test_mute_silences_the_agent_for_the_caller_and_is_audited(system: System, agent1: AgentConsole) -> None:
    call_sid, offer = connected_call(system, agent1, talk_seconds=12)
    contact = offer["contact"]
    me = f"agent-{agent1.id}"

    def agent_participant() -> dict[str, Any]:
        return [p for p in room_of(system.sandbox_url, contact)["participants"] if p["label"] == me][0]

    assert agent1.post(f"/api/agent/contacts/{contact}/mute", {"muted": True}).json() == {"ok": True, "state": "muted"}
    assert wait_until(lambda: agent_participant()["muted"], timeout=10)
    assert agent_participant()["heard_by"] == []  # the caller no longer hears the agent
    assert agent1.post(f"/api/agent/contacts/{contact}/mute", {"muted": False}).json()["state"] == "unmuted"
    assert wait_until(lambda: not agent_participant()["muted"], timeout=10)
    assert agent1.post(f"/api/agent/contacts/{contact}/mute", {"muted": "yes"}).status_code == 400
    other = system.login("agent2").post(f"/api/agent/contacts/{contact}/mute", json={"muted": True})
    assert other.status_code == 409
    assert [k for k in audit_kinds(system, subject_type="contact", subject_id=contact) if k.endswith("muted")] == [
        "muted",
        "unmuted",
    ]
    agent1.post(f"/api/agent/contacts/{contact}/end")
    agent1.next_event("contact.ended", contact=contact)
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})


def test_an_agent_sends_the_caller_to_an_outside_number(system: System, agent1: AgentConsole) -> None:
    call_sid, offer = connected_call(system, agent1, talk_seconds=12)
    contact = offer["contact"]

    refused = agent1.post(f"/api/agent/contacts/{contact}/transfer", {"number": "call my brother"})
    assert refused.status_code == 400 and "not a phone number" in refused.json()["error"]
    both = agent1.post(f"/api/agent/contacts/{contact}/transfer", {"number": "13912345678", "queue": "repair"})
    assert both.status_code == 400

    assert agent1.post(f"/api/agent/contacts/{contact}/transfer", {"number": "139 1234 5678"}).status_code == 200
    ended = agent1.next_event("contact.ended", contact=contact)
    assert ended["reason"] == "transferred_out"
    agent1.next_event("agent.state", state="wrap_up")
    dialled = wait_until(lambda: [e for e in log_of(system, call_sid) if e["event"] == "dial" and "number" in e])
    assert dialled[-1]["number"] == "+8613912345678"
    assert agent1.post(f"/api/agent/contacts/{contact}/hold").status_code == 409  # it is no longer this agent's
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})


def test_only_the_agent_on_the_call_may_hold_it(system: System, agent1: AgentConsole) -> None:
    call_sid, offer = connected_call(system, agent1, talk_seconds=3)
    agent2 = system.login("agent2")
    refused = agent2.post(f"/api/agent/contacts/{offer['contact']}/hold", json={})
    assert refused.status_code == 409 and "not yours" in refused.json()["error"]
    assert agent2.post("/api/agent/contacts/999999/hold", json={}).status_code == 409
    agent1.next_event("contact.ended", contact=offer["contact"], timeout=20)
    agent1.post(f"/api/agent/contacts/{offer['contact']}/wrap-up", {"next_state": "available"})


def test_a_console_opened_mid_call_gets_the_call_as_it_is_muted_and_held_in_its_snapshot(
    system: System, agent1: AgentConsole
) -> None:
    """A reload mid-call: the new console's snapshot carries the call, when it was answered, its hold and the
    agent's mute. Before, mute was in no snapshot: the reloaded card offered Mute to a muted agent."""
    call_sid, offer = connected_call(system, agent1, talk_seconds=20)
    contact = offer["contact"]
    joined = [e for e in agent1.seen if e["type"] == "contact.joined"][-1]
    assert agent1.post(f"/api/agent/contacts/{contact}/mute", {"muted": True}).json()["state"] == "muted"
    assert agent1.post(f"/api/agent/contacts/{contact}/hold").json()["state"] == "held"

    def reloaded() -> dict[str, Any]:
        again = AgentConsole(system, "agent1")
        again.close()
        assert again.snapshot["type"] == "snapshot"
        return dict(again.snapshot["contact"])

    call = reloaded()
    assert (call["contact"], call["channel"], call["state"]) == (contact, "voice", "assigned")
    assert (call["muted"], call["on_hold"], call["answered_at"]) == (True, True, joined["at"])
    assert agent1.post(f"/api/agent/contacts/{contact}/mute", {"muted": False}).json()["state"] == "unmuted"
    assert agent1.post(f"/api/agent/contacts/{contact}/resume").json()["state"] == "resumed"
    assert (reloaded()["muted"], reloaded()["on_hold"]) == (False, False)
    assert agent1.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    agent1.next_event("contact.ended", contact=contact)
    assert wait_for_call(system.sandbox_url, call_sid, timeout=20)["status"] == "completed"
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})


def test_a_join_twilio_sends_again_does_not_take_the_caller_off_hold(system: System, agent1: AgentConsole) -> None:
    """Twilio retries a conference callback it got no answer to in time (connection overrides): the agent's
    join came again after the agent had put the caller on hold, was handled again, and took them off it
    (a CI run under load)."""
    call_sid, offer = connected_call(system, agent1, talk_seconds=12)
    contact = offer["contact"]
    try:
        assert agent1.post(f"/api/agent/contacts/{contact}/hold").json() == {"ok": True, "state": "held"}
        wait_until(lambda: room_events(room_of(system.sandbox_url, contact), "participant-hold"), timeout=15)
        room = room_of(system.sandbox_url, contact)
        leg = [p for p in room["participants"] if p["label"] == f"agent-{agent1.id}"][0]
        again = {
            "AccountSid": system.credentials[0],
            "ConferenceSid": room["sid"],
            "FriendlyName": room["friendly_name"],
            "StatusCallbackEvent": "participant-join",
            "CallSid": leg["call_sid"],
            "ParticipantLabel": f"agent-{agent1.id}",
        }
        assert signed_post(system, f"/twilio/voice/conference?contact={contact}", again).status_code == 200

        caller = [p for p in room_of(system.sandbox_url, contact)["participants"] if p["label"] == "caller"][0]
        assert caller["hold"] is True  # still on hold
        assert audit_kinds(system, subject_type="contact", subject_id=contact).count("agent_joined") == 1  # once
    finally:
        agent1.post(f"/api/agent/contacts/{contact}/end")
        wait_for_call(system.sandbox_url, call_sid, timeout=20)
        agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})


def test_the_agents_join_handled_after_they_put_the_caller_on_hold_leaves_the_hold_on(
    system: System, agent1: AgentConsole
) -> None:
    """Routing tells the console of the join before the join's handling reaches its last step (taking the caller
    off a transfer's hold): an agent quick to press hold in between had it undone (a loaded CI run)."""
    call_sid, offer = connected_call(system, agent1, talk_seconds=12)
    contact = offer["contact"]
    try:
        assert agent1.post(f"/api/agent/contacts/{contact}/hold").json() == {"ok": True, "state": "held"}
        wait_until(lambda: room_events(room_of(system.sandbox_url, contact), "participant-hold"), timeout=15)
        leg = [p for p in room_of(system.sandbox_url, contact)["participants"] if p["label"] == f"agent-{agent1.id}"]
        services = system.client.app.state.services  # type: ignore[attr-defined]
        # The join's handling, reaching its last step only now (its first steps did run, before the hold).
        agent_joined(services, contact_id=int(contact), agent_id=agent1.id, call_sid=leg[0]["call_sid"])
        caller = [p for p in room_of(system.sandbox_url, contact)["participants"] if p["label"] == "caller"][0]
        assert caller["hold"] is True
    finally:
        agent1.post(f"/api/agent/contacts/{contact}/end")
        wait_for_call(system.sandbox_url, call_sid, timeout=20)
        agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})
