"""An agent on a call puts the caller on hold and takes them back, or sends them to an outside number."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import HOTLINE, System
from tests.console import AgentConsole, signed_in_console
from tests.hotline import wait_until
from twilio_sandbox import place_call, wait_for_call


@pytest.fixture
def agent1(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent1")


def connected_call(system: System, agent: AgentConsole, talk_seconds: int) -> tuple[str, dict[str, Any]]:
    """A call the agent accepted and the sandbox bridged (no browser phone: it answers for the agent)."""
    agent.go("available")
    call_sid = place_call(
        system.sandbox_url, from_="+8613900139000", to=HOTLINE, digits=["1", "1"], talk_seconds=talk_seconds
    )
    offer = agent.next_event("offer.created")
    assert agent.accept(offer["contact"]).status_code == 200
    agent.next_event("agent.state", state="busy")
    wait_until(lambda: bridges(system, call_sid) >= 1, timeout=15)
    return call_sid, offer


def log_of(system: System, call_sid: str) -> list[dict[str, Any]]:
    return httpx.get(f"{system.sandbox_url}/sandbox/calls/{call_sid}").json()["log"]


def bridges(system: System, call_sid: str) -> int:
    return sum(1 for entry in log_of(system, call_sid) if entry["event"] == "bridged")


def test_hold_plays_music_and_resume_rings_the_agent_again(system: System, agent1: AgentConsole) -> None:
    call_sid, offer = connected_call(system, agent1, talk_seconds=12)
    contact = offer["contact"]

    assert agent1.post(f"/api/agent/contacts/{contact}/hold").json() == {"ok": True, "state": "held"}
    agent1.next_event("contact.held", contact=contact)

    def hold_music_after_the_hold_prompt() -> bool:  # music also played while the caller waited in the queue
        log = log_of(system, call_sid)
        told = [i for i, e in enumerate(log) if e["event"] == "say" and e["text"] == "请稍候,客服代表马上回来。"]
        return bool(told) and any(e["event"] == "play" and "hold-music" in e["url"] for e in log[told[0] :])

    wait_until(hold_music_after_the_hold_prompt, timeout=15)
    assert agent1.post(f"/api/agent/contacts/{contact}/hold").json()["state"] == "held"  # a second click: no change

    assert agent1.post(f"/api/agent/contacts/{contact}/resume").json() == {"ok": True, "state": "resumed"}
    agent1.next_event("contact.resumed", contact=contact)
    wait_until(lambda: bridges(system, call_sid) >= 2, timeout=15)
    assert agent1.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    agent1.next_event("contact.ended", contact=contact)
    assert wait_for_call(system.sandbox_url, call_sid, timeout=20)["status"] == "completed"
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
