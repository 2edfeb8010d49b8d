"""A scripted agent console: the same websocket and HTTP calls the browser page makes."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import System


class AgentConsole:
    """Pings every `ping_every` seconds, as the browser does, so the server's heartbeat keeps it open."""

    def __init__(self, system: System, username: str, ping_every: float = 5.0, last_seq: int | None = None) -> None:
        self.http: httpx.Client = system.login(username)
        self.me = self.http.get("/api/me").json()
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        self._resources = ExitStack()
        self.ws: ClientConnection = self._resources.enter_context(
            connect(system.base_url.replace("http", "ws", 1) + "/agents/ws", additional_headers={"Cookie": cookie})
        )
        self.ws.send(json.dumps({"type": "hello", "last_seq": last_seq}))
        self.caught_up: list[dict[str, Any]] = []  # the events missed since `last_seq`, when it is given
        message = json.loads(self.ws.recv(timeout=10))
        while message["type"] not in ("snapshot", "caught_up"):
            self.caught_up.append(message)
            message = json.loads(self.ws.recv(timeout=10))
        self.snapshot = message  # or the caught_up message
        self.last_seq = self.snapshot["seq"]
        self.seen: list[dict[str, Any]] = []
        self._closing = threading.Event()
        threading.Thread(target=self._keep_alive, args=(ping_every,), daemon=True).start()

    def _keep_alive(self, every: float) -> None:
        with contextlib.suppress(ConnectionClosed):
            while not self._closing.wait(every):
                self.ws.send(json.dumps({"type": "ping"}))

    @property
    def id(self) -> int:
        return int(self.me["id"])

    def next_event(self, type_: str, timeout: float = 15, **fields: Any) -> dict[str, Any]:
        """The next event of this type (and these field values), skipping others."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {type_} {fields} within {timeout} s; saw {[e['type'] for e in self.seen]}")
            event = json.loads(self.ws.recv(timeout=remaining))
            self.seen.append(event)
            self.last_seq = event.get("seq", self.last_seq)
            if event["type"] == type_ and all(str(event.get(k)) == str(v) for k, v in fields.items()):
                return event

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(path, json=body or {})

    def go(self, state: str) -> None:
        response = self.post("/api/agent/state", {"state": state})
        assert response.status_code == 200, response.text

    def accept(self, contact: str) -> httpx.Response:
        return self.post(f"/api/agent/offers/{contact}/accept")

    def reject(self, contact: str) -> httpx.Response:
        return self.post(f"/api/agent/offers/{contact}/reject")

    def close(self) -> None:
        self._closing.set()
        self._resources.close()
        self.http.close()


def eventually(condition: Callable[[], bool], timeout: float) -> bool:
    """Whether the condition came true within `timeout` seconds (polled every 50 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def signed_in_console(system: System, username: str) -> Iterator[AgentConsole]:
    """For a fixture: `yield from` it to get a console that goes offline and closes afterwards."""
    console = AgentConsole(system, username)
    yield console
    console.post("/api/agent/state", {"state": "offline"})
    console.close()
