"""Listening in ends by itself when the agent leaves (a transfer), when the call ends, or when the
monitor's phone fails or hangs up; and what the agent and the wallboards are told (SHOW_MONITORING, the
routing record and its events). Joining, modes and refusals: tests/test_monitoring.py."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from queues.engine import RoutingEngine, RoutingError
from queues.stream import concerns
from tests.conftest import StartInProcess, System
from tests.console import AgentConsole, signed_in_console
from tests.hotline import wait_until
from tests.legs import client_legs, replay_status
from tests.monitoring import (
    audit_of,
    connected_call,
    end_call,
    leave,
    monitor,
    monitor_in_room,
    monitored,
    out_of_room,
    people,
    user_id,
)
from tests.routing_realtime import available, enqueue, events
from tests.routing_steps import answer
from twilio_sandbox import wait_for_call


@pytest.fixture
def agent1(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent1")


def test_a_transfer_takes_the_monitor_out_with_the_agent(system: System, agent1: AgentConsole) -> None:
    call_sid, contact = connected_call(system, agent1)
    lead = system.login("supervisor")
    me = user_id(lead)
    assert monitor(lead, contact, "whisper").status_code == 200
    monitor_in_room(system, contact, f"monitor-{me}")

    assert agent1.post(f"/api/agent/contacts/{contact}/transfer", {"queue": "repair"}).status_code == 200

    left = agent1.next_event("contact.monitored", contact=contact, mode="")
    assert left["reason"] == "agent_left" and left["monitor"] == str(me)
    assert wait_until(lambda: out_of_room(system, contact, f"monitor-{me}"), timeout=10)
    assert people(system, contact)["caller"]["hold"] is True  # the caller waits for the next agent, alone
    assert audit_of(system, contact)[-1][:2] == ("monitor_left", "system")
    assert audit_of(system, contact)[-1][2]["reason"] == "agent_left"
    assert leave(lead, contact).status_code == 409
    httpx.post(f"{system.sandbox_url}/sandbox/calls/{call_sid}/hangup", json={"side": "caller"}).raise_for_status()
    assert wait_for_call(system.sandbox_url, call_sid, timeout=20)["status"] == "completed"
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})


def test_the_end_of_the_call_takes_the_monitor_out(system: System, agent1: AgentConsole) -> None:
    call_sid, contact = connected_call(system, agent1)
    qa = system.login("qa")
    me = user_id(qa)
    assert monitor(qa, contact, "listen").status_code == 200
    monitor_in_room(system, contact, f"monitor-{me}")

    end_call(system, agent1, contact, call_sid)

    assert monitored(agent1, contact, mode="")["monitor"] == str(me)
    assert wait_until(lambda: out_of_room(system, contact, f"monitor-{me}"), timeout=10)
    assert [kind for kind, _, _ in audit_of(system, contact)] == ["monitor_joined", "monitor_left"]
    # Free again: the next call may be listened to.
    call_sid, contact = connected_call(system, agent1, caller="+8613900139002")
    assert monitor(qa, contact, "listen").status_code == 200
    end_call(system, agent1, contact, call_sid)


def test_a_monitor_whose_phone_fails_or_hangs_up_is_taken_out(system: System, agent1: AgentConsole) -> None:
    call_sid, contact = connected_call(system, agent1)
    lead = system.login("supervisor")
    me = user_id(lead)
    httpx.post(f"{system.sandbox_url}/sandbox/faults", json={"client_call_failures": 1}).raise_for_status()

    assert monitor(lead, contact, "listen").status_code == 200  # the phone's leg fails before ringing

    assert monitored(agent1, contact, mode="", reason="not_answered")["monitor"] == str(me)
    device = f"{system.sandbox_url}/sandbox/clients/agent-{me}"
    httpx.post(f"{device}/register").raise_for_status()
    try:
        assert monitor(lead, contact, "barge").status_code == 200  # free again: a new leg
        ringing = wait_until(lambda: httpx.get(f"{device}/calls").json(), timeout=10)[0]
        httpx.post(f"{device}/calls/{ringing['call_sid']}/answer").raise_for_status()
        monitor_in_room(system, contact, f"monitor-{me}", muted=False)

        httpx.post(f"{device}/calls/{ringing['call_sid']}/hangup").raise_for_status()

        assert monitored(agent1, contact, mode="", reason="hung_up")["previous_mode"] == "barge"
    finally:
        httpx.delete(f"{device}/register")
    audited = [
        ("monitor_joined", f"user:{me}", None),
        ("monitor_left", "system", "not_answered"),
        ("monitor_joined", f"user:{me}", None),
        ("monitor_left", f"user:{me}", "hung_up"),
    ]  # written a moment after the console heard of it
    assert wait_until(lambda: [(kind, who, d.get("reason")) for kind, who, d in audit_of(system, contact)] == audited)
    end_call(system, agent1, contact, call_sid)


def test_a_late_report_of_an_earlier_phone_leg_does_not_take_out_the_one_being_placed(
    system: System, agent1: AgentConsole
) -> None:
    """Twilio may deliver a leg's status callback late, or twice. A leg on its way has no CallSid yet, so
    any end reported for the monitor counted as its own: the failed first leg's report, delivered again
    while the second leg was being placed, took the monitor out and hung up on their phone."""
    call_sid, contact = connected_call(system, agent1)
    lead = system.login("supervisor")
    me = user_id(lead)
    faults = f"{system.sandbox_url}/sandbox/faults"
    earlier = len(client_legs(system, f"agent-{me}"))  # other tests' legs (the sandbox is the session's)
    httpx.post(faults, json={"client_call_failures": 1}).raise_for_status()
    assert monitor(lead, contact, "listen").status_code == 200
    monitored(agent1, contact, mode="", reason="not_answered")
    (failed,) = client_legs(system, f"agent-{me}")[earlier:]

    httpx.post(faults, json={"slow_participant_answers": 1}).raise_for_status()
    with ThreadPoolExecutor(1) as pool:
        joining = pool.submit(monitor, lead, contact, "barge")
        wait_until(lambda: len(client_legs(system, f"agent-{me}")) == earlier + 2, timeout=10)  # placed, not answered
        assert replay_status(system, failed, "failed").status_code == 200
        assert joining.result().status_code == 200

    monitor_in_room(system, contact, f"monitor-{me}", muted=False)  # an idle phone answers by itself
    assert [(kind, data.get("reason")) for kind, _, data in audit_of(system, contact)] == [
        ("monitor_joined", None),
        ("monitor_left", "not_answered"),
        ("monitor_joined", None),
    ]
    assert leave(lead, contact).status_code == 200
    end_call(system, agent1, contact, call_sid)


def next_monitored(wallboard: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    """The next `contact.monitored` event on a wallboard socket (the snapshot and other events skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        event = json.loads(wallboard.recv(timeout=max(0.01, deadline - time.monotonic())))
        if event["type"] == "contact.monitored":
            return dict(event)


def test_when_the_hotline_hides_monitoring_the_agents_console_is_not_told(start_in_process: StartInProcess) -> None:
    with start_in_process({"SHOW_MONITORING": "false", "OFFER_TIMEOUT_SECONDS": "3"}) as hidden:
        agent = AgentConsole(hidden, "agent1")
        lead = hidden.login("supervisor")
        cookie = "; ".join(f"{name}={value}" for name, value in lead.cookies.items())
        url = hidden.base_url.replace("http", "ws", 1) + "/supervisors/ws"
        try:
            with connect(url, additional_headers={"Cookie": cookie}) as wallboard:
                wallboard.send(json.dumps({"type": "hello", "last_seq": None}))
                call_sid, contact = connected_call(hidden, agent)
                assert monitor(lead, contact, "listen").status_code == 200
                monitor_in_room(hidden, contact, f"monitor-{user_id(lead)}", muted=True)

                joined = next_monitored(wallboard)  # wallboards are told
                assert (joined["mode"], joined["hidden_from_agent"]) == ("listen", True)
                again = AgentConsole(hidden, "agent1")
                assert "monitors" not in again.snapshot["contact"]
                again.close()
                assert leave(lead, contact).status_code == 200
                assert next_monitored(wallboard)["mode"] == ""  # and of the leaving
                end_call(hidden, agent, contact, call_sid)
            # The console got the call's events in order, up to its end, and none of the monitoring ones.
            assert "contact.monitored" not in [e["type"] for e in agent.seen]
            assert agent.http.get("/api/agent/options").json()["show_monitoring"] is False
        finally:
            agent.post("/api/agent/state", {"state": "offline"})
            agent.close()


def test_routing_records_listeners_only_on_an_answered_call_with_one_event_per_change(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    listen: dict[str, Any] = {"contact_id": "c1", "monitor_id": "9", "name": "张伟 Zhang Wei", "agent_id": "a1"}
    with pytest.raises(RoutingError) as offered:
        engine.monitor(**listen, mode="listen")
    assert offered.value.code == "not_live"
    answer(engine, contact_id="c1", agent_id="a1")
    with pytest.raises(RoutingError):
        engine.monitor(**{**listen, "agent_id": "a2"}, mode="listen")  # not that agent's call
    before = len(events(engine))

    assert engine.monitor(**listen, mode="listen") == "listen"
    assert engine.monitor(**listen, mode="listen") == "listen"  # no change, no event
    assert json.loads(engine.contact("c1")["monitors"]) == {
        "9": {"name": "张伟 Zhang Wei", "mode": "listen", "agent": "a1"}
    }
    assert engine.monitor(**listen, mode="whisper", hidden=True) == "whisper"
    assert engine.monitor(contact_id="c1", monitor_id="9", mode="", reason="left") == ""
    assert engine.monitor(contact_id="c1", monitor_id="9", mode="", reason="left") == "none"

    changes = events(engine)[before:]
    assert [(e["type"], e["agent"], e["mode"], e["previous_mode"], e.get("reason")) for e in changes] == [
        ("contact.monitored", "a1", "listen", "", None),
        ("contact.monitored", "a1", "whisper", "listen", None),
        ("contact.monitored", "a1", "", "whisper", "left"),
    ]
    assert [concerns(e, "a1") for e in changes] == [True, False, True]  # hidden: not for the agent's console
    assert "monitors" not in engine.contact("c1")
