"""The console websocket: catching up after a drop, resyncing from a snapshot, refusing strangers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import System


@contextmanager
def open_socket(system: System, cookie: str | None, last_seq: int | None) -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    headers = {"Cookie": cookie} if cookie else {}
    with connect(system.base_url.replace("http", "ws", 1) + "/agents/ws", additional_headers=headers) as ws:
        ws.send(json.dumps({"type": "hello", "last_seq": last_seq}))
        yield ws, [json.loads(ws.recv(timeout=10))]


def cookie_of(client: Any) -> str:
    return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def test_a_console_that_reconnects_gets_exactly_the_events_it_missed(system: System) -> None:
    agent = system.login("agent1")
    with open_socket(system, cookie_of(agent), None) as (_ws, [snapshot]):
        assert snapshot["type"] == "snapshot"
        last_seen = snapshot["seq"]

    assert agent.post("/api/agent/state", json={"state": "not_ready", "reason": "meal"}).status_code == 200
    assert agent.post("/api/agent/state", json={"state": "offline"}).status_code == 200

    with open_socket(system, cookie_of(agent), last_seen) as (ws, messages):
        while messages[-1]["type"] != "caught_up":
            messages.append(json.loads(ws.recv(timeout=10)))
    assert [(m["type"], m.get("state"), m.get("reason")) for m in messages] == [
        ("agent.state", "not_ready", "meal"),
        ("agent.state", "offline", ""),
        ("caught_up", None, None),
    ]
    assert messages[1]["seq"] > messages[0]["seq"] > last_seen
    assert messages[2]["seq"] == messages[1]["seq"]


def test_a_console_claiming_a_number_the_server_never_issued_gets_a_snapshot(system: System) -> None:
    agent = system.login("agent2")
    with open_socket(system, cookie_of(agent), 10**9) as (_ws, [message]):
        pass
    assert message["type"] == "snapshot"
    assert message["seq"] < 10**9
    assert message["agent"]["state"] in ("offline", "not_ready", "available")


def test_the_console_socket_refuses_anonymous_users_and_qa_staff(system: System) -> None:
    with pytest.raises(ConnectionClosed) as anonymous, open_socket(system, None, None):
        pass
    assert anonymous.value.rcvd is not None and anonymous.value.rcvd.code == 4401

    qa = system.login("qa")
    with pytest.raises(ConnectionClosed) as wrong_role, open_socket(system, cookie_of(qa), None):
        pass
    assert wrong_role.value.rcvd is not None and wrong_role.value.rcvd.code == 4403
