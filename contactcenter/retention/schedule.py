"""The daily run's place in the worker's schedule: every worker checks every few seconds (worker.py); the first
to see the day's RETENTION_RUN_HOUR pass (the hotline's time) enqueues that day's run, once (a Redis key)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from redis import Redis
from rq import Queue

from contactcenter.settings import Settings
from contactcenter.timeutil import utcnow

RUN_JOB = "contactcenter.retention.jobs.daily_run"
RUN_TIMEOUT = 6 * 3600  # seconds: a first run over years of data takes long; RQ's default (180 s) would kill it
DAY_KEY = "cc:retention:day:{day}"


def due_day(settings: Settings, now: datetime) -> str | None:
    """The hotline's date when today's run is due (its hour has come), else None."""
    local = now.astimezone(ZoneInfo(settings.timezone))
    return local.date().isoformat() if local.hour >= settings.retention_run_hour else None


def enqueue_if_due(redis: Redis, queue: Queue, settings: Settings, *, now: datetime | None = None) -> str | None:
    """Enqueue today's run if it is due and no worker has enqueued it yet; its job id, or None."""
    day = due_day(settings, now or utcnow())
    if day is None:
        return None
    key = DAY_KEY.format(day=day)
    if not redis.set(key, "enqueued", nx=True, ex=3 * 86400):
        return None
    try:
        job = queue.enqueue(RUN_JOB, job_id=f"retention-{day}", job_timeout=RUN_TIMEOUT, result_ttl=7 * 86400)
    except Exception:
        redis.delete(key)  # the next check tries again
        raise
    return str(job.id)
