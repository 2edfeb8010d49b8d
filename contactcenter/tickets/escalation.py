"""The escalation ladder: assignee (0) → team lead (1) → manager (2), one level at a time.

A clock's breach moves its ticket up exactly one level, starts that level's own clock (policy
`escalation:<level>`) and notifies the level's people; the level's clock breaching moves it up again. An
emergency may skip a level, with a reason, and the skipped level is told afterwards. Every step is an event
on the ticket, and every notification a row (tickets/models.py `Notification`) pushed live after commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.errors import Conflict, Invalid
from contactcenter.tickets import clocks
from contactcenter.tickets.models import Notification, Ticket, TicketClock
from contactcenter.tickets.policies import LEVEL_TARGETS, policies_for
from contactcenter.timeutil import as_utc
from contactcenter.users.models import Role, User
from queues.models import Queue, queue_members

TOP = len(LEVEL_TARGETS)  # the manager
LEVEL_LABELS = {0: ("处理人", "Assignee"), 1: ("组长", "Team lead"), 2: ("经理", "Manager")}


def level_people(session: Session, *, ticket: Ticket, level: int) -> list[int]:
    """Who answers for the ticket at a level: its assignee; the team leads of the assignee's team (else of
    the teams serving its queue); the managers."""
    if level == 0:
        return [ticket.assignee_id] if ticket.assignee_id else []
    if level >= TOP:
        return list(session.scalars(select(User.id).where(User.role == Role.MANAGER, User.active.is_(True))))
    teams: set[str] = set()
    if ticket.assignee_id:
        team = session.scalar(select(User.team).where(User.id == ticket.assignee_id))
        if team:
            teams.add(team)
    if not teams and ticket.queue:
        teams.update(
            t
            for t in session.scalars(
                select(User.team)
                .join(queue_members, queue_members.c.user_id == User.id)
                .join(Queue, Queue.id == queue_members.c.queue_id)
                .where(Queue.name == ticket.queue, User.team.is_not(None))
            )
            if t
        )
    if not teams:
        return []
    return list(
        session.scalars(
            select(User.id).where(User.role == Role.SUPERVISOR, User.active.is_(True), User.team.in_(sorted(teams)))
        )
    )


def notify(
    session: Session, *, users: list[int], kind: str, ticket: Ticket | None, data: dict[str, Any]
) -> list[Notification]:
    """Keep one notification per person (pushed live by the caller after commit)."""
    rows = [Notification(user_id=u, kind=kind, ticket_id=ticket.id if ticket else None, data=data) for u in users]
    session.add_all(rows)
    session.flush()
    return rows


def _summary(ticket: Ticket) -> dict[str, Any]:
    return {"ticket": ticket.number, "subject": ticket.subject, "category": ticket.category}


def escalate(
    session: Session,
    work: clocks.Clockwork,
    *,
    ticket: Ticket,
    at: datetime,
    now: datetime,
    actor: str,
    why: str,
    to_level: int | None = None,
    reason: str = "",
) -> list[Notification]:
    """Move the ticket up: one level, or (an emergency, with a reason) straight to `to_level`. Returns the
    notifications written."""
    current = ticket.escalation_level
    target = current + 1 if to_level is None else to_level
    if to_level is not None:
        if not current < to_level <= TOP:
            raise Conflict(
                f"This ticket is at level {current}; it can be escalated to levels {current + 1}–{TOP} only."
            )
        if to_level > current + 1 and not reason.strip():
            raise Invalid("Skipping a level is for emergencies: give the reason (it is reported to the skipped level).")
    if current >= TOP and to_level is None:
        # Nowhere higher: the managers hear of every further breach.
        record_event(session, actor=actor, subject_type="ticket", subject_id=ticket.id, kind="breach_at_top", why=why)
        people = level_people(session, ticket=ticket, level=TOP)
        return notify(session, users=people, kind="escalated", ticket=ticket, data={**_summary(ticket), "why": why})
    skipped = list(range(current + 1, target))
    ticket.escalation_level = target
    record_event(
        session,
        actor=actor,
        subject_type="ticket",
        subject_id=ticket.id,
        kind="escalated",
        level=target,
        previous=current,
        why=why,
        skipped=skipped,
        reason=reason.strip() or None,
    )
    for clock in clocks.live_clocks(session, ticket_id=ticket.id):
        if clock.target.startswith("escalation"):
            clocks.stop(session, work, clock=clock, at=at, actor=actor, why="escalated")
    policy = policies_for(session, category=ticket.category).get(f"escalation:{target}")
    if policy is not None:
        clocks.start(session, work, ticket=ticket, policy=policy, at=at, now=now, actor=actor, level=target)
    data = {**_summary(ticket), "level": target, "why": why}
    people = level_people(session, ticket=ticket, level=target)
    if not people and target < TOP:  # nobody leads this team: the level above hears of it instead
        people = level_people(session, ticket=ticket, level=TOP)
        data["nobody_at_level"] = True
    sent = notify(session, users=people, kind="escalated", ticket=ticket, data=data)
    for level in skipped:
        told = level_people(session, ticket=ticket, level=level)
        sent += notify(
            session,
            users=told,
            kind="level_skipped",
            ticket=ticket,
            data={**data, "skipped_level": level, "reason": reason.strip()},
        )
    return sent


def warn(
    session: Session, work: clocks.Clockwork, *, clock: TicketClock, ticket: Ticket, now: datetime
) -> list[Notification]:
    """The clock has used its warning share: tell whoever answers for the ticket now; the due alarm is next."""
    clock.warned_at = clock.warn_at or now
    record_event(
        session,
        actor="sla",
        subject_type="ticket",
        subject_id=ticket.id,
        kind="clock_warning",
        clock=clock.id,
        target=clock.target,
        due_at=clocks._iso(clock.due_at),
    )
    clocks.reschedule(session, work, clock=clock, now=now)
    people = level_people(session, ticket=ticket, level=ticket.escalation_level) or level_people(
        session, ticket=ticket, level=1
    )
    data = {**_summary(ticket), "target": clock.target, "due_at": clocks._iso(clock.due_at)}
    return notify(session, users=people, kind="clock_warning", ticket=ticket, data=data)


def breach(
    session: Session, work: clocks.Clockwork, *, clock: TicketClock, ticket: Ticket, now: datetime
) -> list[Notification]:
    """The clock passed its due time unmet: record it at the due instant and escalate one level."""
    assert clock.due_at is not None
    clock.breached_at = clock.due_at
    clock.state = clocks.BREACHED
    clock.generation += 1
    record_event(
        session,
        actor="sla",
        subject_type="ticket",
        subject_id=ticket.id,
        kind="clock_breached",
        clock=clock.id,
        target=clock.target,
        due_at=clocks._iso(clock.due_at),
    )
    return escalate(session, work, ticket=ticket, at=as_utc(clock.due_at), now=now, actor="sla", why=clock.target)


def fire(
    session: Session, work: clocks.Clockwork, *, clock_id: int, generation: int | None, now: datetime
) -> list[Notification]:
    """An alarm (or the sweep) for one clock: warn or breach if its time has come; nothing for an alarm of
    an older generation, a clock no longer counting, or a merged ticket."""
    clock = session.get(TicketClock, clock_id, with_for_update=True)
    if clock is None or clock.state != clocks.RUNNING or (generation is not None and clock.generation != generation):
        return []
    ticket = session.get_one(Ticket, clock.ticket_id)
    if ticket.merged_into_id is not None:
        return []
    if clock.due_at is not None and as_utc(clock.due_at) <= now:
        return breach(session, work, clock=clock, ticket=ticket, now=now)
    if clock.warn_at is not None and clock.warned_at is None and as_utc(clock.warn_at) <= now:
        return warn(session, work, clock=clock, ticket=ticket, now=now)
    if generation is not None:
        clocks.reschedule(session, work, clock=clock, now=now)  # early (a relay's clock ahead of ours): again
    return []


def due_clocks(session: Session, *, now: datetime, limit: int) -> list[int]:
    """Running clocks whose warning or due time has passed unannounced (the sweep's backup to the alarms)."""
    # One range of each index, most overdue first: with one OR the planner took met clocks' past due times for
    # running ones and walked every clock by id (bench/tickets.py: 200-400 ms at 1,000,000 clocks, now 1 ms).
    due = (
        select(TicketClock.id)
        .where(TicketClock.state == clocks.RUNNING, TicketClock.due_at <= now)
        .order_by(TicketClock.due_at)
        .limit(limit)
        .subquery()
    )
    warn = (
        select(TicketClock.id)
        .where(TicketClock.state == clocks.RUNNING, TicketClock.warn_at <= now, TicketClock.warned_at.is_(None))
        .order_by(TicketClock.warn_at)
        .limit(limit)
        .subquery()
    )
    either = union(select(due.c.id), select(warn.c.id)).subquery()  # subqueries: SQLite's UNION takes no LIMIT
    return list(session.scalars(select(either.c.id).order_by(either.c.id).limit(limit)))
