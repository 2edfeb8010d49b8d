"""Assignment throughput: the engine's enqueue-with-match against a trivial Lua script, same harness.

Each round all agents are available; the threads enqueue half as many contacts as there are agents
(spread evenly over the queues), so every enqueue reserves a contact and an agent in one script: one
assignment. Then, timed separately, the threads accept, join (the agent's leg is in: answered), finish
and end the wrap-up of every offer so the agents are available again. The floor is `return 1` on a key
of the same hash tag, called as often as enqueue, by the same threads on the same connections, in the
same rounds.

Side by side (`beside` given): twice the rounds, in alternate blocks without and with what runs beside
routing in production (the reconciler and the outbox relay: routing_beside.py), switched between rounds;
each side has its own figures, floor included, from the same Redis growing the same way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError
from routing_data import QUEUES, Population

from queues.engine import RoutingConfig, RoutingEngine
from queues.keys import PREFIX

FLOOR_KEY = [PREFIX + "bench_floor"]  # same hash tag as the engine's keys
Pair = tuple[str, str]
PHASES = ("floor", "enqueue", "accept", "joined", "finish", "end_wrap_up")


@dataclass
class Phase:
    calls: int = 0
    ok: int = 0
    seconds: float = 0.0
    server_usec: float = 0.0  # Redis CPU time of the scripts (INFO commandstats, cmdstat_evalsha)

    @property
    def per_s(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def server_us_per_call(self) -> float:
        return self.server_usec / self.calls if self.calls else 0.0


@dataclass
class Throughput:
    threads: int
    rounds: int
    contacts_per_round: int
    phases: dict[str, Phase] = field(default_factory=lambda: {name: Phase() for name in PHASES})

    @property
    def assignments_per_s(self) -> float:
        return self.phases["enqueue"].per_s

    @property
    def floor_per_s(self) -> float:
        return self.phases["floor"].per_s

    @property
    def lifecycles_per_s(self) -> float:
        seconds = sum(self.phases[p].seconds for p in PHASES[1:])
        return self.phases["end_wrap_up"].ok / seconds if seconds else 0.0


@dataclass
class SideBySide:
    alone: Throughput
    beside: Throughput | None = None  # the rounds with the reconciler and the relay running
    records: int = 0  # contact records routing keeps at the end (ended ones a day): every contact enqueued


class Switch(Protocol):
    def on(self) -> None: ...
    def off(self) -> None: ...


def round_contacts(r: int, per_round: int) -> list[Pair]:
    """Round r's contacts (r = -1 warms up), spread evenly over the queues. Their ids are numbers unique
    in the run, as SQL's are: the reconciler reads them (it passes over ids that are not numbers)."""
    first = 1 + (r + 1) * per_round
    return [(str(first + i), QUEUES[i % len(QUEUES)]) for i in range(per_round)]


def contact_ids(rounds: int, per_round: int) -> range:
    """Every contact id of `rounds` rounds after the warm-up."""
    return range(1, 1 + (rounds + 1) * per_round)


def schedule(rounds: int, block: int, beside: bool) -> list[bool]:
    """Whether each round runs with the things beside: `rounds` each side, alternate blocks of `block`."""
    if not beside:
        return [False] * rounds
    order: list[bool] = []
    while order.count(False) < rounds:
        n = min(block, rounds - order.count(False))
        order += [False] * n + [True] * n
    return order


def _evalsha_stats(client: Redis) -> tuple[int, int]:
    """Calls and CPU µs of EVALSHA so far (0, 0 where INFO is not allowed)."""
    try:
        stats = client.info("commandstats").get("cmdstat_evalsha", {})
    except RedisError:
        return 0, 0
    return int(stats.get("calls", 0)), int(stats.get("usec", 0))


