"""The supervisor wallboard over HTTP and its websocket: who sees what (team scoping), the live
picture (snapshot, then events), the queue figures over time and the supervisor's actions."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from contactcenter.users.service import create_user
from tests.conftest import DEMO_PASSWORD, HOTLINE, System
from tests.console import AgentConsole, signed_in_console
from twilio_sandbox import place_call

OTHER_TEAM = "二组 Team 2"
FRONTEND = Path(__file__).resolve().parent.parent / "frontend"


def cookie_of(client: httpx.Client) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


class Wallboard:
    """The supervisor socket as the page uses it: hello, then a snapshot, then the scope's events."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ws.send(json.dumps({"type": "hello", "last_seq": None}))
        self.snapshot = json.loads(ws.recv(timeout=10))
        self.seen: list[dict[str, Any]] = []

    def next_event(self, type_: str, timeout: float = 15, **fields: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {type_} {fields}; saw {[e['type'] for e in self.seen]}")
            event = json.loads(self.ws.recv(timeout=remaining))
            self.seen.append(event)
            if event["type"] == type_ and all(str(event.get(k)) == str(v) for k, v in fields.items()):
                return event


@contextmanager
def wallboard_socket(system: System, client: httpx.Client | None) -> Iterator[ClientConnection]:
    headers = {"Cookie": cookie_of(client)} if client else {}
    with connect(system.base_url.replace("http", "ws", 1) + "/supervisors/ws", additional_headers=headers) as ws:
        yield ws


@pytest.fixture(scope="module")
def outsider(system: System) -> int:
    """An agent of another team, serving the general queue."""
    with Session(system.sql()) as session:
        user = create_user(
            session,
            username="zhaolei",
            password=DEMO_PASSWORD,
            role="agent",
            display_name="赵磊 Zhao Lei",
            queues=["general"],
            team=OTHER_TEAM,
        )
        session.commit()
        return user.id


@pytest.fixture
def agent1(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent1")


def test_the_page_is_for_supervisors_managers_admins_and_qa_staff(system: System) -> None:
    anonymous = httpx.get(system.base_url + "/wallboard", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/wallboard"
    refused = system.login("agent1").get("/wallboard")
    assert refused.status_code == 403
    assert "The wallboard is for supervisors, managers, admins and QA staff" in refused.text
    for username in ("supervisor", "manager", "qa"):
        page = system.login(username).get("/wallboard")
        assert page.status_code == 200 and "/static/agents/wallboard.js" in page.text


def test_the_charting_library_is_served_by_the_app_at_the_pinned_version(system: System) -> None:
    pinned = json.loads((FRONTEND / "package.json").read_text())["dependencies"]["uplot"]
    locked = json.loads((FRONTEND / "package-lock.json").read_text())["packages"]["node_modules/uplot"]["version"]
    assert pinned == locked and pinned[0].isdigit()  # an exact version, not a range
    served = httpx.get(system.base_url + "/static/agents/vendor/uplot/uPlot.iife.min.js", timeout=15)
    assert served.status_code == 200 and served.text.startswith(f"/*! https://github.com/leeoniya/uPlot (v{pinned}) */")
    for name in ("uPlot.min.css", "LICENSE"):
        assert httpx.get(f"{system.base_url}/static/agents/vendor/uplot/{name}", timeout=15).status_code == 200


def test_a_supervisor_sees_their_own_team_and_a_manager_everyone(system: System, outsider: int) -> None:
    supervisor, manager = system.login("supervisor"), system.login("manager")
    mine = supervisor.get("/api/wallboard/agents").json()
    assert {a["username"] for a in mine} == {"agent1", "agent2", "supervisor"}
    assert {a["team"] for a in mine} == {"一组 Team 1"}
    everyone = manager.get("/api/wallboard/agents").json()
    assert {"agent1", "agent2", "supervisor", "zhaolei"} <= {a["username"] for a in everyone}
    assert [a["username"] for a in manager.get("/api/wallboard/agents", params={"team": OTHER_TEAM}).json()] == [
        "zhaolei"
    ]

    peek = supervisor.get(f"/api/wallboard/agents/{outsider}")
    assert peek.status_code == 403 and OTHER_TEAM in peek.json()["error"]
    other_team = supervisor.get("/api/wallboard/agents", params={"team": OTHER_TEAM})
    assert other_team.status_code == 403 and "not yours to see" in other_team.json()["error"]
    assert manager.get(f"/api/wallboard/agents/{outsider}").json()["state"] == "offline"
    assert supervisor.get("/api/wallboard/agents/999999").status_code == 404

    # The snapshot's queues are those the team serves; every queue for the manager.
    assert [q["name"] for q in supervisor.get("/api/wallboard").json()["queues"]] == ["complaints", "general", "repair"]
    assert system.login("agent1").get("/api/wallboard").status_code == 403


def test_qa_staff_watch_every_team_and_manage_nobody(system: System, outsider: int) -> None:
    """QA listen in to any team's calls from the wallboard (tests/test_monitoring.py); they change nothing."""
    qa = system.login("qa")
    assert qa.get("/api/wallboard").json()["scope"] == {"team": None, "everyone": True}
    assert {"agent1", "zhaolei"} <= {a["username"] for a in qa.get("/api/wallboard/agents").json()}
    assert qa.get(f"/api/wallboard/agents/{outsider}").json()["state"] == "offline"
    assert qa.post(f"/api/agents/{outsider}/state", json={"state": "not_ready", "reason": "x"}).status_code == 403


def test_a_supervisor_may_not_force_the_state_of_another_teams_agent(system: System, outsider: int) -> None:
    supervisor, manager = system.login("supervisor"), system.login("manager")
    refused = supervisor.post(f"/api/agents/{outsider}/state", json={"state": "not_ready", "reason": "coaching"})
    assert refused.status_code == 403
    assert refused.json()["error"].startswith("Agent zhaolei is in team 二组 Team 2, not in yours (一组 Team 1)")
    assert manager.get(f"/api/wallboard/agents/{outsider}").json()["state"] == "offline"

    forced = manager.post(f"/api/agents/{outsider}/state", json={"state": "not_ready", "reason": "coaching"})
    assert forced.status_code == 200, forced.text
    row = manager.get(f"/api/wallboard/agents/{outsider}").json()
    assert (row["state"], row["reason"]) == ("not_ready", "coaching")
    assert manager.post(f"/api/agents/{outsider}/state", json={"state": "offline"}).status_code == 200


def test_the_socket_refuses_anonymous_users_and_agents(system: System) -> None:
    with pytest.raises(ConnectionClosed) as anonymous, wallboard_socket(system, None) as ws:
        ws.send(json.dumps({"type": "hello", "last_seq": None}))
        ws.recv(timeout=10)
    assert anonymous.value.rcvd is not None and anonymous.value.rcvd.code == 4401
    with pytest.raises(ConnectionClosed) as agent, wallboard_socket(system, system.login("agent1")) as ws:
        ws.send(json.dumps({"type": "hello", "last_seq": None}))
        ws.recv(timeout=10)
    assert agent.value.rcvd is not None and agent.value.rcvd.code == 4403


def test_a_queued_call_shows_as_waiting_then_the_accepting_agent_as_busy(
    system: System, agent1: AgentConsole, outsider: int
) -> None:
    supervisor = system.login("supervisor")
    with wallboard_socket(system, supervisor) as ws:
        board = Wallboard(ws)
        snapshot = board.snapshot
        assert snapshot["type"] == "snapshot" and snapshot["scope"] == {"team": "一组 Team 1", "everyone": False}
        assert {a["username"] for a in snapshot["agents"]} == {"agent1", "agent2", "supervisor"}
        assert {q["name"] for q in snapshot["queues"]} == {"general", "repair", "complaints"}
        assert all("service_level_percent" in q["stats"] for q in snapshot["queues"])

        place_call(system.sandbox_url, from_="+8613800138000", to=HOTLINE, digits=["1", "1"], hangup_after_queue=40)
        queued = board.next_event("contact.queued")
        assert queued["queue"] == "general" and queued["info"]["from"] == "+8613800138000"
        waiting = supervisor.get("/api/wallboard").json()["waiting"]
        assert [(w["contact"], w["queue"], w["state"]) for w in waiting] == [(queued["contact"], "general", "waiting")]
        assert waiting[0]["priority"] == 5  # a key account

        agent1.go("available")
        board.next_event("agent.state", agent=agent1.id, state="available")
        offer = agent1.next_event("offer.created")
        board.next_event("offer.created", contact=queued["contact"], agent=agent1.id)
        assert agent1.accept(offer["contact"]).status_code == 200
        board.next_event("agent.state", agent=agent1.id, state="busy")
        board.next_event("contact.joined", contact=queued["contact"], agent=agent1.id)  # the agent's phone is in
        row = supervisor.get(f"/api/wallboard/agents/{agent1.id}").json()
        assert row["state"] == "busy"
        assert (row["contact"]["contact"], row["contact"]["queue"], row["contact"]["channel"]) == (
            queued["contact"],
            "general",
            "voice",
        )
        assert row["contact"]["answered_at"] >= queued["at"]
        assert all(str(e.get("agent", agent1.id)) != str(outsider) for e in board.seen)
        last_seq = board.seen[-1]["seq"]

    # A wallboard that reconnects gets what it missed of its scope, then caught_up.
    agent2 = supervisor.get("/api/wallboard/agents").json()
    agent2_id = next(a["id"] for a in agent2 if a["username"] == "agent2")
    forced = supervisor.post(f"/api/agents/{agent2_id}/state", json={"state": "not_ready", "reason": "meeting"})
    assert forced.status_code == 200, forced.text
    with wallboard_socket(system, supervisor) as ws:
        ws.send(json.dumps({"type": "hello", "last_seq": last_seq}))
        messages = [json.loads(ws.recv(timeout=10))]
        while messages[-1]["type"] != "caught_up":
            messages.append(json.loads(ws.recv(timeout=10)))
        missed = [(m["type"], str(m.get("agent")), m.get("state"), m.get("reason")) for m in messages]
        assert ("agent.state", str(agent2_id), "not_ready", "meeting") in missed
        assert all(m["seq"] > last_seq for m in messages[:-1]) and messages[-1]["seq"] >= messages[-2]["seq"]
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}
    assert supervisor.post(f"/api/agents/{agent2_id}/state", json={"state": "offline"}).status_code == 200


def test_moving_and_reprioritizing_a_waiting_caller_from_the_wallboard(system: System) -> None:
    supervisor = system.login("supervisor")
    with wallboard_socket(system, supervisor) as ws:
        board = Wallboard(ws)
        place_call(system.sandbox_url, from_="+8613900139000", to=HOTLINE, digits=["1", "2"], hangup_after_queue=20)
        contact = board.next_event("contact.queued", queue="repair")["contact"]

        bad = supervisor.post(f"/api/contacts/{contact}/requeue", json={"priority": "high"})
        assert bad.status_code == 400 and "priority must be a whole number" in bad.json()["error"]
        nowhere = supervisor.post(f"/api/contacts/{contact}/requeue", json={"priority": 3, "queue": "nowhere"})
        assert nowhere.status_code == 404 and "nowhere" in nowhere.json()["error"]

        moved = supervisor.post(f"/api/contacts/{contact}/requeue", json={"priority": 8, "queue": "complaints"})
        assert moved.status_code == 200, moved.text
        event = board.next_event("contact.requeued", contact=contact)
        assert (event["from_queue"], event["queue"], event["priority"], event["old_priority"]) == (
            "repair",
            "complaints",
            8,
            0,
        )
        waiting = {w["contact"]: w for w in supervisor.get("/api/wallboard").json()["waiting"]}
        assert (waiting[contact]["queue"], waiting[contact]["priority"]) == ("complaints", 8)


def test_queue_history_is_sampled_and_read_back_by_the_hour(system: System) -> None:
    supervisor = system.login("supervisor")
    found = supervisor.get("/api/stats/queues/history", params={"hours": 2})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["hours"] == 2 and body["interval_seconds"] == 60
    assert set(body["queues"]) == {"general", "repair", "complaints"}
    # The sampler takes a sample as soon as the app starts, then one a minute.
    point = body["queues"]["general"][-1]
    assert set(point) == {"at", "waiting", "longest_wait_seconds", "service_level_percent"}
    assert point["at"] % 60_000 == 0 and point["at"] <= time.time() * 1000

    for hours in ("0", "25", "two", "-1", "1.5"):
        refused = supervisor.get("/api/stats/queues/history", params={"hours": hours})
        assert refused.status_code == 400
        assert refused.json()["error"].startswith("hours must be a whole number from 1 to 24")
    assert system.login("agent1").get("/api/stats/queues/history").status_code == 403
    assert system.login("manager").get("/api/stats/queues/general").json()["queue"] == "general"  # still a queue
