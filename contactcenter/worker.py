"""The RQ worker process: one Services per process, jobs run with its scheduler for retries."""

from __future__ import annotations

import logging
import os
import signal
import threading
from functools import cache, partial

from rq import Queue, Worker

from contactcenter.children import die_with_parent
from contactcenter.context import JOB_QUEUE, Services, build_services
from contactcenter.job_recovery import MONITORING_INTERVAL, mark_place, recover
from contactcenter.retention.schedule import enqueue_if_due
from contactcenter.settings import load_settings

log = logging.getLogger(__name__)
RECOVER_EVERY = 4.0  # seconds: a dead peer's lock and jobs are back within STALE_AFTER + this + a scheduler's start
MAINTENANCE_INTERVAL = 15  # RQ's own maintenance (registries, a scheduler to start): its default is 10 minutes


class ContactCenterWorker(Worker):
    """RQ's worker, telling its peers where its pid means something, stopping without waiting on its
    command listener."""

    def register_birth(self) -> None:
        super().register_birth()  # type: ignore[no-untyped-call]
        mark_place(self.connection, self)

    def unsubscribe(self) -> None:
        """Stop the command listener without joining it: it is a daemon thread, gone with the process.

        RQ unsubscribes first and then joins the listener with no limit. When the unsubscribe's reply
        reaches the listener before its stop flag is cleared, it waits 60 s for a subscription that never
        comes (redis-py's `get_message`), and the worker outlived its parent in CI by more than 10 s.
        """
        if self.pubsub_thread:
            self.pubsub_thread.stop(timeout=0)


@cache
def worker_services() -> Services:
    """The worker process's resources, built from the environment on first use."""
    return build_services(load_settings())


def run_worker(*, burst: bool = False) -> None:
    """Work the job queue until stopped; the scheduler runs delayed retries."""
    services = worker_services()
    queue = Queue(JOB_QUEUE, connection=services.redis)
    # The work horse and the scheduler are forked from here: they die with this process rather than run on
    # unseen (a scheduler left behind kept its lock alive for nobody to see).
    os.register_at_fork(after_in_child=partial(die_with_parent, signal.SIGKILL))
    worker = ContactCenterWorker(
        [queue],
        connection=services.redis,
        job_monitoring_interval=MONITORING_INTERVAL,
        maintenance_interval=MAINTENANCE_INTERVAL,
    )
    recover(services.redis, queue)  # before starting: a dead worker's lock would keep our scheduler off
    stop = threading.Event()
    if not burst:
        threading.Thread(target=_recover_forever, args=(worker, queue, stop), name="job-recovery", daemon=True).start()
    try:
        worker.work(with_scheduler=True, burst=burst)
    finally:
        stop.set()


def _recover_forever(worker: Worker, queue: Queue, stop: threading.Event) -> None:
    """Every few seconds: a dead peer's scheduler lock and jobs taken back; a freed lock taken at once; the
    day's retention run enqueued once its hour has come (contactcenter/retention/schedule.py)."""
    settings = worker_services().settings
    while not stop.wait(RECOVER_EVERY):
        try:
            enqueue_if_due(worker.connection, queue, settings)
        except Exception:
            log.exception("enqueuing the day's retention run failed")
        try:
            recovered = recover(worker.connection, queue)
            scheduler = worker.scheduler
            if recovered.scheduler_locks and scheduler and not (scheduler._process and scheduler._process.is_alive()):
                scheduler.acquire_locks(auto_start=True)  # type: ignore[no-untyped-call]
        except Exception:
            log.exception("recovering what a dead worker left failed")
