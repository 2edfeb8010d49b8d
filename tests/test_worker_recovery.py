"""A worker killed mid-job: the next worker takes over its scheduler lock and runs the abandoned job again
within 30 s, and nothing of the killed one (work horse, scheduler) runs on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry
from rq.scheduler import RQScheduler

from contactcenter.context import JOB_QUEUE
from contactcenter.db import Database
from contactcenter.embedded_redis import EmbeddedRedis

pytestmark = pytest.mark.system  # worker processes, one killed
ROOT = Path(__file__).resolve().parent.parent
RECOVERED_WITHIN = 30.0  # seconds after the kill (the promise)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[tuple[str, Redis]]:
    """A Redis of this test's own: RQ's queue and scheduler lock are per queue name, shared by all."""
    server = EmbeddedRedis(tmp_path / "redis")
    url = server.start()
    client = Redis.from_url(url)
    try:
        yield url, client
    finally:
        client.close()
        server.stop()


def _start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "contactcenter", "worker"], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the killed worker's children")
def test_a_killed_workers_lock_and_job_are_taken_over_within_30_seconds_and_nothing_of_it_runs_on(
    tmp_path: Path, own_redis: tuple[str, Redis], new_database: Callable[[], str]
) -> None:
    redis_url, redis = own_redis
    database = new_database()
    Database(database.replace("postgresql://", "postgresql+psycopg://", 1)).upgrade()
    env = {**os.environ, "REDIS_URL": redis_url, "DATABASE_URL": database, "VAR_DIR": str(tmp_path / "var")}
    queue = Queue(JOB_QUEUE, connection=redis)
    lock_key = RQScheduler.get_locking_key(JOB_QUEUE)
    workers: list[subprocess.Popen[bytes]] = []
    leftovers: list[int] = []
    try:
        first = _start_worker(env, tmp_path / "first.log")
        workers.append(first)
        job = queue.enqueue("tests.worker_jobs.sleep_then_count", "runs", 4.0, job_timeout=60)
        started = StartedJobRegistry(queue=queue)
        assert _wait_for(lambda: job.id in started.get_job_ids(cleanup=False), 30), (tmp_path / "first.log").read_text()
        assert _wait_for(lambda: redis.get(lock_key) is not None, 15)
        first_lock = redis.get(lock_key)
        # its work horse and its scheduler (the lock is taken a moment before the scheduler is forked)
        assert _wait_for(lambda: len(_children(first.pid)) >= 2, 10)
        leftovers = _children(first.pid)

        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = time.monotonic()
        second = _start_worker(env, tmp_path / "second.log")
        workers.append(second)

        def taken_over() -> bool:
            owner = redis.get(lock_key)
            return owner is not None and owner != first_lock

        assert _wait_for(taken_over, RECOVERED_WITHIN), (tmp_path / "second.log").read_text()[-3000:]
        assert _wait_for(lambda: redis.get("runs") == b"1", RECOVERED_WITHIN - (time.monotonic() - killed_at)), (
            tmp_path / "second.log"
        ).read_text()[-3000:]
        assert time.monotonic() - killed_at < RECOVERED_WITHIN
        assert [pid for pid in leftovers if _alive(pid)] == []  # the killed worker's horse and scheduler died with it

        later = queue.enqueue_in(timedelta(seconds=1), "tests.worker_jobs.count", "later")
        assert _wait_for(lambda: redis.get("later") == b"1", 15), f"scheduled job {later.id} never ran"
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(5)
        for pid in leftovers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
