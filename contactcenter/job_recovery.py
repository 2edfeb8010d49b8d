"""What a killed worker leaves in RQ, taken back within seconds instead of minutes.

RQ itself gives a dead worker's scheduler lock back when its key expires (61 s) and looks for a new
scheduler only in its maintenance (every 10 minutes), and moves a dead worker's job out of the started
registry after its heartbeat's 60-second margin, again only in maintenance: measured, a new worker ran
without a scheduler for up to 10 minutes and recording retries ran 12 minutes late. Both keys are
refreshed by the living: a scheduler's lock every second (`RQScheduler.interval`), a working worker's
key and its job's entry every `MONITORING_INTERVAL`. What has not been refreshed for `STALE_AFTER`
seconds belongs to the dead.

A worker on this machine, in this process namespace, whose process is gone is dead at once: the common
case (a worker restarted by its supervisor) then heals without waiting for staleness. Measured in the
chaos harness's killed worker: a heal of 5-10 s (10.4 s beside a test run) came down to ~2 s.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

from redis import Redis
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler

log = logging.getLogger(__name__)
MONITORING_INTERVAL = 3  # seconds between a working worker's heartbeats (RQ's default is 30)
HEARTBEAT_MARGIN = 60  # what RQ adds to every heartbeat's time to live
LOCK_TTL = 1 + HEARTBEAT_MARGIN  # a scheduler's lock: its interval (1 s) + the margin
STALE_AFTER = 6  # seconds without a refresh: dead (two heartbeats missed; 8 left the chaos harness's heal at 9.5 s)
PLACE_FIELD = "cc_place"  # in a worker's RQ key: host and pid namespace (`process_place`)
# Deletes the lock only if it is still the dead scheduler's (a new one may have taken it meanwhile).
_DELETE_IF_OWNER = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


@dataclass
class Recovered:
    scheduler_locks: list[str] = field(default_factory=list)  # queues whose dead scheduler's lock was freed
    jobs: list[str] = field(default_factory=list)  # job ids given back to their queue


def recover(redis: Redis, queue: Queue) -> Recovered:
    """Free a dead scheduler's lock and give a dead worker's jobs back to the queue."""
    recovered = Recovered()
    lock_key = RQScheduler.get_locking_key(queue.name)
    owner, ttl = redis.get(lock_key), int(redis.ttl(lock_key))
    if owner is not None and 0 <= ttl < LOCK_TTL - STALE_AFTER and redis.eval(_DELETE_IF_OWNER, 1, lock_key, owner):
        recovered.scheduler_locks.append(queue.name)
        log.warning("queue %s: freed the scheduler lock of a scheduler gone for %ss", queue.name, LOCK_TTL - ttl)
    registry = StartedJobRegistry(queue=queue)
    for job_id in registry.get_job_ids(cleanup=False):
        try:
            job = Job.fetch(job_id, connection=redis, serializer=queue.serializer)
        except NoSuchJobError:
            continue  # RQ's own cleanup takes the entry out
        if _worker_exited(redis, job.worker_name) or (
            _worker_gone(redis, job.worker_name) and _started_before(job, STALE_AFTER)
        ):
            registry.remove_executions(job)
            queue.enqueue_job(job)
            recovered.jobs.append(job.id)
            log.warning("job %s (%s): its worker %s is gone, queued again", job.id, job.func_name, job.worker_name)
    return recovered


def process_place() -> str:
    """Where this process's pids mean something: the host and its pid namespace ('' where unknown)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{socket.gethostname()}|{namespace}"


def mark_place(redis: Redis, worker: Worker) -> None:
    """Write where the worker's pid means something into its key, for its peers' `_worker_exited`."""
    if place := process_place():
        redis.hset(worker.key, PLACE_FIELD, place)


def _worker_exited(redis: Redis, worker_name: str | None) -> bool:
    """The worker ran here (same host, same pid namespace) and its process is no more."""
    if not worker_name:
        return False
    pid, place = redis.hmget(Worker.redis_worker_namespace_prefix + worker_name, "pid", PLACE_FIELD)
    here = process_place()
    if not (pid and place and here and (place.decode() if isinstance(place, bytes) else place) == here):
        return False  # elsewhere, or unknown: only staleness can tell
    return not _process_runs(int(pid))


def _process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process holds the pid now: alive, as far as we can tell
    try:  # a killed process its parent has not reaped yet is a zombie: dead
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _worker_gone(redis: Redis, worker_name: str | None) -> bool:
    if not worker_name:
        return False  # not started by a worker (yet): not ours to judge
    ttl = int(redis.ttl(Worker.redis_worker_namespace_prefix + worker_name))
    return ttl == -2 or 0 <= ttl < MONITORING_INTERVAL + HEARTBEAT_MARGIN - STALE_AFTER


def _started_before(job: Job, seconds: float) -> bool:
    return job.started_at is None or job.started_at.timestamp() < time.time() - seconds
