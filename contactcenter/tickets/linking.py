"""One request, one ticket: threading a new contact onto the customer's open ticket of the same category,
splitting a contact off again, duplicate suggestions, merge and unmerge.

A merged ticket points at the one it went into (`merged_into_id`), keeps what it had, and is read-only;
its clocks are set aside or moved so the earliest of each target keeps counting on the merged-into ticket.
Unmerging puts everything back. Lists and figures skip merged tickets, so each request counts once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.contacts.models import Contact
from contactcenter.errors import Conflict, Invalid
from contactcenter.tickets import clocks
from contactcenter.tickets.lifecycle import OPEN_STATES, PAUSING_STATES, State
from contactcenter.tickets.models import Ticket, TicketClock, TicketNote
from contactcenter.tickets.service import categorize, open_ticket, writable
from contactcenter.timeutil import as_utc, utcnow

_OPEN = [s.value for s in OPEN_STATES]


def _event(session: Session, ticket: Ticket, kind: str, actor: str, **data: Any) -> None:
    record_event(session, actor=actor, subject_type="ticket", subject_id=ticket.id, kind=kind, **data)


def live_ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket new work on `ticket_id` belongs to: itself, or the ticket it was merged into (followed)."""
    ticket = session.get_one(Ticket, ticket_id)
    for _ in range(32):  # a chain of merges is short; the bound only guards against a cycle
        if ticket.merged_into_id is None:
            break
        ticket = session.get_one(Ticket, ticket.merged_into_id)
    return ticket


def _fresh(session: Session, ticket: Ticket, contact: Contact) -> bool:
    """A ticket this contact just opened: new, nothing on it but this contact."""
    if ticket.status != State.NEW or ticket.merged_into_id is not None:
        return False
    other_contact = exists().where(Contact.ticket_id == ticket.id, Contact.id != contact.id)
    any_note = exists().where(TicketNote.ticket_id == ticket.id)
    return not session.scalar(select(or_(other_contact, any_note)))


