"""Recording state changes in the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from contactcenter.audit.models import AuditEvent


def record_event(
    session: Session, *, actor: str, subject_type: str, subject_id: object, kind: str, **data: Any
) -> AuditEvent:
    """Add one audit entry to the current transaction."""
    event = AuditEvent(actor=actor, subject_type=subject_type, subject_id=str(subject_id), kind=kind, data=data)
    session.add(event)
    return event


def event_row(
    *, actor: str, subject_type: str, subject_id: object, kind: str, at: datetime, **data: Any
) -> dict[str, Any]:
    """One audit entry as a row, for writing several in one INSERT (`record_rows`)."""
    return {
        "actor": actor,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "kind": kind,
        "data": data,
        "occurred_at": at,
    }


def record_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add several audit entries in one statement (the hot paths use this)."""
    if rows:
        session.execute(insert(AuditEvent.__table__), rows)


def events_for(session: Session, *, subject_type: str, subject_id: object) -> list[AuditEvent]:
    """Every audit entry of one record, oldest first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(query))
