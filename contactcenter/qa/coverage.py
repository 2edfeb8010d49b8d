"""Coverage per agent for QA leads: over a period, each agent's contacts handled, sampled, evaluated (regular
evaluations submitted, of contacts that ended in the period), their average score, and whether the policy's
target is met."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.contacts.models import Contact
from contactcenter.errors import Invalid
from contactcenter.qa import sampling
from contactcenter.qa.models import Evaluation, EvaluationKind
from contactcenter.qa.sampling_models import ItemStatus, PolicyKind, SampleItem, SamplingPolicy
from contactcenter.qa.sampling_runs import rule_of
from contactcenter.users.models import Role, User

MAX_DAYS = 366


def target_policy(session: Session, *, policy_id: int | None) -> SamplingPolicy | None:
    """The policy whose target coverage is measured against: the one named, else the first active random or
    percentage policy (complaints and flags have no target per agent)."""
    if policy_id is not None:
        return session.get(SamplingPolicy, policy_id)
    query = select(SamplingPolicy).where(
        SamplingPolicy.active.is_(True),
        SamplingPolicy.kind.in_([PolicyKind.RANDOM_PER_AGENT, PolicyKind.PERCENTAGE]),
    )
    return session.scalars(query.order_by(SamplingPolicy.id).limit(1)).first()


def period(
    *, first: str | None, last: str | None, days: int, now: datetime, zone: ZoneInfo
) -> tuple[datetime, datetime]:
    """[start, end) from local dates `first`..`last` (inclusive, YYYY-MM-DD); by default the last whole
    period of `days` (the one the scheduled run sampled)."""
    if first is None and last is None:
        return sampling.window(now, days=days, zone=zone)
    try:
        start_day = date.fromisoformat(first) if first else None
        end_day = date.fromisoformat(last) if last else now.astimezone(zone).date()
    except ValueError as exc:
        raise Invalid("from, to: dates as YYYY-MM-DD") from exc
    start_day = start_day or end_day - timedelta(days=days - 1)
    if start_day > end_day or (end_day - start_day).days >= MAX_DAYS:
        raise Invalid(f"from, to: from on or before to, at most {MAX_DAYS} days")
    return (
        datetime.combine(start_day, time(), tzinfo=zone),
        datetime.combine(end_day + timedelta(days=1), time(), tzinfo=zone),
    )


def coverage(session: Session, *, start: datetime, end: datetime, policy: SamplingPolicy | None) -> dict[str, Any]:
    """Per agent over [start, end): handled, sampled, skipped, evaluated, average score, target, met."""
    ended = (Contact.ended_at >= start, Contact.ended_at < end)
    handled: dict[int, int] = {
        agent_id: count
        for agent_id, count in session.execute(
            select(Contact.agent_id, func.count())
            .where(*ended, Contact.agent_id.is_not(None), Contact.answered_at.is_not(None))
            .group_by(Contact.agent_id)
        )
        if agent_id is not None
    }
    sampled: dict[int, int] = {}
    skipped: dict[int, int] = {}
    items = (
        select(SampleItem.agent_id, SampleItem.status, func.count())
        .where(SampleItem.contact_ended_at >= start, SampleItem.contact_ended_at < end)
        .group_by(SampleItem.agent_id, SampleItem.status)
    )
    for agent_id, status, count in session.execute(items):
        sampled[agent_id] = sampled.get(agent_id, 0) + count
        if status == ItemStatus.SKIPPED:
            skipped[agent_id] = skipped.get(agent_id, 0) + count
    evaluated = {
        agent_id: (count, average)
        for agent_id, count, average in session.execute(
            select(Evaluation.agent_id, func.count(), func.avg(Evaluation.score))
            .join(Contact, Contact.id == Evaluation.contact_id)
            .where(*ended, Evaluation.kind == EvaluationKind.REGULAR, Evaluation.submitted_at.is_not(None))
            .group_by(Evaluation.agent_id)
        )
    }
    agent_ids = set(handled) | set(sampled) | set(evaluated)
    agent_ids |= set(session.scalars(select(User.id).where(User.role == Role.AGENT, User.active.is_(True))))
    people = select(User.id, User.display_name).where(User.id.in_(agent_ids))
    names = {user_id: name for user_id, name in session.execute(people)}
    rule = rule_of(policy) if policy is not None else None
    rows = []
    for agent_id in sorted(agent_ids):
        done, average = evaluated.get(agent_id, (0, None))
        wanted = sampling.target(rule, handled.get(agent_id, 0)) if rule else 0
        rows.append(
            {
                "agent_id": agent_id,
                "agent_name": names.get(agent_id),
                "handled": handled.get(agent_id, 0),
                "sampled": sampled.get(agent_id, 0),
                "skipped": skipped.get(agent_id, 0),
                "evaluated": done,
                "average_score": None if average is None else round(float(average), 1),
                "target": wanted,
                "met": done >= wanted,
            }
        )
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "policy": None if policy is None else {"id": policy.id, "name": policy.name, "kind": policy.kind},
        "agents": rows,
    }
