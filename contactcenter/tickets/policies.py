"""SLA policies: how long each target of each category allows, on which calendar, warning at what share.

The targets and what starts and stops them are data (TARGETS); the minutes are settings a manager edits
(`/desk/policies`, `PUT /api/sla-policies/{category}/{target}`), each change a new version (the clocks already
running keep theirs until someone re-applies the current one to a ticket). Defaults are the hotline's rules
(docs/domain.md): repairs and complaints answered within 30 minutes, complaints replied to within 24 h and
resolved within 48 h, a return/exchange reviewed within 2 working days, picked up within 1, decided within 2,
the return visit (回访) by the next day.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.errors import Invalid
from contactcenter.tickets.models import SlaPolicy
from contactcenter.timeutil import utcnow

ANY = "*"  # a policy for every category (the escalation levels)


@dataclass(frozen=True)
class Target:
    """One SLA target: the events that start its clock and the events that stop it (met).

    Events: `opened` (the ticket has its category), `entered:<state>`, `left:<state>`, `answered` (an agent
    took one of its calls or chats), `reply` (a note of what we told the customer), `visited` (its return
    visit recorded), `escalated` (the level's own clock, tickets/escalation.py)."""

    name: str
    labels: tuple[str, str]
    starts: frozenset[str]
    stops: frozenset[str]


def _target(name: str, zh: str, en: str, starts: set[str], stops: set[str]) -> Target:
    return Target(name, (zh, en), frozenset(starts), frozenset(stops))


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        _target("respond", "响应", "First response", {"opened"}, {"left:new", "answered", "reply"}),
        _target("dispatch", "派单", "Dispatch", {"opened"}, {"entered:dispatched", "entered:resolved"}),
        _target("reply", "答复", "Reply", {"opened"}, {"reply", "entered:resolved"}),
        _target("resolve", "解决", "Resolution", {"opened", "entered:reopened"}, {"entered:resolved"}),
        _target("review", "审核", "Review", {"entered:under_review"}, {"left:under_review"}),
        _target("pickup", "取件", "Pickup", {"entered:pickup"}, {"left:pickup"}),
        _target("result", "处理结果", "Result", {"entered:in_progress"}, {"entered:resolved"}),
        _target(
            "return_visit",
            "回访",
            "Return visit",
            {"entered:resolved"},
            {"visited", "entered:closed", "entered:reopened"},
        ),
        # The clock of an escalation level (team lead, manager): started by the escalation, met at resolution.
        _target("escalation", "升级处理", "Escalation", {"escalated"}, {"entered:resolved"}),
    )
}


@dataclass(frozen=True)
class Policy:
    """The policy a clock starts from: its row (None and version 0: the built-in default)."""

    category: str
    target: str
    minutes: int
    calendar: str | None
    warn_percent: int = 80
    enabled: bool = True
    policy_id: int | None = None
    version: int = 0


_WORKING_DAY = 9 * 60  # the office calendar's day, 08:30-17:30
DEFAULTS: tuple[Policy, ...] = (
    Policy("consultation", "resolve", 24 * 60, None),
    Policy("repair", "respond", 30, None),
    Policy("repair", "dispatch", 2 * 60, None),  # arrange the after-sales task within 2 h
    Policy("repair", "resolve", 72 * 60, None),
    Policy("complaint", "respond", 30, None),
    Policy("complaint", "reply", 24 * 60, None),
    Policy("complaint", "resolve", 48 * 60, None),
    Policy("order", "resolve", 48 * 60, None),
    Policy("return_exchange", "review", 2 * _WORKING_DAY, "office"),
    Policy("return_exchange", "pickup", 1 * _WORKING_DAY, "office"),
    Policy("return_exchange", "result", 2 * _WORKING_DAY, "office"),
    Policy("other", "resolve", 72 * 60, None),
    # The next day, in callback hours (09:00-20:00: 11 h), the window return visits are dialled in.
    *(Policy(c, "return_visit", 11 * 60, "callbacks") for c in ("consultation", "repair", "complaint", "order")),
    Policy("return_exchange", "return_visit", 11 * 60, "callbacks"),
    Policy("other", "return_visit", 11 * 60, "callbacks"),
    Policy(ANY, "escalation:1", 4 * 60, None),  # the team lead's time before the manager hears of it
    Policy(ANY, "escalation:2", 8 * 60, None),
)
LEVEL_TARGETS = ("escalation:1", "escalation:2")


