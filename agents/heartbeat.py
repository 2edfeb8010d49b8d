"""Heartbeats of the console websocket, both ways (the protocol is in queues/events.md).

The server pings every `interval`; any message from the client counts as an answer, and a client
silent for SILENT_INTERVALS intervals is closed with HEARTBEAT_TIMEOUT. Each time the client is heard
from, its console is noted; every half interval the process tells routing about all the consoles it
heard from in one Redis call (`PresenceRenewer`): a presence entry lapses PRESENCE_INTERVALS
intervals after it was renewed, which outlives a live socket (closed by the server sooner) but not a
process that died without closing its sockets.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket

from queues.engine import RoutingEngine

log = logging.getLogger(__name__)

# The console gives up on a server silent for two intervals (agents/static/console-link.js); the server gives up
# on the console as soon: both ends agree when a link died without a close, and routing stops counting it.
SILENT_INTERVALS = 2.0
PRESENCE_INTERVALS = 3.5
HEARTBEAT_TIMEOUT = 4408


def presence_ttl_ms(interval: float) -> int:
    """How long routing counts a console as open after it was last heard from."""
    return int(interval * PRESENCE_INTERVALS * 1000)


class PresenceRenewer:
    """One per process: the consoles heard from since the last round, renewed together every half
    interval (one Redis call for thousands of consoles, instead of a thread hop and a call each)."""

    def __init__(self, routing: RoutingEngine, interval: float) -> None:
        self.routing, self.interval = routing, interval
        self.ttl_ms = presence_ttl_ms(interval)
        self._heard: set[tuple[str, str]] = set()  # touched on the event loop only
        # A renewal must not bring a console back to life after its close told routing it went: closes
        # since the last renewal are kept and skipped, and a renewal and a close never interleave.
        self._closed: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def heard(self, agent_id: str, socket_id: str) -> None:
        self._heard.add((agent_id, socket_id))

    def closed(self, agent_id: str, socket_id: str) -> None:
        """The socket closed: tell routing (blocking; run it in a thread), and renew it no more."""
        with self._lock:
            self._closed.add((agent_id, socket_id))
            self.routing.console_presence(agent_id=agent_id, socket_id=socket_id, event="closed", ttl_ms=self.ttl_ms)

    def take(self) -> list[tuple[str, str]]:
        """The consoles heard from since the last call (on the event loop)."""
        heard, self._heard = self._heard, set()
        return list(heard)

    def renew(self, heard: list[tuple[str, str]]) -> None:
        """Tell routing about these consoles (blocking); an away agent's comes back on its own call."""
        with self._lock:
            alive = [console for console in heard if console not in self._closed]
            self._closed.clear()
            for agent_id, socket_id in self.routing.consoles_seen(consoles=alive, ttl_ms=self.ttl_ms):
                self.routing.console_presence(agent_id=agent_id, socket_id=socket_id, event="seen", ttl_ms=self.ttl_ms)

    async def run_forever(self) -> None:
        while True:
            await asyncio.sleep(self.interval / 2)
            try:
                await run_in_threadpool(self.renew, self.take())
            except Exception:  # Redis restarting: the next round renews them (well within the lapse)
                log.exception("renewing console presence failed")


@dataclass
class Heartbeat:
    interval: float
    renew_presence: Callable[[], object]  # cheap: notes the console for the process's next renewal
    heard_at: float = field(default_factory=time.monotonic)

    async def heard(self) -> None:
        """The client sent something: it is alive, and so is its console for routing."""
        self.heard_at = time.monotonic()
        self.renew_presence()

    async def keep(self, ws: WebSocket) -> None:
        """Ping the client every interval; close the socket once it has been silent too long."""
        next_ping = time.monotonic() + self.interval
        while True:
            now = time.monotonic()
            silent_until = self.heard_at + self.interval * SILENT_INTERVALS
            if now >= silent_until:
                await ws.close(code=HEARTBEAT_TIMEOUT, reason="heartbeat timeout")
                return
            if now >= next_ping:
                await ws.send_json({"type": "ping", "at": int(time.time() * 1000)})
                next_ping = now + self.interval
            await asyncio.sleep(min(next_ping, silent_until) - now)
