"""Enqueue → offer on the agent's websocket: the real web app, N logged-in consoles, open-loop arrivals.

The web app runs as a subprocess (`contactcenter serve`) on the benchmark's Redis and a SQLite file.
This process logs every agent in (POST /login), opens one console websocket per agent and makes
the agents available through the engine; a pacer process enqueues contacts at a fixed rate and
freer processes accept, finish and wrap up each offer at once (see routing_load). Each contact is
timed from just before `enqueue()` to the `offer.created` frame arriving on its agent's socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import routing_load
from agent_sockets import login_all, open_console
from redis import Redis
from routing_data import PASSWORD, Population
from websockets.asyncio.client import ClientConnection

from queues.engine import RoutingEngine

OFFER = '"offer.created"'


@dataclass
class RateResult:
    rate: int
    sent: int
    received: int
    achieved_per_s: float
    max_lag_ms: float  # worst lateness of an arrival against its schedule
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_percent: dict[str, float]  # per process, % of one core, from the first arrival until the last offer
    machine_busy_percent: float  # all cores together, whoever used them


@dataclass
class Latency:
    agents: int
    login_s: float
    connect_s: float
    results: list[RateResult]
    free_errors: int


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(pct / 100 * len(ordered)))) - 1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """Busy and total CPU ticks of the whole machine so far (Linux /proc; 0, 0 elsewhere)."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)  # all but idle and iowait


class Consoles:
    """The agents' websockets; records when each offer arrives (wall clock, as the pacer)."""

    def __init__(self) -> None:
        self.received: dict[str, float] = {}
        self.sink: Connection | None = None  # where offers go to be accepted, finished, wrapped up
        self.sockets: list[ClientConnection] = []
        self.tasks: list[asyncio.Task[None]] = []

    async def open(self, ws_url: str, cookies: list[str]) -> None:
        gate = asyncio.Semaphore(32)

        async def one(cookie: str) -> None:
            async with gate:
                ws = await open_console(ws_url, cookie)
            self.sockets.append(ws)
            self.tasks.append(asyncio.create_task(self._listen(ws)))

        await asyncio.gather(*(one(cookie) for cookie in cookies))

    async def _listen(self, ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for message in ws:
                if isinstance(message, str) and OFFER in message:
                    at = time.time()
                    event = json.loads(message)
                    if event.get("type") == "offer.created":
                        self.received[event["contact"]] = at
                        if self.sink:
                            self.sink.send_bytes(f"{event['contact']} {event['agent']}".encode())

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, *(ws.close() for ws in self.sockets), return_exceptions=True)


class _Load:
    """The pacer (a process pool of one) and the freer (a process) of routing_load."""

    def __init__(self, redis_url: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.redis_url = redis_url
        self.pacer = ProcessPoolExecutor(1, mp_context=ctx)
        offers, self.sink = ctx.Pipe(duplex=False)
        self.errors = ctx.Value("i", 0)
        self.freer = ctx.Process(target=routing_load.free_offers, args=(redis_url, offers, self.errors))

    async def start(self) -> dict[str, int]:
        self.freer.start()
        pacer_pid = await asyncio.wrap_future(self.pacer.submit(routing_load.pid))
        return {"pacer": pacer_pid, "freer": self.freer.pid or 0}

    async def pace(self, tag: str, rate: int, count: int) -> tuple[dict[str, float], float, float]:
        return await asyncio.wrap_future(self.pacer.submit(routing_load.pace, self.redis_url, tag, rate, count))

    def close(self) -> None:
        if self.freer.pid is not None:
            self.sink.send_bytes(b"")
            self.freer.join(30)
        self.pacer.shutdown()


async def _run_rate(
    load: _Load, consoles: Consoles, pids: dict[str, int], tag: str, rate: int, seconds: float
) -> RateResult:
    count = max(1, int(rate * seconds))
    began = time.perf_counter()
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    busy_before, total_before = machine_ticks()
    sent, lag, elapsed = await load.pace(tag, rate, count)
    deadline = time.monotonic() + 15
    while any(cid not in consoles.received for cid in sent) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    wall = time.perf_counter() - began
    cpu = {name: 100 * (cpu_seconds(pid) - cpu_before[name]) / wall for name, pid in pids.items()}
    busy, total = machine_ticks()
    latencies = [(consoles.received[c] - at) * 1000 for c, at in sent.items() if c in consoles.received]
    return RateResult(
        rate=rate,
        sent=count,
        received=len(latencies),
        achieved_per_s=count / elapsed,
        max_lag_ms=lag * 1000,
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        max_ms=max(latencies, default=0.0),
        cpu_percent=cpu,
        machine_busy_percent=100 * (busy - busy_before) / (total - total_before) if total > total_before else 0.0,
    )


async def measure_latency(
    base: str,
    redis_url: str,
    pop: Population,
    ids: dict[str, int],
    rates: list[int],
    seconds: float,
    pids: dict[str, int],
) -> Latency:
    """`pids`: processes whose CPU use is reported (name -> pid); the load processes are added."""
    began = time.perf_counter()
    cookies = await login_all(base, [agent.name for agent in pop.agents], PASSWORD)
    logged_in = time.perf_counter()
    consoles = Consoles()
    await consoles.open(base.replace("http", "ws", 1) + "/agents/ws", cookies)
    connected = time.perf_counter()
    load = _Load(redis_url)
    client = Redis.from_url(redis_url)
    try:
        pids = pids | await load.start()
        consoles.sink = load.sink
        engine = RoutingEngine(client, routing_load.CONFIG)
        for agent in pop.agents:
            engine.set_agent_state(
                agent_id=str(ids[agent.name]), state="available", queues=list(agent.queues), skills=agent.skills
            )
        await asyncio.sleep(1)
        await _run_rate(load, consoles, pids, "warmup", 100, 1.0)
        results = []
        for rate in rates:
            await asyncio.sleep(1)  # let the previous phase drain
            results.append(await _run_rate(load, consoles, pids, f"r{rate}", rate, seconds))
    finally:
        await asyncio.to_thread(load.close)
        await consoles.close()
        client.close()
    return Latency(len(pop.agents), logged_in - began, connected - logged_in, results, load.errors.value)
