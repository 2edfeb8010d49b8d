"""Job recovery's judgement of a worker: a process that exited on this machine is dead at once; one
elsewhere (or still running) only once its heartbeat is stale."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.executions import Execution
from rq.job import Job
from rq.registry import StartedJobRegistry

from contactcenter.job_recovery import PLACE_FIELD, mark_place, process_place, recover

pytestmark = pytest.mark.skipif(not process_place(), reason="needs /proc (a pid namespace to compare)")


def _exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _working(redis: Redis, *, pid: int, place: str | None) -> tuple[Queue, Job]:
    """A worker registered with `pid`, in the middle of a job it started a moment ago."""
    queue = Queue("recovery-test", connection=redis)
    worker = Worker([queue], connection=redis, name="the-worker")
    worker.register_birth()
    redis.hset(worker.key, "pid", pid)
    if place is not None:
        mark_place(redis, worker)
        redis.hset(worker.key, PLACE_FIELD, place)
    job = queue.enqueue("builtins.print", "hello")
    queue.remove(job)
    job.worker_name = worker.name
    job.started_at = datetime.now(UTC)
    job.save()
    with redis.pipeline() as pipeline:
        Execution.create(job, 60, pipeline, worker_name=worker.name)
        pipeline.execute()
    return queue, job


def test_a_job_of_a_worker_whose_process_exited_here_is_queued_again_at_once(redis_client: Redis) -> None:
    queue, job = _working(redis_client, pid=_exited_pid(), place=process_place())

    assert recover(redis_client, queue).jobs == [job.id]
    assert queue.job_ids == [job.id]
    assert job.id not in StartedJobRegistry(queue=queue).get_job_ids(cleanup=False)


def test_a_job_of_a_worker_still_running_here_stays_with_it(redis_client: Redis) -> None:
    queue, job = _working(redis_client, pid=os.getpid(), place=process_place())

    assert recover(redis_client, queue).jobs == []
    assert queue.job_ids == []


@pytest.mark.parametrize("place", ["another-host|pid:[4026531836]", None], ids=["elsewhere", "unmarked"])
def test_a_worker_elsewhere_is_judged_by_its_heartbeat_only(redis_client: Redis, place: str | None) -> None:
    """Its pid means nothing here: a fresh heartbeat keeps the job with it whatever our pids say."""
    queue, job = _working(redis_client, pid=_exited_pid(), place=place)

    assert recover(redis_client, queue).jobs == []
    assert queue.job_ids == []
