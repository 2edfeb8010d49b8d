"""The RQ worker process: one Services per process, jobs run with its scheduler for retries."""

from __future__ import annotations

from functools import cache

from rq import Worker

from contactcenter.context import JOB_QUEUE, Services, build_services
from contactcenter.settings import load_settings


@cache
def worker_services() -> Services:
    """The worker process's resources, built from the environment on first use."""
    return build_services(load_settings())


def run_worker(*, burst: bool = False) -> None:
    """Work the job queue until stopped; the scheduler runs delayed retries."""
    services = worker_services()
    worker = Worker([JOB_QUEUE], connection=services.redis)
    worker.work(with_scheduler=True, burst=burst)
