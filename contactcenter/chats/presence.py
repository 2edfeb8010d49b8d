"""Is the customer still there? A waiting chat whose page went quiet is abandoned, as a caller who
hangs up is.

Every message the customer's page sends (it pings every 15 s) stamps the chat in one Redis sorted
set; any process's reaper takes out the chats not heard from for CHAT_CUSTOMER_GRACE_SECONDS. A
closed tab, a lost phone signal and a crashed app process all end the same way, and a page that
comes back within the grace (a reload, a tunnel) keeps its place.
"""

from __future__ import annotations

import time
from typing import cast

from redis import Redis

HEARD = "cc:chat:heard"  # member: chat contact id; score: when its customer was last heard (ms)


def heard(redis: Redis, *, contact_id: int) -> None:
    """The customer's page sent something."""
    redis.zadd(HEARD, {str(contact_id): int(time.time() * 1000)})


def forget(redis: Redis, *, contact_id: int) -> None:
    """The chat is over: nothing more to watch."""
    redis.zrem(HEARD, str(contact_id))


def gone(redis: Redis, *, grace_seconds: float) -> list[int]:
    """Chats whose customer has been silent past the grace; each is handed to one caller only (the
    process whose ZREM removed it), however many processes ask at once."""
    cutoff = int((time.time() - grace_seconds) * 1000)
    silent = cast(list[bytes], redis.zrangebyscore(HEARD, "-inf", cutoff))  # members only: no scores asked for
    return [int(member) for member in silent if redis.zrem(HEARD, member)]
