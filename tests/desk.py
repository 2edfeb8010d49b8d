"""Tickets made straight in SQL for the desk's tests (no call needed): a customer's request of a category,
opened at a given time, with its clocks started as the service starts them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contactcenter.audit.service import record_rows
from contactcenter.context import Services
from contactcenter.customers.service import customer_id_for_phone
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.search import reindex
from contactcenter.tickets.service import categorize, open_ticket
from contactcenter.timeutil import utcnow


def make_ticket(
    services: Services,
    *,
    category: str | None,
    phone: str | None = "+8613900139000",
    subject: str = "Call from a test",
    queue: str | None = "general",
    opened_at: datetime | None = None,
    **fields: Any,
) -> int:
    """A new ticket (its clocks running from `opened_at`); returns its id."""
    with services.db.session() as session:
        audit: list[dict[str, Any]] = []
        customer_id = customer_id_for_phone(session, phone=phone, actor="test", audit=audit) if phone else None
        ticket_id, _ = open_ticket(session, subject=subject, customer_id=customer_id, actor="test", audit=audit)
        record_rows(session, audit)
        ticket = session.get_one(Ticket, ticket_id)
        ticket.created_at = opened_at or utcnow()
        for name, value in fields.items():
            setattr(ticket, name, value)
        if category:
            categorize(session, clockwork(services), ticket=ticket, category=category, actor="test", queue=queue)
        else:
            ticket.queue = queue
        session.flush()
        reindex(session, ticket_id=ticket_id)
    return ticket_id


def services_of(system: Any) -> Services:
    """The in-process system's services (its database, Redis, calendars)."""
    services: Services = system.client.app.state.services
    return services


def user_id(system: Any, username: str) -> int:
    """A demo user's id, as /api/me says it."""
    return int(system.login(username).get("/api/me").json()["id"])
