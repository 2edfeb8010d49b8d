"""Jobs that must follow a committed change: `add` writes one in the change's own transaction; `relay`
hands the due ones to RQ. A crash or a Redis outage between the two delays a job, never loses it.

Delivery is at least once: a relay that enqueued a job and died before it could mark the row hands it
over again (under the same RQ job id). Every job sent this way is safe to run twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from contactcenter.context import Services
from contactcenter.outbox.models import OutboxJob
from contactcenter.timeutil import utcnow

log = logging.getLogger(__name__)
RELAY_INTERVAL = 0.5  # seconds between a process's looks at the outbox; one indexed read when it is empty
BATCH = 100
# A job RQ refuses for itself (not for an outage) is tried again 1 s, 2 s, 4 s … at most an hour later.
RETRY_BASE_MS = 1000
RETRY_CAP_MS = 3_600_000


def add(
    session: Session,
    *,
    job: str,
    args: list[Any],
    due: datetime | None = None,
    job_id: str | None = None,
    retry_intervals: tuple[int, ...] = (),
) -> OutboxJob:
    """Write a job into the session's transaction: it reaches RQ only if the transaction commits."""
    due_ms = int((due.timestamp() if due else time.time()) * 1000)
    row = OutboxJob(job=job, args=args, due_ms=due_ms, job_id=job_id, retry_intervals=list(retry_intervals))
    session.add(row)
    return row


def relay(services: Services, *, limit: int = BATCH) -> int:
    """Hand the due jobs to RQ, oldest first; returns how many were handed over. Stops at the first
    one Redis refuses (the rest wait for the next try)."""
    now_ms = int(time.time() * 1000)
    due = select(OutboxJob.id).where(OutboxJob.handed_at.is_(None), OutboxJob.due_ms <= now_ms).limit(1)
    with services.db.reading() as session:  # the usual case, nothing due: no writer's turn, no lock
        if session.scalar(due) is None:
            return 0
    handed = 0
    with services.db.session() as session:
        rows = session.scalars(
            select(OutboxJob)
            .where(OutboxJob.handed_at.is_(None), OutboxJob.due_ms <= now_ms)
            .order_by(OutboxJob.due_ms, OutboxJob.id)
            .limit(limit)
            .with_for_update(skip_locked=True)  # PostgreSQL: two processes' relays take different rows
        ).all()
        for row in rows:
            try:
                _enqueue(services, row)
            except RedisError as exc:  # Redis down or refusing: kept for the next try, with why
                _failed(row, exc)
                break
            except Exception as exc:  # RQ refuses this job itself (a bad id…): tried again later, never in the way
                _failed(row, exc)
                row.due_ms = now_ms + min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** min(row.attempts, 16))
                continue
            row.handed_at = utcnow()
            handed += 1
    return handed


def _failed(row: OutboxJob, exc: Exception) -> None:
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:500]
    log.warning("handing outbox job %s (%s) to RQ failed: %s", row.id, row.job, exc)


def _enqueue(services: Services, row: OutboxJob) -> None:
    retry = Retry(max=len(row.retry_intervals), interval=list(row.retry_intervals)) if row.retry_intervals else None
    services.jobs.enqueue(row.job, *row.args, job_id=row.job_id or f"outbox-{row.id}", retry=retry)


async def relay_forever(services: Services) -> None:
    """The per-process relay started by the app: every process runs it, the database decides who hands
    which job over."""
    while True:
        try:
            while await run_in_threadpool(relay, services) == BATCH:
                pass  # a backlog (after an outage): on at once
        except Exception:
            log.exception("relaying the outbox failed")
        await asyncio.sleep(RELAY_INTERVAL)
