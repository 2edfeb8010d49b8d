"""The chaos harness's agents: like `sandbox load`'s, through the console's own HTTP and websocket calls,
but they behave as people at a console do when things break: reconnect when the socket drops, use the
other web process when theirs is gone, and make themselves available again when the console shows them
not ready after a missed call. One may go silent (the network gone without a close)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import ClientConnection, connect

PONG = json.dumps({"type": "pong"})
BACK_AFTER_SECONDS = 1.0  # a person notices "not ready (missed)" and clicks Available again
SESSION_ENDED = 4401  # the console socket's close when the session is gone (e.g. Redis lost its data)


class ChaosAgent(threading.Thread):
    """One agent: accepts offers after `answer_seconds`, wraps up at once, back to available."""

    def __init__(self, urls: list[str], username: str, password: str, *, answer_seconds: float = 0.5) -> None:
        super().__init__(name=f"chaos-{username}", daemon=True)
        self.urls, self.username, self.password = urls, username, password
        self.answer_seconds = answer_seconds
        self.web = 0  # which of `urls` this agent's browser talks to
        self.stopping = threading.Event()
        self.silent_until = 0.0
        self.on_accepting: Callable[[ChaosAgent], None] | None = None
        self.last_seq: int | None = None
        self.state = "offline"
        self.reason = ""
        self.errors: list[str] = []  # requests refused or failed, for the scenario's notes
        self.user_id = ""
        self.http = httpx.Client(timeout=15.0, trust_env=False)

    @property
    def url(self) -> str:
        return self.urls[self.web]

    def log_in(self) -> None:
        response = self.http.post(self.url + "/login", json={"username": self.username, "password": self.password})
        response.raise_for_status()
        self.user_id = str(self.http.get(self.url + "/api/me").json()["id"])

    def go_silent(self, seconds: float) -> None:
        """Neither read nor write the socket for `seconds`: the server sees a link gone quiet."""
        self.silent_until = time.monotonic() + seconds

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._session()
            except ConnectionClosed as exc:
                if exc.rcvd is not None and exc.rcvd.code == SESSION_ENDED:
                    self._log_in_again()  # as the console page does: to the login page, then back
                    continue
                self._error(f"console link: {type(exc).__name__}: {exc}")
                self.web = (self.web + 1) % len(self.urls)
                self.stopping.wait(0.5)
            except (OSError, WebSocketException, TimeoutError, httpx.HTTPError, ValueError) as exc:
                self._error(f"console link: {type(exc).__name__}: {exc}")
                self.web = (self.web + 1) % len(self.urls)  # the balancer would send the browser elsewhere
                self.stopping.wait(0.5)
        self._post("/api/agent/state", {"state": "offline"})
        self.http.close()

    def _session(self) -> None:
        cookie = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        with connect(self.url.replace("http", "ws", 1) + "/agents/ws", additional_headers={"Cookie": cookie}) as ws:
            ws.send(json.dumps({"type": "hello", "last_seq": self.last_seq}))
            ringing: dict[str, float] = {}
            back_at: float | None = None
            while not self.stopping.is_set():
                if time.monotonic() < self.silent_until:
                    time.sleep(0.1)
                    continue
                for contact, due in list(ringing.items()):
                    if time.monotonic() >= due:
                        del ringing[contact]
                        self._accept(contact)
                if self.state != "available" and back_at is None and self._wants_available():
                    back_at = time.monotonic() + BACK_AFTER_SECONDS
                if back_at is not None and time.monotonic() >= back_at:
                    back_at = None
                    if self._wants_available():
                        self._post("/api/agent/state", {"state": "available"})
                try:
                    event = json.loads(ws.recv(timeout=0.2))
                except TimeoutError:
                    continue
                self._on(ws, event, ringing)

    def _wants_available(self) -> bool:
        """Offline (new console), or not ready for a reason the agent did not choose (the console offers the
        way back in one click: after a missed call, a lost link, routing rebuilt)."""
        chosen_by_nobody = ("missed", "disconnected", "routing_rebuilt")
        return self.state == "offline" or (self.state == "not_ready" and self.reason in chosen_by_nobody)

    def _on(self, ws: ClientConnection, event: dict[str, Any], ringing: dict[str, float]) -> None:
        kind = event.get("type")
        if isinstance(event.get("seq"), int):
            self.last_seq = event["seq"]
        if kind == "ping":
            ws.send(PONG)
        elif kind == "snapshot":
            agent = event.get("agent") or {}
            self.state, self.reason = agent.get("state", "offline"), agent.get("reason", "")
            contact = event.get("contact") or {}
            if contact.get("state") == "offered" and contact.get("contact"):
                ringing[str(contact["contact"])] = time.monotonic() + self.answer_seconds
            elif self.state == "wrap_up" and contact.get("contact"):  # reloaded before the form was sent
                self._wrap_up(str(contact["contact"]))
        elif str(event.get("agent")) != self.user_id:
            return
        elif kind == "agent.state":
            self.state, self.reason = event.get("state", ""), event.get("reason", "")
        elif kind == "agent.presence" and event.get("connected") and event.get("state"):
            self.state, self.reason = event["state"], event.get("reason", "")
        elif kind == "offer.created":
            ringing[str(event["contact"])] = time.monotonic() + self.answer_seconds
        elif kind == "contact.ended":
            self._wrap_up(str(event["contact"]))

    def _wrap_up(self, contact: str) -> None:
        self._post(f"/api/agent/contacts/{contact}/wrap-up", {"note": "chaos", "next_state": "available"})

    def _accept(self, contact: str) -> None:
        if self.on_accepting is not None:
            self.on_accepting(self)
        self._post(f"/api/agent/offers/{contact}/accept")

    def _log_in_again(self) -> None:
        """The session is gone (after Redis lost its data every one is): log in again, as a person would."""
        try:
            self.log_in()
        except (httpx.HTTPError, ValueError) as exc:
            self._error(f"logging in again: {type(exc).__name__}: {exc}")
            self.stopping.wait(0.5)

    def _post(self, path: str, body: dict[str, Any] | None = None) -> bool:
        try:
            response = self.http.post(self.url + path, json=body or {})
            if response.status_code == 401:  # the session ended: log in, then do it again
                self._log_in_again()
                response = self.http.post(self.url + path, json=body or {})
        except httpx.HTTPError as exc:
            self._error(f"{path}: {type(exc).__name__}")
            return False
        if response.status_code != 200:
            self._error(f"{path}: HTTP {response.status_code} {response.text.strip()[:160]}")
        return response.status_code == 200

    def _error(self, text: str) -> None:
        self.errors.append(f"{time.strftime('%H:%M:%S')} {text}")


def start_agents(urls: list[str], usernames: list[str], password: str) -> list[ChaosAgent]:
    """Log each in (agent i on web process i mod n) and start them; they go available on their own."""
    agents = []
    for index, name in enumerate(usernames):
        agent = ChaosAgent(urls, name, password)
        agent.web = index % len(urls)
        agent.log_in()
        agents.append(agent)
        agent.start()
    return agents


def stop_agents(agents: list[ChaosAgent]) -> None:
    for agent in agents:
        agent.stopping.set()
    for agent in agents:
        agent.join(10)
