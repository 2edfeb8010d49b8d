"""Load of the latency benchmark, run in child processes so that their threads do not share a GIL with
the websocket clients that take the timestamps: a pacer that enqueues contacts at fixed times (open
loop), and a freer that accepts, finishes and wraps up every offer as soon as a console receives it.
Times are wall-clock (`time.time()`), comparable between processes of one machine."""

from __future__ import annotations

import os
import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized

from redis import Redis
from routing_data import QUEUES

from queues.engine import RoutingConfig, RoutingEngine, RoutingError

CONFIG = RoutingConfig(offer_timeout_ms=600_000, wrapup_ms=600_000)  # offers never expire during a run
PACERS = 2  # enqueueing threads, so one slow call does not hold back the next arrival
FREERS = 4  # threads accepting, finishing and wrapping up offers


def pid() -> int:
    return os.getpid()


def pace(redis_url: str, tag: str, rate: int, count: int) -> tuple[dict[str, float], float, float]:
    """Enqueue `count` contacts at `rate`/s, never waiting for one before scheduling the next.

    Returns each contact's wall time just before its enqueue(), the worst lateness against the
    schedule (s) and the time from the first due arrival to the last enqueue (s)."""
    clients = [Redis.from_url(redis_url) for _ in range(PACERS)]
    engines = [RoutingEngine(client, CONFIG) for client in clients]
    ids = [f"{tag}-{i}" for i in range(count)]
    start = time.perf_counter() + 0.05
    due = [start + i / rate for i in range(count)]
    sent: dict[str, float] = {}
    try:
        with ThreadPoolExecutor(PACERS) as pool:
            args = [(e, ids[k::PACERS], due[k::PACERS], sent) for k, e in enumerate(engines)]
            lags = list(pool.map(lambda a: _pace(*a), args))
    finally:
        for client in clients:
            client.close()
    return sent, max(lags), time.perf_counter() - start


def _pace(engine: RoutingEngine, ids: list[str], due: list[float], sent: dict[str, float]) -> float:
    rng, lag = random.Random(ids[0] if ids else 0), 0.0
    for cid, at in zip(ids, due, strict=True):
        delay = at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        else:
            lag = max(lag, -delay)
        sent[cid] = time.time()
        engine.enqueue(contact_id=cid, queue=rng.choice(QUEUES), info={"bench": cid})
    return lag


def free_offers(redis_url: str, offers: Connection, errors: Synchronized[int]) -> None:
    """Accept, join, finish and wrap up each offer the consoles pass on ("contact agent"; b"" ends)."""
    engines = [RoutingEngine(Redis.from_url(redis_url), CONFIG) for _ in range(FREERS)]
    work: queue.SimpleQueue[tuple[str, str] | None] = queue.SimpleQueue()

    def free(engine: RoutingEngine) -> None:
        while (item := work.get()) is not None:
            contact, agent = item
            try:
                engine.accept(contact_id=contact, agent_id=agent)
                engine.joined(contact_id=contact, agent_id=agent)  # answered: its end puts the agent in wrap-up
                engine.finish(contact_id=contact, reason="ended")
                engine.end_wrap_up(agent_id=agent)
            except RoutingError:
                with errors.get_lock():
                    errors.value += 1

    threads = [threading.Thread(target=free, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    try:
        while message := offers.recv_bytes():
            contact, agent = message.decode().split(" ")
            work.put((contact, agent))
    finally:
        for _ in threads:
            work.put(None)
        for thread in threads:
            thread.join()
        for engine in engines:
            engine.redis.close()
