"""Which app processes are alive: each one renews a short Redis key every second while it runs. Work a
process began and must finish itself (an accept: moving the caller, then ringing the agent's phone) is
marked with its id, so the reconciler can tell work orphaned by a process that died (kill -9, a crash)
from work still under way, and repair it at once instead of after the longest a phone can ring."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket

from redis import Redis
from starlette.concurrency import run_in_threadpool

log = logging.getLogger(__name__)
BEAT_SECONDS = 1.0
# Five missed beats: a process busy enough to miss that many is not taken for dead (measured beats under
# the routing benchmark's load came at most 1.4 s apart).
TTL_MS = 5_000


def new_process_id() -> str:
    """This process's id: host, pid and a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def _key(process_id: str) -> str:
    return f"cc:process:{process_id}"


def beat(redis: Redis, process_id: str) -> None:
    """Say this process is alive for the next TTL_MS."""
    redis.set(_key(process_id), 1, px=TTL_MS)


def is_alive(redis: Redis, process_id: str) -> bool:
    """Whether the process renewed its key within TTL_MS."""
    return bool(redis.exists(_key(process_id)))


async def beat_forever(redis: Redis, process_id: str) -> None:
    """Run by every app process for as long as it serves."""
    while True:
        try:
            await run_in_threadpool(beat, redis, process_id)
        except Exception:  # Redis away: its absence says nothing about us; beat again next second
            log.warning("renewing this process's liveness key failed", exc_info=True)
        await asyncio.sleep(BEAT_SECONDS)
