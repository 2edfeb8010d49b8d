"""Load of the latency benchmark, run in child processes so that their threads do not share a GIL with
the websocket clients that take the timestamps: a pacer that enqueues contacts at fixed times (open
loop), and a freer that accepts, finishes and wraps up every offer as soon as it is on the event stream.
Times are wall-clock (`time.time()`), comparable between processes of one machine."""

from __future__ import annotations

import json
import os
import random
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event

from redis import Redis
from routing_data import QUEUES

from queues.engine import RoutingConfig, RoutingEngine, RoutingError

CONFIG = RoutingConfig(offer_timeout_ms=600_000, wrapup_ms=600_000)  # offers never expire during a run
OFFER = b'"offer.created"'
PACERS = 2  # enqueueing threads, so one slow call does not hold back the next arrival
FREERS = 4  # processes accepting, finishing and wrapping up offers (each takes a share of them)


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


def free_offers(redis_url: str, part: int, ready: Event, stop: Event, errors: Synchronized[int]) -> None:
    """Follow the event stream; every offer of this part (one of FREERS) is accepted, finished and
    wrapped up at once. One thread per process: a busy reader thread would keep the GIL from the
    threads waiting on Redis replies, and freeing would fall behind."""
    reader = Redis.from_url(redis_url)
    engine = RoutingEngine(Redis.from_url(redis_url), CONFIG)
    newest = reader.xrevrange(engine.events_key, count=1)
    last: bytes | str = newest[0][0] if newest else "0-0"
    ready.set()
    try:
        while not stop.is_set():
            for _key, entries in reader.xread({engine.events_key: last}, block=200, count=1000):
                for stream_id, fields in entries:
                    last = stream_id
                    if OFFER not in fields[b"e"]:
                        continue
                    event = json.loads(fields[b"e"])
                    if event["type"] == "offer.created" and zlib.crc32(event["contact"].encode()) % FREERS == part:
                        _free(engine, event["contact"], str(event["agent"]), errors)
    finally:
        reader.close()
        engine.redis.close()


def _free(engine: RoutingEngine, contact: str, agent: str, errors: Synchronized[int]) -> None:
    try:
        engine.accept(contact_id=contact, agent_id=agent)
        engine.finish(contact_id=contact, reason="ended")
        engine.end_wrap_up(agent_id=agent)
    except RoutingError:
        with errors.get_lock():
            errors.value += 1
