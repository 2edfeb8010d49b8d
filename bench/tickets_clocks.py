"""The ticket benchmark's clock phases: the minute sweep (`tickets.jobs.sweep`) over the running clocks, with
none due and with some due; and the breach lag: clocks coming due while a real `contactcenter worker` and the
outbox relay run, timed from each due instant to its `ticket.notification` on the chat hub's channel.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from redis import Redis
from rq import Queue, Worker
from sqlalchemy import select, text, update
from tickets_rows import Seeded

from contactcenter.chats.hub import channel_of
from contactcenter.children import child_process, starting_children
from contactcenter.context import JOB_QUEUE, Services
from contactcenter.outbox.service import BATCH, RELAY_INTERVAL, relay
from contactcenter.tickets import clocks
from contactcenter.tickets.escalation import due_clocks
from contactcenter.tickets.jobs import sweep
from contactcenter.tickets.models import Ticket, TicketClock
from contactcenter.timeutil import as_utc, utcnow

# Settings the benchmark chooses for the worker; the caller's own of the kind are dropped.
OWN_SETTINGS = ("TWILIO_", "REDIS_", "DATABASE_", "PUBLIC_BASE_URL", "VAR_DIR", "SECRET_KEY")


@dataclass
class SweepFigures:
    idle_ms: list[float] = field(default_factory=list)  # sweeps with nothing due
    due_ms: float = 0.0  # the sweep that fired `fired` due clocks
    fired: int = 0
    pushed_forward: int = 0  # clocks of a reused database that had come due, moved on before the idle sweeps


def _team_clocks(services: Services, seeded: Seeded, count: int) -> list[int]:
    """Running clocks of level-0 tickets assigned to a team's agent (a breach escalates to their team lead)."""
    agents = [p.id for p in seeded.of_role("agent")]
    with services.db.reading() as session:
        return list(
            session.scalars(
                select(TicketClock.id)
                .join(Ticket, Ticket.id == TicketClock.ticket_id)
                .where(
                    TicketClock.state == clocks.RUNNING,
                    TicketClock.calendar.is_(None),
                    Ticket.escalation_level == 0,
                    Ticket.assignee_id.in_(agents),
                    Ticket.merged_into_id.is_(None),
                )
                .order_by(TicketClock.id.desc())
                .limit(count)
            )
        )


def measure_sweep(services: Services, seeded: Seeded, *, idle_runs: int, due: int) -> SweepFigures:
    """The every-minute sweep with nothing due (`idle_runs` times), then once with `due` clocks past due."""
    figures = SweepFigures()
    now = utcnow()
    with services.db.session() as session:  # a reused database: what came due since it was seeded moves on
        late = due_clocks(session, now=now + timedelta(minutes=5), limit=1_000_000)
        if late:
            session.execute(
                text(
                    "UPDATE ticket_clocks SET due_at = due_at + interval '6 hours', warn_at = NULL, "
                    "warned_at = coalesce(warned_at, now()) WHERE id = ANY(:ids)"
                ),
                {"ids": late},
            )
            # Their alarms would reach the worker in the lag phase: a reused database's only (fresh ones have none).
            session.execute(
                text("UPDATE outbox_jobs SET handed_at = now() WHERE handed_at IS NULL AND due_ms <= :soon"),
                {"soon": int((now + timedelta(minutes=30)).timestamp() * 1000)},
            )
        figures.pushed_forward = len(late)
    for _ in range(idle_runs):
        began = time.perf_counter()
        fired = sweep(services)
        figures.idle_ms.append((time.perf_counter() - began) * 1000)
        if fired:
            raise RuntimeError(f"the idle sweep fired {fired} clocks: none should have been due")
    chosen = _team_clocks(services, seeded, due)
    now = utcnow()
    with services.db.session() as session:  # past due unannounced: the alarms were lost (an outage)
        session.execute(
            update(TicketClock)
            .where(TicketClock.id.in_(chosen))
            .values(
                due_at=now - timedelta(minutes=2),
                warn_at=None,
                warned_at=now - timedelta(minutes=30),
                generation=TicketClock.generation + 1,
            )
        )
    began = time.perf_counter()
    figures.fired = sweep(services)
    figures.due_ms = (time.perf_counter() - began) * 1000
    return figures


@dataclass
class LagFigures:
    lags_ms: list[float] = field(default_factory=list)
    missing: int = 0
    clocks: int = 0
    relay_passes: int = 0


