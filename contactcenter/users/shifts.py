"""Shifts: when a team, or one user, works (a weekly pattern and dated exceptions, in the hotline's time
zone), and what a login outside one's shift does: refused, or (the default, SHIFT_LOGIN_OUTSIDE=flag)
allowed and flagged. A flagged login is audited (`login_outside_shift`), goes to the wallboards of the
agent's team lead as an `agent.outside_shift` routing event, and marks the agent in /api/wallboard/agents
(`outside_shift_at`) until they next log in during their shift or the session lifetime passes.

Whose shift: the user's own, else (for agents) their team's; someone with neither is never outside it.
Hours are [start, end) in HH:MM; an end before its start runs past midnight into the next day, and a
date's exception replaces that date's weekly hours (overnight spill included)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.errors import Forbidden, NotFound
from contactcenter.users.models import Role, Shift, User
from contactcenter.users.schemas import DAYS, ShiftPattern
from contactcenter.users.service import UserError

OUTSIDE_KEY = "cc:shift_outside:"  # + user id: when (Unix ms) they logged in outside their shift


class OutsideShift(Forbidden):
    """A login refused: outside the user's shift (SHIFT_LOGIN_OUTSIDE=refuse)."""


class NoSuchShift(NotFound):
    """No shift has this id."""


def shift_view(shift: Shift, username: str | None = None) -> dict[str, Any]:
    return {
        "id": shift.id,
        "team": shift.team,
        "user_id": shift.user_id,
        "username": username,
        "weekly": shift.weekly,
        "exceptions": shift.exceptions,
    }


def list_shifts(session: Session) -> list[dict[str, Any]]:
    """Every shift: teams' first, then users'."""
    rows = list(session.execute(select(Shift, User.username).outerjoin(User, User.id == Shift.user_id)).all())
    rows.sort(key=lambda row: (row[0].team is None, row[0].team or row[1] or ""))
    return [shift_view(shift, username) for shift, username in rows]


def set_shift(
    session: Session, *, team: str | None, user_id: int | None, pattern: ShiftPattern, actor: str
) -> dict[str, Any]:
    """Create or replace the shift of a team or of one user (exactly one of them); audited `shift_set`."""
    if (team is None) == (user_id is None):
        raise UserError("name a team or a user_id (one of them)")
    user = session.get(User, user_id) if user_id is not None else None
    if user_id is not None and user is None:
        raise UserError(f"no user {user_id}")
    shift = session.scalar(select(Shift).where(Shift.team == team if team is not None else Shift.user_id == user_id))
    if shift is None:
        shift = Shift(team=team, user_id=user_id)
        session.add(shift)
    shift.weekly = {day: [list(span) for span in pattern.weekly[day]] for day in DAYS if day in pattern.weekly}
    shift.exceptions = {day.isoformat(): [list(span) for span in hours] for day, hours in pattern.exceptions.items()}
    session.flush()
    subject = ("team", team) if team is not None else ("user", user_id)
    record_event(
        session,
        actor=actor,
        subject_type=subject[0],
        subject_id=subject[1],
        kind="shift_set",
        weekly=shift.weekly,
        exceptions=shift.exceptions,
    )
    return shift_view(shift, user.username if user else None)


def delete_shift(session: Session, *, shift_id: int, actor: str) -> None:
    """Remove a shift (its team or user then works any time); audited `shift_deleted`."""
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NoSuchShift(f"No shift {shift_id}.")
    subject = ("team", shift.team) if shift.team is not None else ("user", shift.user_id)
    session.delete(shift)
    record_event(session, actor=actor, subject_type=subject[0], subject_id=subject[1], kind="shift_deleted")


def shift_of(session: Session, *, user: User) -> Shift | None:
    """The user's own shift, else (agents) their team's."""
    conditions = [Shift.user_id == user.id]
    if user.role == Role.AGENT and user.team:
        conditions.append(Shift.team == user.team)
    shifts = sorted(session.scalars(select(Shift).where(or_(*conditions))), key=lambda s: s.user_id is None)
    return shifts[0] if shifts else None


def _hours(shift: Shift, day: date) -> list[list[str]]:
    exception = shift.exceptions.get(day.isoformat())
    return exception if exception is not None else shift.weekly.get(DAYS[day.weekday()], [])


def on_shift(shift: Shift, *, at: datetime, timezone: str) -> bool:
    """Whether `at` falls in the shift, in the hotline's time zone."""
    local = at.astimezone(ZoneInfo(timezone))
    clock, today = local.strftime("%H:%M"), local.date()
    for start, end in _hours(shift, today):
        if (start <= clock < end) if start < end else clock >= start:
            return True
    # Yesterday's hours that ran past midnight.
    return any(end < start and clock < end for start, end in _hours(shift, today - timedelta(days=1)))


def login_outside_shift(
    session: Session, redis: Redis, *, user: User, at: datetime, timezone: str, refuse: bool, lifetime_s: int
) -> bool:
    """Check a login against the user's shift: True if it is outside it (audited; flagged, or OutsideShift
    when `refuse`). A login during the shift clears an earlier flag."""
    shift = shift_of(session, user=user)
    if shift is None or on_shift(shift, at=at, timezone=timezone):
        redis.delete(OUTSIDE_KEY + str(user.id))
        return False
    local = at.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
    record_event(
        session,
        actor=f"user:{user.id}",
        subject_type="user",
        subject_id=user.id,
        kind="login_outside_shift",
        outcome="refused" if refuse else "allowed",
        local_time=local,
        timezone=timezone,
    )
    if refuse:
        session.commit()  # the refusal stays audited: raising rolls the rest back
        raise OutsideShift(f"It is {local} ({timezone}): outside your shift. Logins are refused outside one's shift.")
    redis.set(OUTSIDE_KEY + str(user.id), int(at.timestamp() * 1000), ex=lifetime_s)
    return True


def outside_shift_flags(redis: Redis, *, user_ids: list[int]) -> dict[int, int]:
    """When (Unix ms) each of these users logged in outside their shift, for those flagged."""
    if not user_ids:
        return {}
    values = redis.mget([OUTSIDE_KEY + str(uid) for uid in user_ids])
    return {uid: int(value) for uid, value in zip(user_ids, values, strict=True) if value is not None}
