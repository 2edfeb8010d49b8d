"""SLA clocks: one row per target of a ticket, started and stopped by the ticket's events (policies.TARGETS),
paused while the ticket waits on the customer, counted on a calendar's business hours or around the clock.

A running clock knows its due and warning instants. Writing one schedules its next alarm (the warning, then
the due time) through the outbox, in the same transaction; `jobs.clock_alarm` runs it at that instant, and the
minute sweep (`sweep`) catches any alarm that was lost. `generation` grows at every recomputation, so an alarm
scheduled for an older state of the clock does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.context import Services
from contactcenter.outbox import service as outbox
from contactcenter.tickets.lifecycle import PAUSING_STATES
from contactcenter.tickets.models import Ticket, TicketClock
from contactcenter.tickets.policies import Policy, policies_for, target_of
from contactcenter.timeutil import as_utc
from ivr.calendar import Calendars, add_business, business_seconds

RUNNING, BREACHED, PAUSED, STOPPED, SUPERSEDED = "running", "breached", "paused", "stopped", "superseded"
COUNTING = (RUNNING, BREACHED)  # the clock moves; BREACHED: past due and still not met
LIVE = (*COUNTING, PAUSED)
ALARM_JOB = "contactcenter.tickets.jobs.clock_alarm"


def clockwork(services: Services) -> Clockwork:
    """The clock arithmetic of this deployment (its calendars)."""
    return Clockwork(services.flows.calendars, services.settings.timezone)


@dataclass(frozen=True)
class Clockwork:
    """What clock arithmetic needs: the calendars (business hours) by name."""

    calendars: Calendars | None
    timezone: str = "Asia/Shanghai"  # the hotline's: whose dates "a working day" counts in

    def working_days(self, calendar: str, *, after: date, until: date) -> int:
        """The days in (after, until] the calendar opens at all (plain days when it is unknown)."""
        days = (until - after).days
        if days <= 0:
            return 0
        if self.calendars is None or calendar not in self.calendars:
            return days
        cal = self.calendars[calendar]
        return sum(1 for n in range(1, days + 1) if cal.hours_on(after + timedelta(days=n))[0])

    def advance(self, clock: TicketClock, start: datetime, seconds: float) -> datetime:
        """The instant `seconds` of the clock's time after `start`."""
        if clock.calendar is None or self.calendars is None or clock.calendar not in self.calendars:
            return start + timedelta(seconds=max(seconds, 0.0))
        return add_business(self.calendars[clock.calendar], start, max(seconds, 0.0))

    def elapsed(self, clock: TicketClock, start: datetime, end: datetime) -> float:
        """The clock's time between two instants."""
        if clock.calendar is None or self.calendars is None or clock.calendar not in self.calendars:
            return max((end - start).total_seconds(), 0.0)
        return business_seconds(self.calendars[clock.calendar], start, end)


def _event(session: Session, clock: TicketClock, kind: str, actor: str, **data: Any) -> None:
    record_event(
        session,
        actor=actor,
        subject_type="ticket",
        subject_id=clock.ticket_id,
        kind=kind,
        clock=clock.id,
        target=clock.target,
        **data,
    )


def _iso(at: datetime | None) -> str | None:
    return as_utc(at).isoformat() if at else None


def reschedule(session: Session, work: Clockwork, *, clock: TicketClock, now: datetime) -> None:
    """Compute the due and warning instants of a counting clock and schedule its next alarm (through the outbox)."""
    assert clock.running_since is not None
    since = as_utc(clock.running_since)
    left = clock.budget_seconds - clock.consumed_seconds
    clock.due_at = work.advance(clock, since, left)
    warn_left = clock.budget_seconds * clock.warn_percent / 100 - clock.consumed_seconds
    clock.warn_at = work.advance(clock, since, warn_left) if clock.warned_at is None and warn_left > 0 else None
    clock.generation += 1
    session.flush()  # the clock's id, for the alarm
    alarm = clock.warn_at if clock.warn_at is not None else clock.due_at
    if clock.state == BREACHED:
        return  # past due: nothing more to announce until it is met
    outbox.add(
        session,
        job=ALARM_JOB,
        args=[clock.id, clock.generation],
        due=max(alarm, now),
        job_id=f"clock-{clock.id}-{clock.generation}",
    )