@contextmanager
def worker_process(workdir: Path, *, redis_url: str, database_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """`contactcenter worker` (RQ, its scheduler), dying with this process; yields once it listens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_SETTINGS)}
    env |= {"VAR_DIR": str(workdir / "var"), "REDIS_URL": redis_url, "DATABASE_URL": database_url}
    log_path = workdir / "worker.log"
    with log_path.open("wb") as log, starting_children():
        process = child_process(
            [sys.executable, "-m", "contactcenter", "worker"], env=env, cwd=workdir, stdout=log, stderr=log
        )
    try:
        redis = Redis.from_url(redis_url)
        deadline = time.monotonic() + 60
        while not Worker.all(connection=redis, queue=Queue(JOB_QUEUE, connection=redis)):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the worker did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def _relay_loop(services: Services, stop: threading.Event, figures: LagFigures) -> None:
    """The web process's relay (outbox.service.relay_forever): every 0.5 s, on at once while batches are full."""
    while not stop.is_set():
        while relay(services) == BATCH:
            pass
        figures.relay_passes += 1
        stop.wait(RELAY_INTERVAL)


def _listen(redis: Redis, wanted: set[int], arrived: dict[int, float], ready: threading.Event) -> None:
    """Note when each wanted ticket's escalation notification reaches the chat hub's channel."""
    pubsub = redis.pubsub()
    pubsub.subscribe(channel_of(redis))
    ready.set()
    while len(arrived) < len(wanted):
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if message is None:
            if not ready.is_set():
                break
            continue
        item = json.loads(message["data"])
        notification = item.get("notification") or {}
        ticket = notification.get("ticket_id")
        if item.get("type") == "ticket.notification" and notification.get("kind") == "escalated" and ticket in wanted:
            arrived.setdefault(ticket, time.time())
    pubsub.close()


def measure_lag(
    services: Services, seeded: Seeded, workdir: Path, *, database_url: str, count: int, lead_s: tuple[float, float]
) -> LagFigures:
    """`count` clocks, one every 0.5 s, each set to come due `lead_s` seconds ahead through the product's own
    scheduling (`clocks.reschedule`: the alarm into the outbox); the worker breaches and escalates each one."""
    figures = LagFigures()
    work = clocks.clockwork(services)
    chosen = _team_clocks(services, seeded, count)
    redis_url = services.settings.redis_url or ""
    due_at: dict[int, float] = {}
    arrived: dict[int, float] = {}
    stop, ready = threading.Event(), threading.Event()
    rng = random.Random(7)
    with worker_process(workdir, redis_url=redis_url, database_url=database_url):
        relay_thread = threading.Thread(target=_relay_loop, args=(services, stop, figures), daemon=True)
        relay_thread.start()
        with services.db.reading() as session:
            tickets = {
                clock_id: ticket_id
                for clock_id, ticket_id in session.execute(
                    select(TicketClock.id, TicketClock.ticket_id).where(TicketClock.id.in_(chosen))
                )
            }
        listener = threading.Thread(
            target=_listen, args=(Redis.from_url(redis_url), set(tickets.values()), arrived, ready), daemon=True
        )
        listener.start()
        ready.wait(10)
        for clock_id in chosen:
            now = utcnow()
            lead = rng.uniform(*lead_s)
            with services.db.session() as session:
                clock = session.get_one(TicketClock, clock_id, with_for_update=True)
                clock.warned_at = now  # warned already: its next alarm is the due one
                clock.running_since = now - timedelta(seconds=clock.budget_seconds - clock.consumed_seconds - lead)
                clocks.reschedule(session, work, clock=clock, now=now)
                assert clock.due_at is not None
                due_at[tickets[clock_id]] = as_utc(clock.due_at).timestamp()
            time.sleep(0.5)
        deadline = time.time() + lead_s[1] + 15
        while len(arrived) < len(due_at) and time.time() < deadline:
            time.sleep(0.1)
        ready.clear()  # the listener stops at its next quiet half second
        stop.set()
        relay_thread.join(5)
        listener.join(5)
    figures.clocks = len(due_at)
    figures.lags_ms = [(arrived[t] - due) * 1000 for t, due in due_at.items() if t in arrived]
    figures.missing = len(due_at) - len(figures.lags_ms)
    return figures
