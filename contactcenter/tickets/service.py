"""Tickets: opened by a contact, written up by the agent."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from contactcenter.audit.service import event_row, events_for, record_event
from contactcenter.contacts.models import Contact
from contactcenter.customers.models import Customer
from contactcenter.tickets.models import Ticket, TicketNote, TicketStatus
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User
from recordings.models import Recording

# Built once (every incoming call opens a ticket); plain table statements, no ORM bookkeeping.
_TICKETS = Ticket.__table__
_NEW_TICKET = insert(_TICKETS).returning(_TICKETS.c.id)
_NUMBER_TICKET = (
    update(_TICKETS).where(_TICKETS.c.id == bindparam("ticket_id")).values(number=bindparam("ticket_number"))
)


def open_ticket(
    session: Session, *, subject: str, customer_id: int | None, actor: str, audit: list[dict[str, Any]]
) -> tuple[int, str]:
    """Create a ticket and give it its human number (T-000123); returns (id, number).

    Its audit entry is appended to `audit` for the caller to write with its own (one INSERT)."""
    now = utcnow()
    row = {
        "subject": subject,
        "customer_id": customer_id,
        "status": TicketStatus.OPEN,
        "created_at": now,
        "updated_at": now,
    }
    ticket_id = session.execute(_NEW_TICKET, row).scalar_one()
    number = f"T-{ticket_id:06d}"
    session.execute(_NUMBER_TICKET, {"ticket_id": ticket_id, "ticket_number": number})
    audit.append(
        event_row(actor=actor, subject_type="ticket", subject_id=ticket_id, kind="opened", at=now, subject=subject)
    )
    return ticket_id, number


def categorize(session: Session, *, ticket: Ticket, category: str, actor: str) -> None:
    """Set the ticket's category (e.g. from the caller's menu choice)."""
    if ticket.category == category:
        return
    ticket.category = category
    ticket.updated_at = utcnow()
    record_event(
        session, actor=actor, subject_type="ticket", subject_id=ticket.id, kind="categorized", category=category
    )


def set_status(session: Session, *, ticket: Ticket, status: str, actor: str) -> None:
    """Move the ticket to open, pending, resolved or closed."""
    if status not in TicketStatus.__members__.values():
        raise ValueError(f"ticket status must be one of {', '.join(s.value for s in TicketStatus)}")
    if ticket.status == status:
        return
    previous, ticket.status, ticket.updated_at = ticket.status, status, utcnow()
    record_event(
        session,
        actor=actor,
        subject_type="ticket",
        subject_id=ticket.id,
        kind="status_changed",
        status=status,
        previous=previous,
    )


def add_note(session: Session, *, ticket: Ticket, body: str, author: User, contact_id: int | None) -> TicketNote:
    """Append the agent's note to the ticket."""
    note = TicketNote(ticket_id=ticket.id, body=body, author_id=author.id, contact_id=contact_id)
    session.add(note)
    ticket.updated_at = utcnow()
    if ticket.assignee_id is None:
        ticket.assignee_id = author.id
    session.flush()
    record_event(
        session,
        actor=f"user:{author.id}",
        subject_type="ticket",
        subject_id=ticket.id,
        kind="note_added",
        note_id=note.id,
    )
    return note


def _iso(value: Any) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def ticket_view(session: Session, *, ticket: Ticket) -> dict[str, Any]:
    """Everything an agent or QA user sees of a ticket, as JSON-ready data."""
    customer = session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    contacts = session.scalars(select(Contact).where(Contact.ticket_id == ticket.id).order_by(Contact.id)).all()
    notes = session.scalars(select(TicketNote).where(TicketNote.ticket_id == ticket.id).order_by(TicketNote.id)).all()
    recordings = session.scalars(select(Recording).where(Recording.ticket_id == ticket.id).order_by(Recording.id)).all()
    user_ids = {c.agent_id for c in contacts} | {n.author_id for n in notes} | {ticket.assignee_id}
    users = session.scalars(select(User).where(User.id.in_(user_ids - {None}))).all()
    names: dict[int | None, str] = {u.id: u.display_name for u in users}  # no one (None) has no name
    return {
        "id": ticket.id,
        "number": ticket.number,
        "status": ticket.status,
        "category": ticket.category,
        "subject": ticket.subject,
        "assignee": names.get(ticket.assignee_id),
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "customer": customer
        and {"id": customer.id, "phone": customer.phone, "name": customer.name, "grade": customer.grade},
        "contacts": [
            {
                "id": c.id,
                "channel": c.channel,
                "call_sid": c.provider_id,
                "from": c.from_number,
                "status": c.status,
                "queue": c.queue,
                "menu_choice": c.menu_choice,
                "agent": names.get(c.agent_id),
                "created_at": _iso(c.created_at),
                "queued_at": _iso(c.queued_at),
                "answered_at": _iso(c.answered_at),
                "ended_at": _iso(c.ended_at),
            }
            for c in contacts
        ],
        "notes": [
            {"id": n.id, "author": names.get(n.author_id), "body": n.body, "created_at": _iso(n.created_at)}
            for n in notes
        ],
        "recordings": [
            {
                "id": r.id,
                "status": r.status,
                "duration_seconds": r.duration_seconds,
                "sha256": r.sha256,
                "media_url": f"/recordings/{r.id}/media" if r.status == "stored" else None,
            }
            for r in recordings
        ],
        "history": [
            {"at": _iso(e.occurred_at), "actor": e.actor, "kind": e.kind, "data": e.data}
            for e in events_for(session, subject_type="ticket", subject_id=ticket.id)
        ],
    }