def start(
    session: Session,
    work: Clockwork,
    *,
    ticket: Ticket,
    policy: Policy,
    at: datetime,
    now: datetime,
    actor: str,
    level: int = 0,
) -> TicketClock:
    """Start one clock from a policy (its copy of the policy is kept): counting, or paused if the ticket waits."""
    clock = TicketClock(
        ticket_id=ticket.id,
        target=policy.target,
        level=level,
        state=RUNNING,
        policy_id=policy.policy_id,
        policy_version=policy.version,
        budget_seconds=policy.minutes * 60,
        calendar=policy.calendar,
        warn_percent=policy.warn_percent,
        started_at=at,
        running_since=at,
        consumed_seconds=0.0,
        generation=0,
    )
    session.add(clock)
    if ticket.status in PAUSING_STATES:
        clock.state, clock.running_since = PAUSED, None
        session.flush()
    else:
        reschedule(session, work, clock=clock, now=now)
    _event(session, clock, "clock_started", actor, due_at=_iso(clock.due_at), minutes=policy.minutes)
    return clock


def pause(session: Session, work: Clockwork, *, clock: TicketClock, at: datetime) -> None:
    """Stand the clock still (the ticket waits on the customer): what it counted is kept."""
    if clock.state not in COUNTING or clock.running_since is None:
        return
    clock.consumed_seconds += work.elapsed(clock, as_utc(clock.running_since), at)
    clock.running_since, clock.due_at, clock.warn_at = None, None, None
    clock.state = PAUSED
    clock.generation += 1


def resume(session: Session, work: Clockwork, *, clock: TicketClock, at: datetime, now: datetime) -> None:
    """Count again from `at`, with the time it had left."""
    if clock.state != PAUSED:
        return
    clock.state = BREACHED if clock.breached_at is not None else RUNNING
    clock.running_since = at
    reschedule(session, work, clock=clock, now=now)


def stop(session: Session, work: Clockwork, *, clock: TicketClock, at: datetime, actor: str, why: str) -> None:
    """The target is met (late if it was breached)."""
    if clock.state not in LIVE:
        return
    if clock.state in COUNTING and clock.running_since is not None:
        clock.consumed_seconds += work.elapsed(clock, as_utc(clock.running_since), at)
    late = clock.breached_at is not None or (clock.due_at is not None and as_utc(clock.due_at) <= at)
    if late and clock.breached_at is None:
        clock.breached_at = clock.due_at  # met after its due time, before any alarm said so
    clock.state, clock.stopped_at, clock.running_since, clock.warn_at = STOPPED, at, None, None
    clock.generation += 1
    _event(session, clock, "clock_stopped", actor, met=not late, why=why)


def supersede(session: Session, *, clock: TicketClock, actor: str, why: str, by_merge: int | None = None) -> None:
    """Set the clock aside without meeting it (the ticket's category changed, or a merge kept an earlier
    clock); what it counted is kept, so a merge undone can put it back (`restore`)."""
    if clock.state not in LIVE:
        return
    clock.state = SUPERSEDED
    clock.superseded_by_merge = by_merge
    clock.generation += 1
    _event(session, clock, "clock_superseded", actor, why=why)


def restore(session: Session, work: Clockwork, *, clock: TicketClock, now: datetime) -> None:
    """A clock a merge set aside counts again, as it was (its due time unchanged while it was aside)."""
    if clock.state != SUPERSEDED:
        return
    clock.superseded_by_merge = None
    if clock.running_since is None:
        clock.state = PAUSED
        clock.generation += 1
        return
    clock.state = BREACHED if clock.breached_at is not None else RUNNING
    reschedule(session, work, clock=clock, now=now)


