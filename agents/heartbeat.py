"""Heartbeats of the console websocket, both ways (the protocol is in queues/events.md).

The server pings every `interval`; any message from the client counts as an answer, and a client
silent for SILENT_INTERVALS intervals is closed with HEARTBEAT_TIMEOUT. Each time the client is heard
from, routing is told the console is still there (at most once per half interval): its presence entry
lapses PRESENCE_INTERVALS intervals after it was renewed, which outlives a live socket (closed by
the server sooner) but not a process that died without closing its sockets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket

SILENT_INTERVALS = 2.5
PRESENCE_INTERVALS = 3.5
HEARTBEAT_TIMEOUT = 4408


def presence_ttl_ms(interval: float) -> int:
    """How long routing counts a console as open after it was last heard from."""
    return int(interval * PRESENCE_INTERVALS * 1000)


@dataclass
class Heartbeat:
    interval: float
    renew_presence: Callable[[], object]  # blocking (Redis): run in a thread
    heard_at: float = field(default_factory=time.monotonic)
    renewed_at: float = field(default_factory=time.monotonic)

    async def heard(self) -> None:
        """The client sent something: it is alive, and so is its console for routing."""
        now = self.heard_at = time.monotonic()
        if now - self.renewed_at >= self.interval / 2:
            self.renewed_at = now
            await run_in_threadpool(self.renew_presence)

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
