"""Several app processes on one database and one Redis: an agent whose console is on process A gets
offers for calls that came in through process B, and presence does not depend on the process a
console was on (a process that dies takes its consoles with it; the others' reapers notice)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pytest
from redis import Redis

from contactcenter.runner import _stop, _wait_healthy  # as `contactcenter run` starts and stops its processes
from tests.conftest import HOTLINE, ProcessSystem, free_port, start_system, stop_system
from tests.console import AgentConsole, eventually
from twilio_sandbox import get_call, place_call, wait_for_call

pytestmark = pytest.mark.system  # two server processes sharing one Redis

HEARTBEAT, GRACE = 1.0, 3
SETTINGS = {
    "OFFER_TIMEOUT_SECONDS": "10",
    "CONSOLE_HEARTBEAT_SECONDS": str(HEARTBEAT),
    "CONSOLE_GRACE_SECONDS": str(GRACE),
}


@dataclass
class Process:
    """One more `contactcenter serve` (and optionally its own sandbox, whose calls post to it)."""

    base_url: str
    sandbox_url: str
    processes: list[subprocess.Popen[bytes]]


@contextmanager
def another_process(system: ProcessSystem, *, with_sandbox: bool) -> Iterator[Process]:
    """`serve` on the running system's database, Redis and var/ (so its session cookies), as a
    deployment with several app processes behind a load balancer runs it."""
    port, sandbox_port = free_port(), free_port()
    base_url, sandbox_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}"
    account_sid, auth_token = system.credentials
    env = {
        **os.environ,
        **SETTINGS,
        "VAR_DIR": str(system.var_dir),
        "DATABASE_URL": system.database_url,
        "REDIS_URL": system.redis_url,
        "PUBLIC_BASE_URL": base_url,
        "TWILIO_ACCOUNT_SID": account_sid,
        "TWILIO_AUTH_TOKEN": auth_token,
        "TWILIO_API_BASE": sandbox_url if with_sandbox else system.sandbox_url,
        "CALENDARS": str(os.path.join(os.path.dirname(__file__), "calendars.yaml")),
    }
    python = [sys.executable, "-m", "contactcenter"]
    commands = [[*python, "serve", "--port", str(port), "--no-migrate", "--log-level", "warning"]]
    if with_sandbox:
        commands.append([*python, "sandbox", "serve", "--port", str(sandbox_port)])
    processes = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL) for cmd in commands]
    try:
        _wait_healthy(base_url + "/healthz", processes)
        if with_sandbox:
            _wait_healthy(sandbox_url + "/sandbox/calls", processes)
        yield Process(base_url, sandbox_url, processes)
    finally:
        _stop(processes)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str]) -> Iterator[ProcessSystem]:
    """Process A: the whole product (`contactcenter run --demo`), with its own sandbox."""
    running = start_system(tmp_path_factory.mktemp("system"), new_database(), SETTINGS)
    yield running
    stop_system(running)


@pytest.fixture(scope="module")
def process_b(system: ProcessSystem) -> Iterator[Process]:
    """Process B, with a sandbox whose calls come in through B."""
    with another_process(system, with_sandbox=True) as running:
        yield running


def agent_record(system: ProcessSystem, agent_id: int) -> dict[str, str]:
    with Redis.from_url(system.redis_url) as routing:
        raw = routing.hgetall(f"cc:{{rt}}:agent:{agent_id}")
    return {k.decode(): v.decode() for k, v in raw.items()}


def test_a_console_on_process_a_gets_and_takes_a_call_that_came_in_through_process_b(
    system: ProcessSystem, process_b: Process
) -> None:
    agent = AgentConsole(system, "agent1", ping_every=HEARTBEAT / 4)  # websocket and HTTP on A
    on_b = replace(system, base_url=process_b.base_url).login("agent1")  # the same agent, on B
    try:
        agent.go("available")
        call_sid = place_call(
            process_b.sandbox_url, from_="+8613800138003", to=HOTLINE, digits=["1", "1"], talk_seconds=1
        )
        offer = agent.next_event("offer.created")
        assert offer["info"]["from"] == "+86 138****8003"  # masked for agents
        assert get_call(process_b.sandbox_url, call_sid)["status"] == "in-progress"  # B's sandbox: B's webhooks

        response = on_b.post(f"/api/agent/offers/{offer['contact']}/accept")
        assert response.status_code == 200, response.text
        agent.next_event("offer.accepted", contact=offer["contact"])
        call = wait_for_call(process_b.sandbox_url, call_sid, timeout=30)
        assert call["bridged"] is True and call["conference"] == f"contact-{offer['contact']}"
        agent.next_event("agent.state", state="wrap_up")
    finally:
        agent.post("/api/agent/state", {"state": "offline"})
        agent.close()
        on_b.close()


def test_a_console_closed_on_one_process_is_kept_by_the_grace_the_others_apply(
    system: ProcessSystem, process_b: Process
) -> None:
    b = replace(system, base_url=process_b.base_url)
    agent = AgentConsole(b, "agent2", ping_every=HEARTBEAT / 4)  # on B this time
    try:
        agent.go("available")
        agent.ws.close()
        assert eventually(lambda: agent_record(system, agent.id).get("away") == "1", 2)
        assert eventually(lambda: agent_record(system, agent.id)["reason"] == "disconnected", GRACE + 1)
        back = AgentConsole(system, "agent2", ping_every=HEARTBEAT / 4)  # on A: still not ready, to choose
        assert (back.snapshot["agent"]["state"], back.snapshot["agent"]["previous_state"]) == ("not_ready", "available")
        back.close()
    finally:
        agent.post("/api/agent/state", {"state": "offline"})
        agent.close()


def test_the_consoles_of_a_process_that_died_lapse_and_the_other_processes_apply_the_grace(
    system: ProcessSystem,
) -> None:
    with another_process(system, with_sandbox=False) as doomed:
        agent = AgentConsole(replace(system, base_url=doomed.base_url), "agent1", ping_every=HEARTBEAT / 4)
        agent.go("available")
        assert agent_record(system, agent.id)["state"] == "available"
        for process in doomed.processes:
            process.send_signal(signal.SIGKILL)  # no close, no goodbye: its consoles just stop being heard
        died = time.monotonic()
    try:
        assert eventually(lambda: agent_record(system, agent.id).get("away") == "1", 3.5 * HEARTBEAT + 1)
        assert time.monotonic() - died > 2 * HEARTBEAT  # the heartbeat lapsed; nobody closed it
        assert agent_record(system, agent.id)["state"] == "available"  # within the grace: kept
        assert eventually(lambda: agent_record(system, agent.id)["reason"] == "disconnected", GRACE + 1)
    finally:
        on_a = system.login("agent1")
        on_a.post("/api/agent/state", json={"state": "offline"})
        on_a.close()