def target_of(name: str) -> Target:
    """The target a policy or clock names (`escalation:1` is the escalation target at level 1)."""
    return TARGETS[name.split(":", 1)[0]]


def current_policies(session: Session) -> dict[tuple[str, str], Policy]:
    """Every (category, target)'s current policy: the newest version a manager saved, else the default."""
    policies = {(p.category, p.target): p for p in DEFAULTS}
    newest = (
        select(SlaPolicy.category, SlaPolicy.target, func.max(SlaPolicy.version).label("version"))
        .group_by(SlaPolicy.category, SlaPolicy.target)
        .subquery()
    )
    rows = session.scalars(
        select(SlaPolicy).join(
            newest,
            (SlaPolicy.category == newest.c.category)
            & (SlaPolicy.target == newest.c.target)
            & (SlaPolicy.version == newest.c.version),
        )
    )
    for row in rows:
        policies[(row.category, row.target)] = Policy(
            row.category, row.target, row.minutes, row.calendar, row.warn_percent, row.enabled, row.id, row.version
        )
    return policies


def policies_for(session: Session, *, category: str | None) -> dict[str, Policy]:
    """The enabled current policies of one category, by target (the escalation levels included)."""
    every = current_policies(session)
    return {
        target: policy
        for (cat, target), policy in every.items()
        if policy.enabled and cat in (category or "other", ANY)
    }


def save_policy(
    session: Session,
    *,
    category: str,
    target: str,
    minutes: int,
    calendar: str | None,
    warn_percent: int,
    enabled: bool,
    actor: str,
    categories: tuple[str, ...],
    calendars: list[str],
) -> Policy:
    """Write the next version of one policy (a manager's change); clocks already running keep theirs."""
    if category != ANY and category not in categories:
        raise Invalid(f"Unknown category {category!r}; categories are: {', '.join(categories)}.")
    if target.split(":", 1)[0] not in TARGETS or (target.startswith("escalation") and target not in LEVEL_TARGETS):
        raise Invalid(f"Unknown target {target!r}; targets are: {', '.join([*TARGETS, *LEVEL_TARGETS])}.")
    if target in LEVEL_TARGETS and category != ANY:
        raise Invalid(f"The escalation levels' policies are for every category ({ANY!r}).")
    if calendar is not None and calendar not in calendars:
        raise Invalid(
            f"Unknown calendar {calendar!r}; calendars are: {', '.join(calendars)} (or none: around the clock)."
        )
    if not 1 <= minutes <= 365 * 24 * 60:
        raise Invalid("minutes must be between 1 and 525600 (a year).")
    if not 1 <= warn_percent <= 99:
        raise Invalid("warn_percent must be between 1 and 99.")
    last = session.scalar(
        select(func.max(SlaPolicy.version)).where(SlaPolicy.category == category, SlaPolicy.target == target)
    )
    row = SlaPolicy(
        category=category,
        target=target,
        version=(last or 0) + 1,
        minutes=minutes,
        calendar=calendar,
        warn_percent=warn_percent,
        enabled=enabled,
        created_at=utcnow(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return Policy(category, target, minutes, calendar, warn_percent, enabled, row.id, row.version)


def record_change(session: Session, *, policy: Policy, actor: str) -> None:
    """The audit entry of a manager's change of a policy (which version, what it says now)."""
    record_event(
        session,
        actor=actor,
        subject_type="sla_policy",
        subject_id=f"{policy.category}/{policy.target}",
        kind="policy_changed",
        version=policy.version,
        minutes=policy.minutes,
        calendar=policy.calendar,
        warn_percent=policy.warn_percent,
        enabled=policy.enabled,
    )
