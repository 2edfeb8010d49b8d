"""`contactcenter run` leaves nothing running however it is stopped: Ctrl-C, SIGTERM (also while it
starts), the terminal closing (SIGHUP) or SIGKILL. Each run is started with a mark of its own in its
environment, which every process it starts inherits; /proc tells which ones still run, even those
whose parent is gone."""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests import leftovers
from tests.conftest import ProcessSystem, launch_system
from tests.console import AgentConsole

pytestmark = [
    pytest.mark.system,  # `contactcenter run` and its processes
    pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the processes in /proc (Linux)"),
]

MARK = "CONTACTCENTER_TEST_RUN"
GONE_WITHIN = 12.0  # seconds: an orderly stop takes one or two, run kills what has not stopped after 10
SERVERS = ("contactcenter serve", "contactcenter worker", "twilio_sandbox serve")


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent, state, start time) of a process from /proc; None once it is gone."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[0], int(fields[19])


def _command(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def below(root: int) -> dict[int, int]:
    """The processes below `root` (children, theirs, …): pid → start time."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[0], []).append((int(entry.name), stat[2]))
    found: dict[int, int] = {}
    parents = [root]
    while parents:
        for pid, started in children.get(parents.pop(), []):
            found[pid] = started
            parents.append(pid)
    return found


@dataclass
class Run:
    """One `contactcenter run --demo` and the processes it started. They are found below it, and by
    the mark in their environment once their parent is gone (redis-server overwrites its environment
    with its title, so it is known only from below)."""

    system: ProcessSystem
    mark: str
    seen: dict[int, int] = field(default_factory=dict)  # every child ever found: pid → start time

    @property
    def pid(self) -> int:
        return self.system.process.pid

    def children(self) -> dict[int, str]:
        """Every process run started that still runs: pid → command line."""
        self.seen.update(below(self.pid))
        self.seen.update({pid: stat[2] for pid in leftovers.carrying(MARK, self.mark) if (stat := _stat(pid))})
        self.seen.pop(self.pid, None)
        return {pid: _command(pid) for pid, started in self.seen.items() if _running(pid, started)}

    def wait_for(self, enough: Callable[[dict[int, str]], bool]) -> dict[int, str]:
        """Its children, once `enough` says so (looked at every 20 ms while it starts)."""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            children = self.children()
            if enough(children):
                return children
            assert self.system.process.poll() is None, "run exited:\n" + self.output()
            time.sleep(0.02)
        raise AssertionError("run did not start its processes:\n" + self.output())

    def running(self) -> dict[int, str]:
        """Once ready: its children, which include the three servers."""
        return self.wait_for(lambda children: self.system.ready.is_set() and all_servers(children))

    def left_after_stop(self) -> dict[int, str]:
        """What still runs of its children GONE_WITHIN seconds after it was told to stop."""
        deadline = time.monotonic() + GONE_WITHIN
        while (left := self.children()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return left

    def output(self) -> str:
        return "".join(self.system.output[-60:])


def _running(pid: int, started: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[1] != "Z"


def a_first_child(children: dict[int, str]) -> bool:
    """run has started its first process (redis-server, while it migrates, unless TEST_REDIS_URL is set)."""
    return bool(children)


def all_servers(children: dict[int, str]) -> bool:
    """The web app, the worker and the sandbox have been started."""
    return all(any(server in command for command in children.values()) for server in SERVERS)


@pytest.fixture
def start_run(tmp_path: Path, new_database: Callable[[], str]) -> Iterator[Callable[..., Run]]:
    """Starts `contactcenter run --demo` (in a session of its own, as a terminal would, with
    `own_session`); whatever the test did, everything carrying its mark is killed at the end."""
    runs: list[Run] = []

    def start(*, own_session: bool = False) -> Run:
        mark = uuid.uuid4().hex
        workdir = tmp_path / str(len(runs))  # short: redis-server's socket path must stay under 108 bytes
        workdir.mkdir()
        system = launch_system(workdir, new_database(), {MARK: mark}, own_session=own_session)
        runs.append(Run(system, mark))
        return runs[-1]

    yield start
    for run in runs:
        children = run.children()
        run.system.process.kill()
        leftovers.kill(children)
        run.system.process.wait(10)


def test_ctrl_c_in_its_terminal_stops_every_process_it_started(start_run: Callable[..., Run]) -> None:
    run = start_run(own_session=True)
    children = run.running()
    # Ctrl-C reaches run alone, which stops each child with one signal (a second one, from the terminal,
    # sometimes left RQ's worker waiting a minute for its pubsub thread, and Redis running with it).
    assert [pid for pid in children if os.getpgid(pid) == run.pid] == []
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C does: the terminal's foreground process group

    assert run.left_after_stop() == {}, run.output()
    assert run.system.process.wait(GONE_WITHIN) == 0


def test_sigterm_stops_every_process_it_started_with_an_agent_connected(start_run: Callable[..., Run]) -> None:
    run = start_run()
    assert run.running()
    console = AgentConsole(run.system, "agent1")  # an open websocket must not hold the web app up
    try:
        os.kill(run.pid, signal.SIGTERM)

        assert run.left_after_stop() == {}, run.output()
        assert run.system.process.wait(GONE_WITHIN) == 0
    finally:
        console.close()


@pytest.mark.parametrize(
    "moment",
    [
        pytest.param(a_first_child, id="as-its-first-process-starts"),
        pytest.param(all_servers, id="as-its-servers-start"),  # not yet answering
    ],
)
def test_sigterm_while_it_starts_stops_every_process_it_started(
    start_run: Callable[..., Run], moment: Callable[[dict[int, str]], bool]
) -> None:
    run = start_run()
    assert run.wait_for(moment)
    assert not run.system.ready.is_set(), "run was ready before the test could stop it while starting"
    os.kill(run.pid, signal.SIGTERM)

    assert run.left_after_stop() == {}, run.output()
    assert run.system.process.wait(GONE_WITHIN) == 128 + signal.SIGTERM
    assert "Contact center is running." not in run.output()


def test_closing_its_terminal_stops_every_process_it_started(start_run: Callable[..., Run]) -> None:
    run = start_run(own_session=True)
    assert run.running()
    os.killpg(run.pid, signal.SIGHUP)  # a closed terminal hangs up its session's foreground group

    assert run.left_after_stop() == {}, run.output()
    assert run.system.process.wait(GONE_WITHIN) == 0


def test_sigkill_takes_every_process_it_started_with_it(start_run: Callable[..., Run]) -> None:
    run = start_run()
    assert run.running()
    console = AgentConsole(run.system, "agent1")
    try:
        os.kill(run.pid, signal.SIGKILL)  # nothing of run runs: its children must notice by themselves

        assert run.left_after_stop() == {}, run.output()
    finally:
        console.close()
