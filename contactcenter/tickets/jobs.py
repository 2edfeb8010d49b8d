"""The SLA clocks' alarms: the exact job one clock scheduled (through the outbox) and the minute sweep.

The sweep is the backup: every web process tries it once a minute and one of them (a Redis lock) fires
whatever alarm is past due and unannounced, e.g. after an outage of Redis or of every worker.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from starlette.concurrency import run_in_threadpool

from contactcenter.context import Services
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.escalation import due_clocks, fire
from contactcenter.tickets.notifier import push_committed
from contactcenter.timeutil import utcnow
from contactcenter.worker import worker_services

log = logging.getLogger(__name__)
SWEEP_BATCH = 500
SWEEP_LOCK = "cc:sla:sweep"


def clock_alarm(clock_id: int, generation: int) -> None:
    """RQ job: a clock's warning or due time has come."""
    fire_and_tell(worker_services(), clock_id=clock_id, generation=generation)


def fire_and_tell(services: Services, *, clock_id: int, generation: int | None, now: datetime | None = None) -> int:
    """Fire one clock's alarm in its own transaction, then push its notifications; returns how many."""
    with services.db.session() as session:
        sent = fire(session, clockwork(services), clock_id=clock_id, generation=generation, now=now or utcnow())
    push_committed(services.redis, sent)
    return len(sent)


def sweep(services: Services, *, now: datetime | None = None) -> int:
    """Fire every running clock whose warning or due time has passed unannounced; returns how many fired."""
    now = now or utcnow()
    fired = 0
    while True:
        with services.db.reading() as session:
            ids = due_clocks(session, now=now, limit=SWEEP_BATCH)
        for clock_id in ids:
            try:
                fire_and_tell(services, clock_id=clock_id, generation=None, now=now)
            except Exception:
                log.exception("the sweep could not fire clock %s", clock_id)
                return fired  # the next sweep tries again; one bad clock must not spin this loop
            fired += 1
        if len(ids) < SWEEP_BATCH:
            return fired


async def sweep_forever(services: Services) -> None:
    """Every SLA_SWEEP_SECONDS (a minute), in the one process that takes that period's lock; the first after
    one period (a process starting has nothing the alarms missed that the running ones would not catch)."""
    interval = services.settings.sla_sweep_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            lock = max(interval - 5, 1)
            if await run_in_threadpool(services.redis.set, SWEEP_LOCK, services.process_id, nx=True, ex=lock):
                await run_in_threadpool(sweep, services)
        except Exception:
            log.exception("sweeping the SLA clocks failed")