def live_clocks(session: Session, *, ticket_id: int) -> list[TicketClock]:
    """The ticket's clocks that are counting or paused."""
    return list(
        session.scalars(
            select(TicketClock)
            .where(TicketClock.ticket_id == ticket_id, TicketClock.state.in_(LIVE))
            .order_by(TicketClock.id)
        )
    )


def on_events(
    session: Session,
    work: Clockwork,
    *,
    ticket: Ticket,
    events: Iterable[str],
    at: datetime,
    now: datetime,
    actor: str,
) -> None:
    """Stop, start, pause and resume the ticket's clocks for what just happened to it (`entered:<state>`,
    `left:<state>`, `opened`, `answered`, `reply`, `visited`). The ticket's status is already the new one."""
    happened = set(events)
    clocks = live_clocks(session, ticket_id=ticket.id)
    for clock in clocks:
        if target_of(clock.target).stops & happened:
            stop(
                session, work, clock=clock, at=at, actor=actor, why=sorted(target_of(clock.target).stops & happened)[0]
            )
    live = {c.target for c in clocks if c.state in LIVE}
    starting = [
        p
        for name, p in policies_for(session, category=ticket.category).items()
        if target_of(name).starts & happened and name not in live and not name.startswith("escalation")
    ]
    for policy in starting:
        # A ticket's first clocks count from its first contact, whenever its category became known.
        since = as_utc(ticket.created_at) if "opened" in happened else at
        start(session, work, ticket=ticket, policy=policy, at=min(since, at), now=now, actor=actor)
    paused_now = ticket.status in PAUSING_STATES
    for clock in live_clocks(session, ticket_id=ticket.id):
        if paused_now and clock.state in COUNTING:
            pause(session, work, clock=clock, at=at)
            _event(session, clock, "clock_paused", actor)
        elif not paused_now and clock.state == PAUSED:
            resume(session, work, clock=clock, at=at, now=now)
            _event(session, clock, "clock_resumed", actor, due_at=_iso(clock.due_at))


def rebase(
    session: Session, work: Clockwork, *, clock: TicketClock, policy: Policy, at: datetime, now: datetime
) -> None:
    """Put a live clock on another policy (re-applied, or the ticket's category changed): what it has counted
    stays counted; its budget, calendar and warning share are the new policy's."""
    if clock.state in COUNTING and clock.running_since is not None:
        clock.consumed_seconds += work.elapsed(clock, as_utc(clock.running_since), at)
        clock.running_since = at
    clock.policy_id, clock.policy_version = policy.policy_id, policy.version
    clock.budget_seconds, clock.calendar, clock.warn_percent = policy.minutes * 60, policy.calendar, policy.warn_percent
    if clock.state in COUNTING:
        if clock.breached_at is not None and clock.consumed_seconds < clock.budget_seconds:
            clock.breached_at, clock.state = None, RUNNING  # a longer allowance: no longer past due
        reschedule(session, work, clock=clock, now=now)
    else:
        clock.generation += 1


def view(clock: TicketClock, *, now: datetime) -> dict[str, Any]:
    """A clock as the desk shows it."""
    target = target_of(clock.target)
    return {
        "id": clock.id,
        "target": clock.target,
        "label": " ".join(target.labels) + (f" L{clock.level}" if clock.level else ""),
        "state": clock.state,
        "started_at": _iso(clock.started_at),
        "due_at": _iso(clock.due_at),
        "warn_at": _iso(clock.warn_at),
        "warned_at": _iso(clock.warned_at),
        "breached_at": _iso(clock.breached_at),
        "stopped_at": _iso(clock.stopped_at),
        "budget_minutes": clock.budget_seconds // 60,
        "calendar": clock.calendar,
        "policy_version": clock.policy_version,
        "overdue": clock.breached_at is not None,
        "seconds_left": (
            round((as_utc(clock.due_at) - now).total_seconds()) if clock.due_at and clock.state in COUNTING else None
        ),
    }