class _Harness:
    """A fixed set of threads, each with its own connection, started together by a barrier."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="bench")
        self.barrier = threading.Barrier(threads + 1)

    def run(self, work: Sequence[Callable[[], int]]) -> tuple[float, int]:
        """Run one piece of work per thread, all at once; the wall time of the slowest and the sum."""

        def start(piece: Callable[[], int]) -> int:
            self.barrier.wait()
            return piece()

        futures = [self.pool.submit(start, piece) for piece in work]
        self.barrier.wait()
        began = time.perf_counter()
        total = sum(f.result() for f in futures)
        return time.perf_counter() - began, total

    def close(self) -> None:
        self.pool.shutdown()


def measure_throughput(
    redis_url: str, pop: Population, *, threads: int, rounds: int, beside: Switch | None = None, block: int = 1
) -> SideBySide:
    """`rounds` rounds; with `beside`, as many more with it switched on, in alternate blocks of `block`."""
    clients = [Redis.from_url(redis_url) for _ in range(threads)]
    config = RoutingConfig(offer_timeout_ms=600_000, wrapup_ms=600_000)
    engines = [RoutingEngine(client, config) for client in clients]
    floors = [client.register_script("return 1") for client in clients]  # called with FLOOR_KEY
    admin = Redis.from_url(redis_url)
    for queue, needs in pop.needs.items():
        engines[0].configure_queue(name=queue, offer_timeout_ms=None, wrapup_ms=None, skills=needs)
    for agent in pop.agents:
        engines[0].set_agent_state(
            agent_id=agent.name, state="available", queues=list(agent.queues), skills=agent.skills
        )

    per_round = len(pop.agents) // 2
    sides = SideBySide(
        Throughput(threads, rounds, per_round), Throughput(threads, rounds, per_round) if beside else None
    )
    harness = _Harness(threads)
    switched_on = False
    try:
        order = [False, *schedule(rounds, block, beside is not None)]
        sides.records = len(order) * per_round
        for r, on in enumerate(order, start=-1):
            # round -1 warms up (script loading, connections) and is not counted
            if beside is not None and on != switched_on:
                if on:
                    beside.on()
                else:
                    beside.off()
                switched_on = on
            result = sides.beside if on and sides.beside else sides.alone
            contacts = round_contacts(r, per_round)
            mine = [contacts[i::threads] for i in range(threads)]
            _count(result, "floor", r, admin, harness, [partial(_floor, f, mine[i]) for i, f in enumerate(floors)])
            _count(result, "enqueue", r, admin, harness, [partial(_enqueue, e, mine[i]) for i, e in enumerate(engines)])
            offers = _offers(admin, engines[0], contacts)
            theirs = [offers[i::threads] for i in range(threads)]
            for name, step in (
                ("accept", _accept),
                ("joined", _joined),
                ("finish", _finish),
                ("end_wrap_up", _end_wrap_up),
            ):
                _count(result, name, r, admin, harness, [partial(step, e, theirs[i]) for i, e in enumerate(engines)])
    finally:
        if beside is not None and switched_on:
            beside.off()
        harness.close()
        for client in [*clients, admin]:
            client.close()
    return sides


def _count(
    result: Throughput, name: str, r: int, admin: Redis, harness: _Harness, work: Sequence[Callable[[], int]]
) -> None:
    before = _evalsha_stats(admin)
    seconds, ok = harness.run(work)
    after = _evalsha_stats(admin)
    if r < 0:
        return
    phase = result.phases[name]
    phase.calls += after[0] - before[0]
    phase.ok += ok
    phase.seconds += seconds
    phase.server_usec += after[1] - before[1]


def _floor(script: Script, items: Sequence[Pair]) -> int:
    for _ in items:
        script(keys=FLOOR_KEY)
    return len(items)


def _enqueue(engine: RoutingEngine, items: Sequence[Pair]) -> int:
    offered = 0
    for cid, queue in items:
        _created, state = engine.enqueue(contact_id=cid, queue=queue, info={"n": cid})
        offered += state == "offered"
    return offered


def _offers(admin: Redis, engine: RoutingEngine, contacts: Sequence[Pair]) -> list[Pair]:
    """(contact, agent) of every offer made (untimed); contacts left waiting (none expected) are abandoned."""
    with admin.pipeline(transaction=False) as pipe:
        for cid, _queue in contacts:
            pipe.hmget(PREFIX + "contact:" + cid, "state", "agent")
        records = pipe.execute()
    offers = []
    for (cid, _queue), (state, agent) in zip(contacts, records, strict=True):
        if state == b"offered":
            offers.append((cid, agent.decode()))
        else:
            engine.finish(contact_id=cid, reason="abandoned")
    return offers


def _accept(engine: RoutingEngine, offers: Sequence[Pair]) -> int:
    for cid, agent in offers:
        engine.accept(contact_id=cid, agent_id=agent)
    return len(offers)


def _joined(engine: RoutingEngine, offers: Sequence[Pair]) -> int:
    for cid, agent in offers:  # the agent's leg joined: answered (finishing a call still connecting abandons it)
        engine.joined(contact_id=cid, agent_id=agent)
    return len(offers)


def _finish(engine: RoutingEngine, offers: Sequence[Pair]) -> int:
    for cid, _agent in offers:
        engine.finish(contact_id=cid, reason="ended")
    return len(offers)


def _end_wrap_up(engine: RoutingEngine, offers: Sequence[Pair]) -> int:
    for _cid, agent in offers:
        engine.end_wrap_up(agent_id=agent)
    return len(offers)
