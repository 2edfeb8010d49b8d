"""Processes a test run started and left behind (redis-server, serve, worker, sandbox, node, chromium).

Every process the tests start inherits OWNER=<pid of the test process> from the environment, even one
that outlived its parent and now belongs to init, so /proc tells which ones this run still has."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

OWNER = "CONTACTCENTER_TEST_OWNER"


def mark_this_process() -> None:
    """Make every process started from now on carry this process's id in OWNER."""
    os.environ[OWNER] = str(os.getpid())


def carrying(variable: str, value: str, *, but: int | None = None) -> dict[int, str]:
    """Running processes (not zombies) started with variable=value in their environment, `but` one:
    pid → command line. Found even once their parent is gone."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != but:
            command = _carries(entry, f"{variable}={value}".encode())
            if command is not None:
                found[int(entry.name)] = command
    return found


def _carries(proc: Path, setting: bytes) -> str | None:
    """The command line of the process at `proc` if its environment holds `setting` and it still runs."""
    try:
        if (proc / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return None
        if setting not in (proc / "environ").read_bytes().split(b"\0"):
            return None
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except (OSError, IndexError):
        return None  # gone meanwhile, or not ours to read


def left_behind(grace_seconds: float = 5.0) -> dict[int, str]:
    """This process's descendants still running after `grace_seconds` (they may be stopping now)."""
    if not Path("/proc/self/environ").exists():
        return {}  # no /proc (not Linux): nothing to look at
    deadline = time.monotonic() + grace_seconds
    while True:
        found = carrying(OWNER, str(os.getpid()), but=os.getpid())
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def kill(pids: dict[int, str]) -> None:
    """Kill what was left behind, so a failing run does not also leave it running."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
