"""Jobs the worker tests enqueue (the worker imports them by name, from the repository's root)."""

from __future__ import annotations

import os
import time

from redis import Redis


def count(key: str) -> None:
    """Add one to `key` in the worker's Redis: the job ran (once more)."""
    with Redis.from_url(os.environ["REDIS_URL"]) as redis:
        redis.incr(key)


def sleep_then_count(key: str, seconds: float) -> None:
    """A job long enough to be under way when its worker is killed."""
    time.sleep(seconds)
    count(key)
