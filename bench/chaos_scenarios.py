"""The faults the chaos harness injects, one function each. A fault runs while the scenario's calls are
being placed and returns the moment (time.monotonic()) it ended: healing is timed from there."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from chaos_agents import ChaosAgent
from chaos_system import ChaosSystem
from sqlalchemy import func, select

from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from recordings.models import Recording


@dataclass
class Stage:
    """What a fault may touch."""

    system: ChaosSystem
    agents: list[ChaosAgent]
    services: Services
    sandbox: httpx.Client
    notes: list[str] = field(default_factory=list)
    first_contact: int = 1  # the scenario's contacts have this id or a later one

    def faults(self, **counts: int) -> dict[str, int]:
        response = self.sandbox.post("/sandbox/faults", json=counts)
        response.raise_for_status()
        return dict(response.json())

    def wait_for_callers(self, count: int, timeout: float = 30.0) -> None:
        """Until `count` of this scenario's callers wait in a queue or talk to an agent (SQL says so)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.services.db.reading() as session:
                live = session.scalar(
                    select(func.count(Contact.id)).where(
                        Contact.id >= self.first_contact,
                        Contact.status.in_((ContactStatus.QUEUED, ContactStatus.CONNECTED)),
                    )
                )
            if (live or 0) >= count:
                return
            time.sleep(0.2)
        self.notes.append(f"fewer than {count} callers waiting or talking after {timeout:.0f} s")

    def wait_faults_taken(self, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.sandbox.get("/sandbox/faults").json()[name] > 0:
            time.sleep(0.2)
        if self.sandbox.get("/sandbox/faults").json()[name] > 0:
            self.notes.append(f"{name}: not all taken within {timeout:.0f} s")
            self.faults(**{name: 0})


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: Callable[[Stage], float]
    rate: float = 1.0  # calls per second
    talk_seconds: float = 3.0


def redis_restart(stage: Stage) -> float:
    """Redis stops cleanly once callers wait or talk, and is back 5 s later with its append-only file."""
    stage.wait_for_callers(2)
    stage.system.stop_redis()
    time.sleep(5)
    stage.system.start_redis()
    return time.monotonic()


def redis_data_loss(stage: Stage) -> float:
    """Redis loses everything while callers wait and others talk."""
    stage.wait_for_callers(5)
    stage.system.wipe_redis()
    return time.monotonic()


def web_killed_mid_accept(stage: Stage) -> float:
    """kill -9 of the web process that is moving a caller to an agent (Twilio takes its time to answer
    the redirect), started again 3 s later."""
    killed: list[int] = []

    def on_accepting(agent: ChaosAgent) -> None:
        if killed:
            return
        killed.append(agent.web)
        for other in stage.agents:
            other.on_accepting = None
        stage.faults(slow_call_redirects=1)

        def kill() -> None:
            time.sleep(1.0)
            stage.system.kill_web(agent.web)
            stage.notes.append(f"killed web{agent.web} during {agent.username}'s accept")

        threading.Thread(target=kill, daemon=True).start()

    for agent in stage.agents:
        agent.on_accepting = on_accepting
    deadline = time.monotonic() + 60
    while not (killed and stage.system.webs[killed[0]] is None) and time.monotonic() < deadline:
        time.sleep(0.1)
    for agent in stage.agents:
        agent.on_accepting = None
    if not killed:
        stage.notes.append("nobody accepted a call within 60 s")
        return time.monotonic()
    time.sleep(3.0)
    stage.system.start_web(killed[0])  # from this (the main) thread: a child started by another thread
    stage.faults(slow_call_redirects=0)  # would not die with the harness (contactcenter/children.py)
    return time.monotonic()


def worker_killed_mid_download(stage: Stage) -> float:
    """kill -9 of the worker while it downloads a recording (Twilio serves it slowly), started 2 s later."""
    stage.faults(slow_recording_fetches=1)
    with stage.services.db.reading() as session:
        before = set(session.scalars(select(Recording.id)))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with stage.services.db.reading() as session:
            if set(session.scalars(select(Recording.id))) - before:
                break
        time.sleep(0.2)
    time.sleep(1.5)  # the relay hands the job over, the worker starts the download
    stage.system.kill_worker()
    time.sleep(2.0)
    stage.system.start_worker()
    return time.monotonic()


def twilio_rest_500(stage: Stage) -> float:
    """Twilio answers the next two redirects (moving a caller to their agent) with HTTP 500."""
    stage.faults(call_redirect_failures=2)
    stage.wait_faults_taken("call_redirect_failures", 40)
    return time.monotonic()


def twilio_rest_slow(stage: Stage) -> float:
    """Twilio answers the next redirect after 12 s (the app gives up at 10 s) and carries it out anyway."""
    stage.faults(slow_call_redirects=1)
    stage.wait_faults_taken("slow_call_redirects", 40)
    time.sleep(12.5)
    return time.monotonic()


def agent_leg_no_answer(stage: Stage) -> float:
    """One agent's phone rings and is never answered (a registered device nobody picks up)."""
    agent = stage.agents[0]
    identity = f"agent-{agent.user_id}"
    stage.sandbox.post(f"/sandbox/clients/{identity}/register").raise_for_status()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and agent.reason != "missed":
        time.sleep(0.2)
    stage.sandbox.delete(f"/sandbox/clients/{identity}/register")
    if agent.reason != "missed":
        stage.notes.append(f"{agent.username} was never offered a call in 60 s")
    return time.monotonic()


def console_silent_drop(stage: Stage) -> float:
    """One agent's network goes silent (no close) for 12 s: no pongs, nothing read."""
    stage.agents[0].go_silent(12)
    time.sleep(12)
    return time.monotonic()


SCENARIOS = [
    Scenario("redis_restart", redis_restart),
    Scenario("redis_data_loss", redis_data_loss, rate=2.0, talk_seconds=8.0),
    Scenario("web_killed_mid_accept", web_killed_mid_accept),
    Scenario("worker_killed_mid_download", worker_killed_mid_download),
    Scenario("twilio_rest_500", twilio_rest_500),
    Scenario("twilio_rest_slow", twilio_rest_slow),
    Scenario("agent_leg_no_answer", agent_leg_no_answer),
    Scenario("console_silent_drop", console_silent_drop),
]
