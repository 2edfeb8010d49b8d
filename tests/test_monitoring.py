"""Listening in to live calls: a team lead (their own team's calls) or QA staff join the call's room with
their own phone to listen, whisper to the agent or barge in, switch, and leave; the agent's console is
told who listens; everything is audited; refusals change nothing.

The room is read from the sandbox (`hears` / `heard_by` of each participant). Nobody's browser phone is
registered here unless a test says so, so the sandbox answers the agent's and the monitor's legs by itself.
How listening in ends by itself, and the SHOW_MONITORING setting: tests/test_monitoring_ends.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import cast

import httpx
import pytest
from sqlalchemy.orm import Session
from websockets.sync.client import connect

from contactcenter.users.service import create_user
from tests.conftest import DEMO_PASSWORD, HOTLINE, System
from tests.console import AgentConsole, signed_in_console
from tests.hotline import wait_until
from tests.monitoring import (
    audit_of,
    connected_call,
    end_call,
    leave,
    monitor,
    monitor_in_room,
    out_of_room,
    people,
    user_id,
)
from twilio_sandbox import place_call

OTHER_TEAM = "二组 Team 2"


@pytest.fixture
def agent1(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent1")


@pytest.fixture(scope="module")
def other_lead(system: System) -> httpx.Client:
    """A team lead of another team."""
    with Session(system.sql()) as session:
        create_user(
            session,
            username="lead2",
            password=DEMO_PASSWORD,
            role="supervisor",
            display_name="周敏 Zhou Min",
            queues=[],
            team=OTHER_TEAM,
        )
        session.commit()
    return system.login("lead2")


def test_listening_hears_caller_and_agent_while_nobody_hears_the_listener(system: System, agent1: AgentConsole) -> None:
    call_sid, contact = connected_call(system, agent1)
    lead = system.login("supervisor")
    me = user_id(lead)

    joined = monitor(lead, contact, "listen")

    assert joined.status_code == 200, joined.text
    assert joined.json() == {"ok": True, "state": "listen", "agent": agent1.id, "ring_seconds": 20}
    shown = agent1.next_event("contact.monitored", contact=contact)
    assert (shown["monitor"], shown["monitor_name"], shown["mode"]) == (str(me), "张伟 Zhang Wei", "listen")
    listener = monitor_in_room(system, contact, f"monitor-{me}", muted=True, coaching=False)
    room = people(system, contact)
    caller, agent = room["caller"]["call_sid"], room[f"agent-{agent1.id}"]["call_sid"]
    assert sorted(listener["hears"]) == sorted([caller, agent])
    assert listener["heard_by"] == []
    assert room["caller"]["hears"] == [agent] and room[f"agent-{agent1.id}"]["hears"] == [caller]
    # A reconnecting console is shown who listens in its snapshot.
    again = AgentConsole(system, "agent1")
    assert again.snapshot["contact"]["monitors"] == [{"monitor": str(me), "name": "张伟 Zhang Wei", "mode": "listen"}]
    again.close()
    assert monitor(lead, contact, "listen").json()["state"] == "listen"  # a second click changes nothing
    assert [kind for kind, _, _ in audit_of(system, contact)] == ["monitor_joined"]
    end_call(system, agent1, contact, call_sid)


def test_whispering_is_heard_by_the_agent_and_not_by_the_caller(system: System, agent1: AgentConsole) -> None:
    call_sid, contact = connected_call(system, agent1)
    qa = system.login("qa")  # QA staff listen to any team's calls
    me = user_id(qa)

    assert monitor(qa, contact, "whisper").status_code == 200
    room = people(system, contact)
    agent = room[f"agent-{agent1.id}"]["call_sid"]
    whisperer = monitor_in_room(system, contact, f"monitor-{me}", muted=False, coaching=True)

    assert whisperer["call_sid_to_coach"] == agent
    assert whisperer["heard_by"] == [agent]
    room = people(system, contact)
    assert whisperer["call_sid"] in room[f"agent-{agent1.id}"]["hears"]
    assert whisperer["call_sid"] not in room["caller"]["hears"]
    assert agent1.next_event("contact.monitored", contact=contact)["mode"] == "whisper"
    assert leave(qa, contact).json() == {"ok": True, "state": "left"}
    end_call(system, agent1, contact, call_sid)


def test_barging_in_is_heard_by_caller_and_agent(system: System, agent1: AgentConsole) -> None:
    call_sid, contact = connected_call(system, agent1)
    lead = system.login("supervisor")

    assert monitor(lead, contact, "barge").status_code == 200
    barger = monitor_in_room(system, contact, f"monitor-{user_id(lead)}", muted=False, coaching=False)

    room = people(system, contact)
    both = [room["caller"]["call_sid"], room[f"agent-{agent1.id}"]["call_sid"]]
    assert sorted(barger["heard_by"]) == sorted(both) and sorted(barger["hears"]) == sorted(both)
    end_call(system, agent1, contact, call_sid)


def test_switching_modes_changes_who_hears_the_monitor_and_every_step_is_audited(
    system: System, agent1: AgentConsole
) -> None:
    call_sid, contact = connected_call(system, agent1)
    lead = system.login("supervisor")
    me = user_id(lead)
    label = f"monitor-{me}"
    assert monitor(lead, contact, "listen").status_code == 200
    monitor_in_room(system, contact, label, muted=True)
    room = people(system, contact)
    caller, agent = room["caller"]["call_sid"], room[f"agent-{agent1.id}"]["call_sid"]

    switched = monitor(lead, contact, "whisper")
    assert switched.json() == {"ok": True, "state": "whisper", "agent": agent1.id, "ring_seconds": 0}
    assert monitor_in_room(system, contact, label, muted=False, coaching=True)["heard_by"] == [agent]
    assert monitor(lead, contact, "barge").status_code == 200
    assert sorted(monitor_in_room(system, contact, label, coaching=False)["heard_by"]) == sorted([caller, agent])
    assert monitor(lead, contact, "listen").status_code == 200
    assert monitor_in_room(system, contact, label, muted=True, coaching=False)["heard_by"] == []
    assert leave(lead, contact).status_code == 200

    modes = [agent1.next_event("contact.monitored", contact=contact)["mode"] for _ in range(5)]
    assert modes == ["listen", "whisper", "barge", "listen", ""]
    assert [(kind, actor, data["mode"], data["agent_id"]) for kind, actor, data in audit_of(system, contact)] == [
        ("monitor_joined", f"user:{me}", "listen", agent1.id),
        ("monitor_mode_changed", f"user:{me}", "whisper", agent1.id),
        ("monitor_mode_changed", f"user:{me}", "barge", agent1.id),
        ("monitor_mode_changed", f"user:{me}", "listen", agent1.id),
        ("monitor_left", f"user:{me}", "listen", agent1.id),
    ]
    assert audit_of(system, contact)[-1][2]["reason"] == "left"
    end_call(system, agent1, contact, call_sid)


def test_leaving_takes_the_monitors_phone_out_of_the_room(system: System, agent1: AgentConsole) -> None:
    call_sid, contact = connected_call(system, agent1)
    lead = system.login("supervisor")
    label = f"monitor-{user_id(lead)}"
    assert monitor(lead, contact, "listen").status_code == 200
    monitor_in_room(system, contact, label)

    assert leave(lead, contact).json() == {"ok": True, "state": "left"}

    assert wait_until(lambda: out_of_room(system, contact, label), timeout=10)
    left = agent1.next_event("contact.monitored", contact=contact, mode="")
    assert left["reason"] == "left" and left["previous_mode"] == "listen"
    assert b"monitors" not in system.redis().hgetall(f"cc:{{rt}}:contact:{contact}")
    again = leave(lead, contact)
    assert again.status_code == 409 and "not listening" in again.json()["error"]
    assert people(system, contact)["caller"]["status"] == "connected"  # the call goes on
    end_call(system, agent1, contact, call_sid)


def test_agents_managers_and_another_teams_lead_are_refused_and_nothing_changes(
    system: System, agent1: AgentConsole, other_lead: httpx.Client
) -> None:
    call_sid, contact = connected_call(system, agent1)
    seq = int(system.redis().get("cc:{rt}:seq") or 0)

    for username in ("agent2", "manager"):
        refused = monitor(system.login(username), contact, "listen")
        assert refused.status_code == 403, refused.text
        assert "team leads and QA staff" in refused.json()["error"]
    outsider = monitor(other_lead, contact, "barge")
    assert outsider.status_code == 403
    assert outsider.json()["error"].startswith("Agent agent1 is in team 一组 Team 1, not in yours (二组 Team 2)")
    assert monitor(system.login("supervisor"), contact, "shout").status_code == 400
    assert monitor(system.login("supervisor"), "999999", "listen").status_code == 404

    since = cast(list[tuple[bytes, dict[bytes, bytes]]], system.redis().xrange("cc:{rt}:events", min=f"({seq}-0"))
    assert not [e for _, e in since if b"contact.monitored" in e[b"e"]]  # the agent was told nothing
    assert sorted(people(system, contact)) == sorted(["caller", f"agent-{agent1.id}"])
    assert audit_of(system, contact) == []
    end_call(system, agent1, contact, call_sid)


def test_a_call_whose_agent_has_not_joined_yet_cannot_be_listened_to(system: System, agent1: AgentConsole) -> None:
    identity = f"agent-{agent1.id}"
    device = f"{system.sandbox_url}/sandbox/clients/{identity}"
    httpx.post(f"{device}/register").raise_for_status()  # a registered phone rings until answered
    try:
        agent1.go("available")
        call_sid = place_call(system.sandbox_url, from_="+8613900139001", to=HOTLINE, digits=["1", "1"])
        contact = str(agent1.next_event("offer.created")["contact"])
        lead = system.login("supervisor")
        assert monitor(lead, contact, "listen").status_code == 409  # offered
        assert agent1.accept(contact).status_code == 200
        ringing = wait_until(lambda: httpx.get(f"{device}/calls").json(), timeout=10)[0]

        refused = monitor(lead, contact, "listen")  # connecting: the agent's phone rings

        assert refused.status_code == 409 and "not live" in refused.json()["error"]
        assert audit_of(system, contact) == []
        httpx.post(f"{device}/calls/{ringing['call_sid']}/answer").raise_for_status()
        agent1.next_event("contact.joined", contact=contact)
        assert monitor(lead, contact, "listen").status_code == 200  # joined: now it may
        assert leave(lead, contact).status_code == 200
        end_call(system, agent1, contact, call_sid)
    finally:
        httpx.delete(f"{device}/register")


def test_a_chat_cannot_be_listened_to(system: System, agent1: AgentConsole) -> None:
    form = {"name": "孙女士", "phone": "13912345678", "topic": "complaint", "language": "zh-CN"}
    started = httpx.post(system.base_url + "/api/chat/start", json=form, timeout=15).json()
    contact = str(started["contact"])
    with connect(system.base_url.replace("http", "ws", 1) + "/chat/ws") as customer:
        customer.send(json.dumps({"type": "hello", "token": started["token"], "last_message_id": 0}))
        agent1.go("available")
        agent1.next_event("offer.created", contact=contact)
        assert agent1.accept(contact).status_code == 200

        refused = monitor(system.login("supervisor"), contact, "listen")

        assert refused.status_code == 409 and "chat" in refused.json()["error"]
        customer.send(json.dumps({"type": "leave"}))
    agent1.next_event("contact.ended", contact=contact)
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})
    assert audit_of(system, contact) == []


def test_one_call_at_a_time_and_never_while_taking_calls(system: System, agent1: AgentConsole) -> None:
    lead = AgentConsole(system, "supervisor")  # a team lead who also takes calls
    agent2 = AgentConsole(system, "agent2")
    try:
        call_sid, contact = connected_call(system, agent1)
        lead.go("available")  # after agent1's call came: it is agent1's
        refused = monitor(lead.http, contact, "listen")
        assert refused.status_code == 409 and "go not ready first" in refused.json()["error"]
        lead.post("/api/agent/state", {"state": "not_ready", "reason": "meeting"})
        assert monitor(lead.http, contact, "listen").status_code == 200
        other_sid, other = connected_call(system, agent2, caller="+8613900139003")

        busy = monitor(lead.http, other, "listen")

        assert busy.status_code == 409 and f"listening to contact {contact}; leave it first" in busy.json()["error"]
        assert leave(lead.http, contact).status_code == 200
        assert monitor(lead.http, other, "barge").status_code == 200
        end_call(system, agent2, other, other_sid)
        end_call(system, agent1, contact, call_sid)
    finally:
        for console in (lead, agent2):
            console.post("/api/agent/state", {"state": "offline"})
            console.close()
