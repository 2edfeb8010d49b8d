"""Queue figures over time, for the wallboard's charts: once a minute every queue's waiting count and
service level are written to Redis (a sorted set per queue, by minute, kept 24 hours).

Every web process runs the sampling loop; a `SET NX` key per minute lets exactly one of them take
each minute's sample, so more processes add no samples and losing one process loses none.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from contactcenter.context import Services
from queues.engine import RoutingEngine
from queues.models import Queue

log = logging.getLogger(__name__)
MINUTE_MS = 60_000
KEEP_MS = 24 * 3600 * 1000
MAX_HOURS = 24
CHECK_EVERY_SECONDS = 5.0  # how soon after a minute starts some process samples it


def _series_key(routing: RoutingEngine, queue: str) -> str:
    return f"{routing.prefix}history:{queue}"


def sample(routing: RoutingEngine, queues: list[str], now_ms: int | None = None) -> bool:
    """Record this minute's figures of `queues`, unless a process already did; True if this call did."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    minute = now_ms // MINUTE_MS * MINUTE_MS
    if not routing.redis.set(f"{routing.prefix}history:taken:{minute}", 1, nx=True, ex=180):
        return False
    for queue in queues:
        stats = routing.queue_stats(queue=queue)
        point = {
            "at": minute,
            "waiting": stats["waiting"],
            "longest_wait_seconds": stats["longest_wait_seconds"],
            "service_level_percent": stats["service_level_percent"],
        }
        record(routing, queue, point, now_ms)
    return True


def record(routing: RoutingEngine, queue: str, point: dict[str, Any], now_ms: int) -> None:
    """Add one sample (`at`: its minute, in ms) to a queue's series and drop those older than 24 h."""
    key = _series_key(routing, queue)
    with routing.redis.pipeline(transaction=False) as pipe:
        pipe.zadd(key, {json.dumps(point, separators=(",", ":")): point["at"]})
        pipe.zremrangebyscore(key, "-inf", f"({now_ms - KEEP_MS}")
        pipe.execute()


def history(routing: RoutingEngine, queues: list[str], hours: int, now_ms: int | None = None) -> dict[str, Any]:
    """The samples of the last `hours` hours (1-24) of each queue, oldest first."""
    if not 1 <= hours <= MAX_HOURS:
        raise ValueError(f"hours must be a whole number from 1 to {MAX_HOURS}")
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    since = now_ms - hours * 3600 * 1000
    with routing.redis.pipeline(transaction=False) as pipe:
        for queue in queues:
            pipe.zrangebyscore(_series_key(routing, queue), since, "+inf")
        replies = pipe.execute()
    return {
        "hours": hours,
        "interval_seconds": MINUTE_MS // 1000,
        "queues": {queue: [json.loads(p) for p in points] for queue, points in zip(queues, replies, strict=True)},
    }


def _queue_names(services: Services) -> list[str]:
    with services.db.session() as session:
        return list(session.scalars(select(Queue.name).order_by(Queue.name)))


async def sample_forever(services: Services) -> None:
    """The per-process loop started by the app: try every few seconds; one process wins each minute."""
    tried_minute = -1
    while True:
        minute = int(time.time() * 1000) // MINUTE_MS
        if minute != tried_minute:  # once a minute per process: no database read every few seconds
            try:
                queues = await run_in_threadpool(_queue_names, services)
                await run_in_threadpool(sample, services.routing, queues)
                tried_minute = minute
            except Exception:
                log.exception("sampling queue history failed")
        await asyncio.sleep(CHECK_EVERY_SECONDS)