def thread_contact(
    session: Session, work: clocks.Clockwork, *, contact: Contact, window_hours: int, actor: str
) -> Ticket | None:
    """Attach a contact whose fresh ticket repeats the customer's open request (same category, active within
    the window) to that request's ticket; the fresh ticket is merged into it. Returns the ticket it joined."""
    if contact.ticket_id is None:
        return None
    fresh = session.get_one(Ticket, contact.ticket_id)
    if fresh.customer_id is None or fresh.category is None or not _fresh(session, fresh, contact):
        return None
    since = utcnow() - timedelta(hours=window_hours)
    open_one = session.scalar(
        select(Ticket)
        .where(
            Ticket.customer_id == fresh.customer_id,
            Ticket.category == fresh.category,
            Ticket.status.in_(_OPEN),
            Ticket.id != fresh.id,
            Ticket.updated_at >= since,
        )
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    if open_one is None:
        return None
    contact.ticket_id = open_one.id
    _merge(session, work, source=fresh, target=open_one, actor=actor, kind="threaded", contact=contact.id)
    return open_one


def split_contact(session: Session, work: clocks.Clockwork, *, contact: Contact, actor: str) -> Ticket:
    """Give a contact a ticket of its own again (it was threaded onto a request it does not belong to)."""
    if contact.ticket_id is None:
        raise Conflict("This contact has no ticket to split it from.")
    current = writable(session.get_one(Ticket, contact.ticket_id))
    others = session.scalar(select(func.count()).where(Contact.ticket_id == current.id, Contact.id != contact.id))
    if not others:
        raise Conflict(f"This contact is the only one on {current.number}; there is nothing to split it from.")
    audit: list[dict[str, Any]] = []
    subject = f"{'Chat' if contact.channel == 'chat' else 'Call'} from {contact.from_number or 'web chat'}"
    ticket_id, number = open_ticket(session, subject=subject, customer_id=current.customer_id, actor=actor, audit=audit)
    ticket = session.get_one(Ticket, ticket_id)
    ticket.created_at = contact.created_at  # its clocks count from this contact, not from the split
    _event(session, ticket, "split", actor, from_ticket=current.number, contact=contact.id)
    _event(session, current, "split", actor, to_ticket=number, contact=contact.id)
    contact.ticket_id = ticket.id
    if current.category:
        categorize(session, work, ticket=ticket, category=current.category, actor=actor, queue=contact.queue)
    return ticket


def duplicates(session: Session, *, ticket: Ticket, limit: int = 10) -> list[Ticket]:
    """Tickets that may be the same request: the customer's other open ones, and any with its serial number."""
    same: list[ColumnElement[bool]] = []
    if ticket.customer_id is not None:
        same.append((Ticket.customer_id == ticket.customer_id) & Ticket.status.in_(_OPEN))
    if ticket.serial_number:
        same.append(Ticket.serial_number == ticket.serial_number)
    if not same:
        return []
    query = (
        select(Ticket)
        .where(or_(*same), Ticket.id != ticket.id, Ticket.status != State.MERGED)
        .order_by(Ticket.updated_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def merge(session: Session, work: clocks.Clockwork, *, source: Ticket, target: Ticket, actor: str) -> None:
    """Merge `source` into `target`: read-only from now, its contacts and notes shown on the target, the
    earliest clock of each target kept counting there, its new contacts going to the target."""
    writable(source)
    writable(target)
    if source.id == target.id:
        raise Invalid("A ticket cannot be merged into itself.")
    if None not in (source.customer_id, target.customer_id) and source.customer_id != target.customer_id:
        raise Conflict(f"{source.number} and {target.number} are different customers' requests; they cannot be merged.")
    _merge(session, work, source=source, target=target, actor=actor, kind="merged")


def _merge(
    session: Session, work: clocks.Clockwork, *, source: Ticket, target: Ticket, actor: str, kind: str, **data: Any
) -> None:
    now = utcnow()
    theirs = {c.target: c for c in clocks.live_clocks(session, ticket_id=target.id)}
    for clock in clocks.live_clocks(session, ticket_id=source.id):
        kept = theirs.get(clock.target)
        if kept is not None and as_utc(kept.started_at) <= as_utc(clock.started_at):
            clocks.supersede(session, clock=clock, actor=actor, why=f"merged into {target.number}", by_merge=source.id)
            continue
        if kept is not None:
            clocks.supersede(session, clock=kept, actor=actor, why=f"{source.number}'s is earlier", by_merge=source.id)
        clock.ticket_id, clock.origin_ticket_id = target.id, source.id
        _follow(session, work, clock=clock, ticket=target, now=now)
    source.status_before_merge, source.status = source.status, State.MERGED
    source.merged_into_id = target.id
    source.updated_at = target.updated_at = now
    _event(session, source, kind, actor, into=target.number, **data)
    _event(session, target, "merged_in" if kind == "merged" else kind, actor, source=source.number, **data)


def _follow(session: Session, work: clocks.Clockwork, *, clock: TicketClock, ticket: Ticket, now: datetime) -> None:
    """A clock moved to another ticket counts or stands still as that ticket does now."""
    if ticket.status in PAUSING_STATES and clock.state in clocks.COUNTING:
        clocks.pause(session, work, clock=clock, at=now)
    elif ticket.status not in PAUSING_STATES and clock.state == clocks.PAUSED:
        clocks.resume(session, work, clock=clock, at=now, now=now)
    elif clock.state in clocks.COUNTING:
        clocks.reschedule(session, work, clock=clock, now=now)  # a new generation: old alarms do nothing


def unmerge(session: Session, work: clocks.Clockwork, *, source: Ticket, actor: str) -> Ticket:
    """Undo a merge: the ticket is its own again, with its clocks; returns the ticket it had gone into."""
    if source.status != State.MERGED or source.merged_into_id is None:
        raise Conflict(f"{source.number} is not merged into another ticket.")
    target = session.get_one(Ticket, source.merged_into_id)
    now = utcnow()
    moved = session.scalars(
        select(TicketClock).where(TicketClock.ticket_id == target.id, TicketClock.origin_ticket_id == source.id)
    )
    for clock in moved:
        clock.ticket_id, clock.origin_ticket_id = source.id, None
        _follow(session, work, clock=clock, ticket=source, now=now)
    for clock in session.scalars(select(TicketClock).where(TicketClock.superseded_by_merge == source.id)):
        clocks.restore(session, work, clock=clock, now=now)
    source.status, source.status_before_merge = source.status_before_merge or State.NEW, None
    source.merged_into_id = None
    source.updated_at = target.updated_at = now
    _event(session, source, "unmerged", actor, from_ticket=target.number)
    _event(session, target, "unmerged", actor, source=source.number)
    return target
