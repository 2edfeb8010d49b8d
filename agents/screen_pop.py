"""The screen pop: who is on the line, what they chose, their last contacts and open tickets.

Agents see phone numbers masked (they never dial by hand: callbacks are dialled by the system);
supervisors, managers and admins see them whole. The pop is made whole and masked as it is sent
(contactcenter/responses.py), ticket subjects ("Call from +86…") included.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agents.service import AgentActionError
from contactcenter.access.masking import sees_whole
from contactcenter.chats import verification
from contactcenter.chats.models import ChatSession
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.customers.models import Customer
from contactcenter.tickets.lifecycle import OPEN_STATES
from contactcenter.tickets.models import Ticket
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.auth import SUPERVISOR_ROLES, CurrentUser
from contactcenter.users.models import User

RECENT_CONTACTS = 5
OPEN_TICKETS = 10


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def may_see(services: Services, *, viewer: CurrentUser, contact: Contact) -> bool:
    """The agent the contact is offered to or was handled by, or anyone who supervises."""
    if viewer.role in SUPERVISOR_ROLES or contact.agent_id == viewer.id:
        return True
    return services.routing.contact(str(contact.id)).get("agent") == str(viewer.id)


def screen_pop(services: Services, *, viewer: CurrentUser, contact_id: int) -> dict[str, Any]:
    """Everything the console shows about a contact while it rings and while it is handled."""
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise AgentActionError(f"There is no contact {contact_id}.", 404)
        if not may_see(services, viewer=viewer, contact=contact):
            raise AgentActionError("This contact is not offered to you.", 403)
        customer = session.get(Customer, contact.customer_id) if contact.customer_id else None
        ticket = session.get(Ticket, contact.ticket_id) if contact.ticket_id else None
        waited_until = as_utc(contact.answered_at) or as_utc(contact.ended_at) or utcnow()
        queued_at = as_utc(contact.queued_at) or as_utc(contact.created_at)
        return {
            "contact": {
                "id": contact.id,
                "channel": contact.channel,
                "direction": contact.direction,
                "from": contact.from_number,
                "queue": contact.queue,
                "choice": contact.menu_choice,
                "language": contact.language,
                "verified": contact.identity_verified,
                "created_at": _iso(contact.created_at),
                "waited_seconds": max(0, round((waited_until - queued_at).total_seconds())) if queued_at else None,
                "ticket": ticket and {"id": ticket.id, "number": ticket.number, "status": ticket.status},
                "transfer": _transfer_of(services, contact.id),
            },
            "customer": customer
            and {"id": customer.id, "name": customer.name, "grade": customer.grade, "phone": customer.phone},
            "recent_contacts": _recent_contacts(session, contact, customer),
            "open_tickets": _open_tickets(session, customer),
            "identity": _identity(session, contact, show_number=sees_whole(viewer)),
            "phone_masked": not sees_whole(viewer),
        }


def _identity(session: Session, contact: Contact, *, show_number: bool) -> dict[str, Any]:
    """Whether the customer proved who they are, and how; for a chat, the number they gave (a claim until
    then: the pop shows no customer, history or open tickets of it, chats/verification.py)."""
    method = verification.verified_by(session, contact_id=contact.id) if contact.identity_verified else None
    chat = session.scalar(select(ChatSession).where(ChatSession.contact_id == contact.id))
    if chat is None:
        return {"verified": contact.identity_verified, "method": method, "claimed_phone": None}
    return verification.identity_view(contact=contact, chat=chat, show_number=show_number, method=method)


def _transfer_of(services: Services, contact_id: int) -> dict[str, Any] | None:
    """The latest transfer's context, as routing gave it to the receiving agent's offer: who, the note."""
    info = services.routing.contact(str(contact_id)).get("info")
    transfer = json.loads(info).get("transfer") if info else None
    if not isinstance(transfer, dict):
        return None
    return {key: transfer.get(key) for key in ("from_agent", "from_name", "note", "kind")}


def _recent_contacts(session: Session, contact: Contact, customer: Customer | None) -> list[dict[str, Any]]:
    """The customer's (or, for an unknown caller, the number's) last contacts before this one."""
    same_person = (
        Contact.customer_id == customer.id
        if customer
        else Contact.from_number == contact.from_number
        if contact.from_number.startswith("+")
        else None
    )
    if same_person is None:
        return []
    rows = session.execute(
        select(Contact, Ticket.number, User.display_name)
        .outerjoin(Ticket, Ticket.id == Contact.ticket_id)
        .outerjoin(User, User.id == Contact.agent_id)
        .where(same_person, Contact.id != contact.id)
        .order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(RECENT_CONTACTS)
    ).all()
    return [
        {
            "id": c.id,
            "channel": c.channel,
            "created_at": _iso(c.created_at),
            "queue": c.queue,
            "choice": c.menu_choice,
            "status": c.status,
            "disposition": c.disposition,
            "agent": agent,
            "ticket": number,
        }
        for c, number, agent in rows
    ]


def _open_tickets(session: Session, customer: Customer | None) -> list[dict[str, Any]]:
    if customer is None:
        return []
    tickets = session.scalars(
        select(Ticket)
        .where(
            Ticket.customer_id == customer.id,
            Ticket.status.in_([s.value for s in OPEN_STATES]),
        )
        .order_by(Ticket.updated_at.desc())
        .limit(OPEN_TICKETS)
    )
    return [
        {
            "id": t.id,
            "number": t.number,
            "status": t.status,
            "category": t.category,
            "subject": t.subject,
            "updated_at": _iso(t.updated_at),
        }
        for t in tickets
    ]
