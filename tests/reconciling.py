"""What the reconciler's tests share: the app's services with the app's own reconciler held off, and
contacts made straight in SQL and routing."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select

from contactcenter.audit.models import AuditEvent
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.reconcile.service import LOCK_KEY
from contactcenter.timeutil import utcnow
from tests.conftest import HOTLINE
from tests.inprocess import InProcessSystem


def held_services(system: InProcessSystem) -> Iterator[Services]:
    """For a `services` fixture: the app's services while the app's own reconciler stays out of the way."""
    found: Services = system.client.app.state.services  # type: ignore[attr-defined]
    found.redis.set(LOCK_KEY, "this test", px=120_000)  # the app's own reconciler stays out of the way
    yield found
    found.redis.delete(LOCK_KEY)


def contact_row(services: Services, *, status: str, call_sid: str | None = None, minutes_ago: int = 5) -> int:
    with services.db.session() as session:
        contact = Contact(
            provider_id=call_sid or "CA" + secrets.token_hex(16),
            from_number="+8613700000002",
            to_number=HOTLINE,
            status=status,
            queue="general",
            created_at=utcnow() - timedelta(minutes=minutes_ago),
        )
        session.add(contact)
        session.flush()
        return contact.id


def in_routing(services: Services, contact_id: int, call_sid: str) -> None:
    services.routing.enqueue(contact_id=str(contact_id), queue="general", info={}, call_sid=call_sid)


def status_of(services: Services, contact_id: int) -> str:
    with services.db.reading() as session:
        return session.get_one(Contact, contact_id).status


def audited(services: Services, contact_id: int) -> list[tuple[str, object]]:
    with services.db.reading() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.subject_id == str(contact_id), AuditEvent.actor == "reconciler")
        ).all()
        return [(event.kind, event.data.get("reason")) for event in events]
