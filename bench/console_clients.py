"""Client processes of the console benchmark (bench/console.py).

Each process logs in its share of the agents, then keeps their console websockets open as the browser
does: hello, a {"type": "ping"} every 10 s (spread evenly over the 10 s), a {"type": "pong"} for each
ping the server sends. It writes down, on the wall clock, when each announcement arrives on each socket.

The sockets are plain asyncio protocols driving the `websockets` library's sans-I/O client (no task and
no message queue per socket): a frame costs the client a few µs, so 5,000 of them per announcement do
not make the client the slow side of the measurement.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, cast

from agent_sockets import hello, login_all
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.uri import parse_uri

PING = json.dumps({"type": "ping"}).encode()
PONG = json.dumps({"type": "pong"}).encode()
HEARTBEAT_S = 10.0  # as the console page
SLOTS = 100  # the heartbeats are sent from SLOTS slots spread over HEARTBEAT_S
OPENING_AT_ONCE = 64


@dataclass
class Stats:
    arrivals: list[tuple[int, int, float]] = field(default_factory=list)  # (seq, socket, wall-clock time)
    pings: int = 0
    pongs: int = 0
    server_pings: int = 0
    other_messages: int = 0
    unexpected_closes: int = 0
    close_codes: dict[str, int] = field(default_factory=dict)


class Console(asyncio.Protocol):
    """One agent's console websocket."""

    def __init__(self, index: int, url: str, cookie: str, stats: Stats) -> None:
        self.index, self.url, self.cookie, self.stats = index, url, cookie, stats
        # Offer compression as browsers do (the server declines it: see contactcenter/cli.py).
        self.ws = ClientProtocol(parse_uri(url), extensions=[ClientPerMessageDeflateFactory()])
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()  # at the snapshot
        self.transport: asyncio.Transport | None = None
        self.closing = False
        self.open = False
        self.pings = self.pongs = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # a stream's (uvloop's are not asyncio.Transport)
        self.open = True
        request = self.ws.connect()
        request.headers["Cookie"] = f"cc_session={self.cookie}"
        self.ws.send_request(request)
        self._flush()

    def _flush(self) -> None:
        assert self.transport is not None
        for data in self.ws.data_to_send():
            if data:
                self.transport.write(data)
            else:  # the protocol wants the connection half-closed (after a close handshake)
                with contextlib.suppress(OSError, RuntimeError):
                    self.transport.write_eof()

    def data_received(self, data: bytes) -> None:
        at = time.time()
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if event.status_code != 101:
                    self._fail(RuntimeError(f"websocket handshake answered {event.status_code}"))
                    return
                self.ws.send_text(hello().encode())
            elif not isinstance(event, Frame):  # a client is sent no requests
                continue
            elif event.opcode is Opcode.TEXT:
                self._text(bytes(event.data), at)  # already bytes: bytes() returns the same object
            elif event.opcode is Opcode.CLOSE and self.ws.close_rcvd is not None:
                code = str(self.ws.close_rcvd.code)
                self.stats.close_codes[code] = self.stats.close_codes.get(code, 0) + 1
        self._flush()

    def _text(self, data: bytes, at: float) -> None:
        if b'"announcement"' in data:
            self.stats.arrivals.append((json.loads(data)["seq"], self.index, at))
        elif b'"pong"' in data:
            self.pongs += 1
            self.stats.pongs += 1
        elif b'"ping"' in data:  # the server's heartbeat
            self.stats.server_pings += 1
            self.ws.send_text(PONG)
        elif not self.ready.done():
            if b'"snapshot"' in data:
                self.ready.set_result(None)
            else:
                self._fail(RuntimeError(f"expected a snapshot, got {data[:200]!r}"))
        else:
            self.stats.other_messages += 1

    def ping(self) -> None:
        if self.open and not self.closing:
            self.ws.send_text(PING)
            self._flush()
            self.pings += 1
            self.stats.pings += 1

    def _fail(self, exc: Exception) -> None:
        if not self.ready.done():
            self.ready.set_exception(exc)
        if self.transport:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if not self.closing:
            self.stats.unexpected_closes += 1
        if not self.ready.done():
            self.ready.set_exception(exc or ConnectionError("closed before the snapshot"))

    def close(self) -> None:
        self.closing = True
        if self.open and self.transport:
            self.ws.send_close(1000)
            self._flush()
            self.transport.close()


async def _open_all(ws_url: str, cookies: list[str], first_index: int, stats: Stats) -> tuple[list[Console], list[str]]:
    loop = asyncio.get_running_loop()
    uri = parse_uri(ws_url)
    gate = asyncio.Semaphore(OPENING_AT_ONCE)

    async def one(index: int, cookie: str) -> Console:
        async with gate:
            console = Console(index, ws_url, cookie, stats)
            await loop.create_connection(lambda: console, uri.host, uri.port)
            await asyncio.wait_for(console.ready, 60)
            return console

    results = await asyncio.gather(
        *(one(first_index + i, cookie) for i, cookie in enumerate(cookies)), return_exceptions=True
    )
    consoles = [r for r in results if isinstance(r, Console)]
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    return consoles, errors


async def _heartbeats(consoles: list[Console]) -> None:
    """Each console pings every HEARTBEAT_S, at its own place in the period (as browsers opened at random times)."""
    slots: list[list[Console]] = [[] for _ in range(SLOTS)]
    for console in consoles:
        slots[random.randrange(SLOTS)].append(console)
    loop = asyncio.get_running_loop()
    start, tick, step = loop.time(), 0, HEARTBEAT_S / SLOTS
    while True:
        tick += 1
        await asyncio.sleep(max(0.0, start + tick * step - loop.time()))
        for console in slots[tick % SLOTS]:
            console.ping()


async def _serve(conn: Connection, base: str, names: list[str], password: str, first_index: int) -> None:
    loop = asyncio.get_running_loop()
    began = time.perf_counter()
    cookies = await login_all(base, names, password)
    conn.send(("logged_in", time.perf_counter() - began))
    stats = Stats()
    consoles: list[Console] = []
    beats: asyncio.Task[None] | None = None
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "connect":
            began = time.perf_counter()
            ws_url = base.replace("http", "ws", 1) + "/agents/ws"
            consoles, errors = await _open_all(ws_url, cookies, first_index, stats)
            beats = asyncio.create_task(_heartbeats(consoles))
            conn.send(("connected", len(consoles), errors[:5], len(errors), time.perf_counter() - began))
        elif command == "report":
            report: dict[str, Any] = {
                "open": sum(c.open for c in consoles),
                "behind_on_pongs": sum(c.pings - c.pongs > 1 for c in consoles),
                **{k: v for k, v in vars(stats).items()},
            }
            conn.send(("report", report))
        elif command == "close":
            if beats:
                beats.cancel()
            for console in consoles:
                console.close()
            await asyncio.sleep(0.5)
            conn.send(("closed",))
            return


def run(conn: Connection, base: str, names: list[str], password: str, first_index: int, core: int | None) -> None:
    """A client process: log `names` in, then obey the benchmark's commands (connect, report, close)."""
    if core is not None:
        os.sched_setaffinity(0, {core})
    try:
        import uvloop

        uvloop.run(_serve(conn, base, names, password, first_index))
    except ImportError:
        asyncio.run(_serve(conn, base, names, password, first_index))
