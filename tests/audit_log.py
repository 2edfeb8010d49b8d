"""Reading the audit log of a running system (what a test expects to have been recorded)."""

from __future__ import annotations

from sqlalchemy import select

from contactcenter.audit.models import AuditEvent
from contactcenter.db import Database
from tests.conftest import System


def audit_kinds(system: System, *, subject_type: str, subject_id: int | str) -> list[str]:
    """The kinds of the audit events on one subject, oldest first."""
    db = Database(system.database_url)
    try:
        with db.session() as session:
            query = (
                select(AuditEvent.kind)
                .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))
                .order_by(AuditEvent.id)
            )
            return list(session.scalars(query))
    finally:
        db.dispose()
