"""The scheduled sampling: every web process looks once per QA_SAMPLE_CHECK_SECONDS (an hour) and the one that
takes that period's Redis lock runs every active policy whose last whole period has no scheduled run yet.

A run is not a job that follows a committed change (the outbox's case): it follows the calendar. Missing the
lock, or Redis, only delays it to the next look; the unique period key makes a second run of a week impossible
even when two processes both got there (sampling_runs.run_due)."""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from contactcenter.context import Services
from contactcenter.qa.sampling_runs import run_due

log = logging.getLogger(__name__)
SAMPLE_LOCK = "cc:qa:sampling"


async def sample_forever(services: Services) -> None:
    """Look for due sampling runs every QA_SAMPLE_CHECK_SECONDS, in the one process holding the lock."""
    interval = services.settings.qa_sample_check_seconds
    while True:
        await asyncio.sleep(interval)
        try:
            lock = max(interval - 5, 1)
            if await run_in_threadpool(services.redis.set, SAMPLE_LOCK, services.process_id, nx=True, ex=lock):
                for done in await run_in_threadpool(run_due, services):
                    log.info("policy %s sampled %s (run %s)", done.policy_id, len(done.contact_ids), done.run_id)
        except Exception:
            log.exception("the scheduled sampling failed")
