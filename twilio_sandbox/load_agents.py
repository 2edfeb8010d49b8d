"""Simulated agents for `sandbox load`: they log in to the app, go available, accept what they are
offered and wrap up when the call ends — through the same HTTP and websocket calls as the console,
answering the server's heartbeat pings as the console does (a silent socket is closed with 4408)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

PONG = json.dumps({"type": "pong"})  # the console's answer to the server's {"type": "ping"}


class AgentLoginError(ValueError):
    """An agent given with --agent could not log in; the message says which and why."""


@dataclass
class AgentTally:
    offers: int = 0
    accepted: int = 0
    wrapped_up: int = 0
    errors: list[str] = field(default_factory=list)


class SimulatedAgent(threading.Thread):
    """One agent in a thread: available until stopped, accepting each offer after `answer_seconds`."""

    def __init__(self, app_url: str, username: str, password: str, *, answer_seconds: float = 1.0) -> None:
        super().__init__(name=f"agent-{username}", daemon=True)
        self.app_url, self.username, self.password = app_url.rstrip("/"), username, password
        self.answer_seconds = answer_seconds
        self.tally = AgentTally()
        self.stopping = threading.Event()
        self.ready = threading.Event()
        self.http = httpx.Client(base_url=self.app_url, timeout=15.0, trust_env=False)

    def log_in(self) -> None:
        """Log in now, so a wrong password is reported before any call is placed."""
        try:
            response = self.http.post("/login", json={"username": self.username, "password": self.password})
        except httpx.HTTPError as exc:
            raise AgentLoginError(f"cannot reach the app at {self.app_url} for {self.username!r} ({exc})") from exc
        if response.status_code != 200:
            raise AgentLoginError(f"agent {self.username!r} cannot log in at {self.app_url}: {response.text.strip()}")
        self.me = self.http.get("/api/me").json()

    def run(self) -> None:
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        ws_url = self.app_url.replace("http", "ws", 1) + "/agents/ws"
        try:
            with connect(ws_url, additional_headers={"Cookie": cookie}) as ws:
                ws.send(json.dumps({"type": "hello", "last_seq": None}))
                ws.recv(timeout=10)  # the snapshot
                self._post("/api/agent/state", {"state": "available"})
                self.ready.set()
                self._serve(ws)
        except Exception as exc:  # a load tool reports what went wrong rather than dying silently
            self.tally.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            self.ready.set()
            self._post("/api/agent/state", {"state": "offline"})
            self.http.close()

    def _serve(self, ws: ClientConnection) -> None:
        """Read the socket until stopped: pings answered at once, offers accepted once they have rung
        `answer_seconds` (the socket is read meanwhile, so no ping waits for a ringing offer)."""
        ringing: dict[str, float] = {}  # contact → when to accept it
        while not self.stopping.is_set():
            for contact, due in list(ringing.items()):
                if time.monotonic() >= due:
                    del ringing[contact]
                    if self._post(f"/api/agent/offers/{contact}/accept"):
                        self.tally.accepted += 1
            wait = min([0.5, *(due - time.monotonic() for due in ringing.values())])
            try:
                event = json.loads(ws.recv(timeout=max(wait, 0.0)))
            except TimeoutError:
                continue
            if event.get("type") == "ping":
                ws.send(PONG)
            elif str(event.get("agent")) == str(self.me["id"]):
                self._on(event, ringing)

    def _on(self, event: dict[str, Any], ringing: dict[str, float]) -> None:
        if event.get("type") == "offer.created":
            self.tally.offers += 1
            ringing[str(event["contact"])] = time.monotonic() + self.answer_seconds
        elif event.get("type") == "contact.ended":
            body = {"note": "sandbox load", "next_state": "available"}
            if self._post(f"/api/agent/contacts/{event['contact']}/wrap-up", body):
                self.tally.wrapped_up += 1

    def _post(self, path: str, body: dict[str, Any] | None = None) -> bool:
        try:
            response = self.http.post(path, json=body or {})
        except httpx.HTTPError as exc:
            self.tally.errors.append(f"{path}: {exc}")
            return False
        if response.status_code != 200:
            self.tally.errors.append(f"{path}: HTTP {response.status_code} {response.text.strip()[:200]}")
        return response.status_code == 200


def start_agents(app_url: str, credentials: list[str], *, answer_seconds: float) -> list[SimulatedAgent]:
    """Log every USER:PASSWORD in and start them; they are available when this returns."""
    agents = []
    for entry in credentials:
        username, sep, password = entry.partition(":")
        if not sep or not username or not password:
            raise AgentLoginError(f"--agent takes USER:PASSWORD, not {entry!r}")
        agent = SimulatedAgent(app_url, username, password, answer_seconds=answer_seconds)
        agent.log_in()
        agents.append(agent)
    for agent in agents:
        agent.start()
    for agent in agents:
        agent.ready.wait(15)
    return agents


def stop_agents(agents: list[SimulatedAgent]) -> dict[str, Any]:
    """Stop them (offline) and say what each did."""
    for agent in agents:
        agent.stopping.set()
    for agent in agents:
        agent.join(10)
    return {
        agent.username: {
            "offers": agent.tally.offers,
            "accepted": agent.tally.accepted,
            "wrapped_up": agent.tally.wrapped_up,
            "errors": agent.tally.errors[:5],
        }
        for agent in agents
    }
