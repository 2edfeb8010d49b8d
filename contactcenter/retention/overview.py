"""What the managers' page shows: each policy with what waits to go and what went, what will go when (marks
waiting out their grace, with the holds that would now keep them), the holds, the last run, the receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from contactcenter.audit.models import AuditEvent
from contactcenter.retention.holds import holding, in_force
from contactcenter.retention.models import DeletionReceipt, RetentionMark
from contactcenter.retention.registry import PLANNED, classes
from contactcenter.settings import Settings
from contactcenter.timeutil import as_utc

UPCOMING = 100  # marks shown, soonest first


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def policies(session: Session, settings: Settings) -> list[dict[str, Any]]:
    """Every class under a policy: its days, and how many of its objects are marked and destroyed."""
    counts: dict[tuple[str, str], int] = {
        (name, state): int(n)
        for name, state, n in session.execute(
            select(RetentionMark.data_class, RetentionMark.state, func.count()).group_by(
                RetentionMark.data_class, RetentionMark.state
            )
        )
    }
    next_due: dict[str, datetime] = {
        name: due
        for name, due in session.execute(
            select(RetentionMark.data_class, func.min(RetentionMark.due_at))
            .where(RetentionMark.state == "marked")
            .group_by(RetentionMark.data_class)
        )
    }
    rows: list[dict[str, Any]] = [
        {"name": c.name, "label": list(c.label), "days": c.days(settings), "registered": True} for c in classes()
    ]
    known = {row["name"] for row in rows}
    rows += [
        {"name": name, "label": list(label), "days": int(getattr(settings, setting)), "registered": False}
        for name, (label, setting) in PLANNED.items()
        if name not in known
    ]
    for row in rows:
        name = str(row["name"])
        row["marked"] = counts.get((name, "marked"), 0)
        row["destroyed"] = counts.get((name, "destroyed"), 0)
        row["next_due"] = _iso(next_due.get(name))
    return rows


def upcoming(session: Session, *, data_class: str | None, limit: int = UPCOMING) -> list[dict[str, Any]]:
    """Marked objects, soonest due first, each with the holds that would keep it if the run came now."""
    query = select(RetentionMark).where(RetentionMark.state == "marked")
    if data_class:
        query = query.where(RetentionMark.data_class == data_class)
    marks = session.scalars(query.order_by(RetentionMark.due_at, RetentionMark.id).limit(limit)).all()
    holds = in_force(session)
    return [
        {
            "data_class": m.data_class,
            "object_id": m.object_id,
            "customer_id": m.customer_id,
            "ticket_id": m.ticket_id,
            "agent_id": m.agent_id,
            "object_at": _iso(m.object_at),
            "marked_at": _iso(m.marked_at),
            "due_at": _iso(m.due_at),
            "held_by": holding(
                holds, customer_id=m.customer_id, ticket_id=m.ticket_id, agent_id=m.agent_id, at=m.object_at
            ),
        }
        for m in marks
    ]


def last_run(session: Session) -> dict[str, Any] | None:
    """The report of the latest run that changed something (dry runs leave none)."""
    event = session.scalar(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "retention", AuditEvent.kind == "retention_run")
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    return dict(event.data.get("report") or {}) if event else None


def overview(session: Session, settings: Settings) -> dict[str, Any]:
    """The page's data in one answer."""
    return {
        "timezone": settings.timezone,
        "grace_days": settings.retention_grace_days,
        "run_hour": settings.retention_run_hour,
        "policies": policies(session, settings),
        "upcoming": upcoming(session, data_class=None),
        "last_run": last_run(session),
        "receipts_total": int(session.scalar(select(func.count()).select_from(DeletionReceipt)) or 0),
    }
