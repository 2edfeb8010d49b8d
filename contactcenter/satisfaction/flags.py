"""Agents flagged to the managers for repeated substantiated complaints: COMPLAINT_FLAG_COUNT (3) or more
about one agent within COMPLAINT_FLAG_DAYS (183, half a year), counted when such a complaint is resolved.
A flag stays open, its count and complaints kept current, until a manager acknowledges it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.context import Services
from contactcenter.errors import NotFound
from contactcenter.satisfaction.models import AgentFlag
from contactcenter.tickets.escalation import level_people, notify
from contactcenter.tickets.lifecycle import State
from contactcenter.tickets.models import Notification, Ticket
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User


def substantiated_complaints(session: Session, *, agent_id: int, days: int) -> list[Ticket]:
    """The substantiated complaints about the agent made in the last `days` days (merged ones count once)."""
    since = utcnow() - timedelta(days=days)
    return list(
        session.scalars(
            select(Ticket)
            .where(
                Ticket.category == "complaint",
                Ticket.about_agent_id == agent_id,
                Ticket.substantiated.is_(True),
                Ticket.status != State.MERGED,
                Ticket.created_at >= since,
            )
            .order_by(Ticket.created_at)
        )
    )


def count_complaints(services: Services, session: Session, *, agent_id: int) -> list[Notification]:
    """Flag the agent (or bring their open flag up to date) when the count reaches the setting; the
    managers are notified of a new flag and of every new complaint on an open one."""
    settings = services.settings
    complaints = substantiated_complaints(session, agent_id=agent_id, days=settings.complaint_flag_days)
    if len(complaints) < settings.complaint_flag_count:
        return []
    ids = [t.id for t in complaints]
    flag = session.scalar(select(AgentFlag).where(AgentFlag.agent_id == agent_id, AgentFlag.acknowledged_at.is_(None)))
    if flag is not None and set(ids) <= set(flag.ticket_ids):
        return []  # nothing new since the managers were told
    if flag is None:
        flag = AgentFlag(agent_id=agent_id, count=len(ids), window_days=settings.complaint_flag_days, ticket_ids=ids)
        session.add(flag)
    else:
        flag.count, flag.ticket_ids = len(ids), ids
    session.flush()
    agent = session.get_one(User, agent_id)
    record_event(
        session,
        actor="system",
        subject_type="agent",
        subject_id=agent_id,
        kind="flagged_for_complaints",
        flag=flag.id,
        count=len(ids),
        days=settings.complaint_flag_days,
        tickets=[t.number for t in complaints],
    )
    data = {
        "agent": agent.display_name,
        "agent_id": agent_id,
        "count": len(ids),
        "tickets": [t.number for t in complaints],
    }
    managers = level_people(session, ticket=complaints[-1], level=2)
    return notify(session, users=managers, kind="agent_flagged", ticket=complaints[-1], data=data)


def flags(session: Session, *, open_only: bool) -> list[dict[str, Any]]:
    """The flags, newest first, with the agents' names and the complaints' numbers."""
    query = select(AgentFlag, User.display_name).join(User, User.id == AgentFlag.agent_id)
    if open_only:
        query = query.where(AgentFlag.acknowledged_at.is_(None))
    rows = session.execute(query.order_by(AgentFlag.id.desc())).all()
    numbers = dict(
        session.execute(
            select(Ticket.id, Ticket.number).where(Ticket.id.in_({i for f, _ in rows for i in f.ticket_ids}))
        ).all()
    )
    return [
        {
            "id": flag.id,
            "agent_id": flag.agent_id,
            "agent": name,
            "count": flag.count,
            "window_days": flag.window_days,
            "tickets": [{"id": i, "number": numbers.get(i)} for i in flag.ticket_ids],
            "created_at": as_utc(flag.created_at).isoformat(),
            "acknowledged_at": as_utc(flag.acknowledged_at).isoformat() if flag.acknowledged_at else None,
        }
        for flag, name in rows
    ]


def acknowledge(session: Session, *, flag_id: int, by: int) -> None:
    """A manager has taken the flag in hand (a new complaint after this starts a new flag)."""
    flag = session.get(AgentFlag, flag_id)
    if flag is None:
        raise NotFound("No such flag.")
    if flag.acknowledged_at is None:
        flag.acknowledged_at, flag.acknowledged_by = utcnow(), by
        record_event(
            session, actor=f"user:{by}", subject_type="agent", subject_id=flag.agent_id, kind="flag_acknowledged"
        )
