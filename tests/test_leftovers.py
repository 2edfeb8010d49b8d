"""The run's check for processes left behind (tests/leftovers.py) sees what the tests started, even a
process whose parent is gone, and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests import leftovers

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_an_orphan_of_a_finished_child_is_found_and_killed() -> None:
    # The shell exits at once; its sleep lives on, a child of init, as `run`'s redis-server did.
    subprocess.run(["sh", "-c", "sleep 120 >/dev/null 2>&1 &"], check=True)
    deadline = time.monotonic() + 5
    while True:  # the shell's child may not have become `sleep` yet (exec after fork, on a loaded machine)
        orphans = {pid: command for pid, command in leftovers.left_behind(0).items() if command == "sleep 120"}
        if orphans or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(orphans) == 1

    leftovers.kill(orphans)

    deadline = time.monotonic() + 5
    while "sleep 120" in leftovers.left_behind(0).values():
        assert time.monotonic() < deadline, "the orphan survived its kill"
        time.sleep(0.05)


def test_a_process_started_with_another_owner_is_not_ours() -> None:
    env = {**os.environ, leftovers.OWNER: "1"}
    stranger = subprocess.Popen(["sleep", "121"], env=env)
    try:
        assert "sleep 121" not in leftovers.left_behind(0).values()
    finally:
        stranger.kill()
        stranger.wait()


def test_a_child_that_was_waited_for_is_not_left_behind() -> None:
    subprocess.run(["sleep", "0.01"], check=True)
    assert "sleep 0.01" not in leftovers.left_behind(0).values()
