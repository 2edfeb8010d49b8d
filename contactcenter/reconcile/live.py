"""Routing's live contacts as the reconciler reads them: the live set routing's scripts keep (in at enqueue,
out where a contact ends: `live_contacts` in queues/lua/lib/1_base.lua), not every record routing keeps
(ended ones stay a day; a busy day leaves tens of thousands, and reading them all every pass was not cheap).

The set corrects itself: a member whose record is gone or ended is dropped when read; and once an hour,
or when the mark of the last sweep is missing (a Redis that lost its data, or that held contacts before
the set existed), one sweep of every record adds the live contacts the set lacks. Both happen in a dry
run too: they keep routing's own index right and repair nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence

from redis import Redis

from contactcenter.context import Services
from queues.keys import decode

log = logging.getLogger(__name__)
PAGE = 500  # members, or SCAN keys, read per round trip
SWEEP_EVERY_SECONDS = 3600


class RoutingRecords(dict[str, dict[str, str]]):
    """Routing's live contacts' records by id. `in` also knows a contact routing has only an ended record
    of (asked of Redis for that one id: rare when all is well): unknown to routing means no record."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        super().__init__()
        self._redis, self._prefix = redis, prefix

    def __contains__(self, contact_id: object) -> bool:
        return super().__contains__(contact_id) or bool(self._redis.exists(self._prefix + str(contact_id)))


def live_records(services: Services, fields: Sequence[str], live_states: Sequence[str]) -> RoutingRecords:
    """`fields` of each contact routing holds as live (in `live_states`), one pipelined round trip per
    page of the live set; members found ended or gone are dropped from it."""
    routing, redis = services.routing, services.redis
    prefix = routing.contact_key("")
    sweep_mark = routing.prefix + "live:swept"
    if not redis.exists(sweep_mark):
        if missing := sweep(services, live_states):
            log.warning("%d live contacts were missing from routing's live set: added", missing)
        redis.set(sweep_mark, int(time.time() * 1000), ex=SWEEP_EVERY_SECONDS)
    found = RoutingRecords(redis, prefix)
    members = (decode(member) for member in redis.sscan_iter(routing.live_key, count=PAGE))
    for page in _pages(member for member in members if member.isdigit()):  # SQL's ids; others are no contacts
        stale = []
        for contact_id, record in zip(page, _read(redis, prefix, page, fields), strict=True):
            if record.get("state") in live_states:
                found[contact_id] = record
            else:
                stale.append(contact_id)
        routing.prune_live(stale)  # routing checks again: one enqueued meanwhile stays
    return found


def sweep(services: Services, live_states: Sequence[str]) -> int:
    """Add to the live set every live contact it lacks, read from all of routing's records (the old,
    costly way: once an hour); returns how many were missing."""
    routing, redis = services.routing, services.redis
    prefix = routing.contact_key("")
    ids = (decode(key).removeprefix(prefix) for key in redis.scan_iter(match=prefix + "*", count=PAGE))
    missing = 0
    for page in _pages(contact_id for contact_id in ids if contact_id.isdigit()):  # not `…:why` keys
        live = [
            cid
            for cid, record in zip(page, _read(redis, prefix, page, ["state"]), strict=True)
            if record.get("state") in live_states
        ]
        if live:
            # A contact that ends between the read and this add is dropped again by the next pass.
            missing += int(redis.sadd(routing.live_key, *live))
    return missing


def _read(redis: Redis, prefix: str, contact_ids: Sequence[str], fields: Sequence[str]) -> list[dict[str, str]]:
    """`fields` of each contact's record ({} for one that is gone), in one pipelined round trip."""
    with redis.pipeline(transaction=False) as pipe:
        for contact_id in contact_ids:
            pipe.hmget(prefix + contact_id, list(fields))
        rows = pipe.execute()
    return [
        {name: decode(value) for name, value in zip(fields, values, strict=True) if value is not None}
        for values in rows
    ]


def _pages(items: Iterable[str]) -> Iterator[list[str]]:
    page: list[str] = []
    for item in items:
        page.append(item)
        if len(page) >= PAGE:
            yield page
            page = []
    if page:
        yield page
