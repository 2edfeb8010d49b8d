"""Supervisor announcements: one numbered event that every console gets, live and on catch-up."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from websockets.sync.client import connect

from queues.stream import StreamEvent, concerns, text_of
from tests.conftest import System
from tests.console import AgentConsole


@pytest.fixture
def consoles(system: System) -> Iterator[list[AgentConsole]]:
    """Two agents' consoles, open (the agents stay offline: announcements need no state)."""
    opened = [AgentConsole(system, name) for name in ("agent1", "agent2")]
    yield opened
    for console in opened:
        console.close()


def test_an_announcement_reaches_every_console_and_is_audited(system: System, consoles: list[AgentConsole]) -> None:
    supervisor = system.login("supervisor")
    response = supervisor.post(
        "/api/announcements", json={"text": " Storm in the north: expect calls ", "queues": ["repair"]}
    )
    assert response.status_code == 201, response.text
    sent = response.json()
    assert sent["text"] == "Storm in the north: expect calls"

    got = [console.next_event("announcement", timeout=10) for console in consoles]
    for event in got:
        assert event["seq"] == sent["seq"]
        assert event["text"] == "Storm in the north: expect calls"
        assert event["queues"] == ["repair"]
        assert event["by"] == str(supervisor.get("/api/me").json()["id"])
        assert event["broadcast"] is True
        assert isinstance(event["at"], int)

    with system.sql().connect() as conn:
        row = conn.execute(
            text("select actor, kind, data from audit_events where subject_type = 'announcement' and subject_id = :s"),
            {"s": str(sent["seq"])},
        ).one()
    data = row.data if isinstance(row.data, dict) else json.loads(row.data)
    assert row.kind == "announced" and row.actor.startswith("user:")
    assert data == {"text": "Storm in the north: expect calls", "queues": ["repair"]}


def test_a_reconnecting_console_gets_the_announcement_it_missed(system: System, consoles: list[AgentConsole]) -> None:
    agent1 = consoles[0]
    last_seq = agent1.last_seq
    cookie = "; ".join(f"{name}={value}" for name, value in agent1.http.cookies.items())
    agent1.ws.close()
    supervisor = system.login("manager")
    response = supervisor.post("/api/announcements", json={"text": "Team meeting at 15:00"})
    assert response.status_code == 201, response.text

    with connect(system.base_url.replace("http", "ws", 1) + "/agents/ws", additional_headers={"Cookie": cookie}) as ws:
        ws.send(json.dumps({"type": "hello", "last_seq": last_seq}))
        messages = [json.loads(ws.recv(timeout=10))]
        while messages[-1]["type"] != "caught_up":
            messages.append(json.loads(ws.recv(timeout=10)))
    announcements = [m for m in messages if m["type"] == "announcement"]
    assert [(m["seq"], m["text"], m["queues"]) for m in announcements] == [
        (response.json()["seq"], "Team meeting at 15:00", [])
    ]
    assert messages[-1]["seq"] >= response.json()["seq"]


def test_agents_may_not_announce(system: System) -> None:
    agent = system.login("agent2")
    response = agent.post("/api/announcements", json={"text": "I quit"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "body",
    [{"text": ""}, {"text": "   "}, {"text": "x" * 501}, {}, {"text": 5}, {"text": "hi", "queues": "repair"}, []],
)
def test_a_bad_announcement_is_a_400(system: System, body: object) -> None:
    supervisor = system.login("supervisor")
    response = supervisor.post("/api/announcements", json=body)
    assert response.status_code == 400, response.text
    assert "error" in response.json()


def test_an_announcement_of_500_characters_is_fine_and_unknown_queues_are_refused(system: System) -> None:
    supervisor = system.login("supervisor")
    assert supervisor.post("/api/announcements", json={"text": "y" * 500}).status_code == 201
    response = supervisor.post("/api/announcements", json={"text": "hello", "queues": ["nope"]})
    assert response.status_code == 400
    assert "nope" in response.json()["error"]


def test_a_stream_event_is_sent_as_the_text_it_was_stored_as() -> None:
    raw = '{"seq":7,"type":"announcement","text":"Café closes at 5","broadcast":true,"queues":[]}'.encode()
    event = StreamEvent(raw)
    assert event == {"seq": 7, "type": "announcement", "text": "Café closes at 5", "broadcast": True, "queues": []}
    assert text_of(event) == raw.decode()
    assert json.loads(text_of({"type": "chat.typing", "who": "李明"})) == {"type": "chat.typing", "who": "李明"}
    assert concerns(event, "42") and not concerns({"type": "offer.created", "agent": "7"}, "42")
