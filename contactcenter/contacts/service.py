"""The life of a contact in SQL: registered, queued, connected, ended or abandoned."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from contactcenter.audit.service import event_row, record_event, record_rows
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.customers.service import customer_id_for_phone, normalize_phone
from contactcenter.db import insert_or_ignore
from contactcenter.tickets.clocks import Clockwork
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.service import answered, categorize, open_ticket
from contactcenter.timeutil import utcnow

TWILIO = "twilio"


# Built once: these run on every incoming call.
_BY_PROVIDER_ID = select(Contact).where(Contact.provider_id == bindparam("provider_id"))


def by_provider_id(session: Session, provider_id: str) -> Contact | None:
    """The contact of a CallSid, if any."""
    return session.scalar(_BY_PROVIDER_ID, {"provider_id": provider_id})


def register_inbound_call(
    session: Session,
    *,
    call_sid: str,
    from_number: str,
    to_number: str,
    region: str,
    started_at: datetime | None = None,
) -> tuple[Contact, bool]:
    """The contact of this call, created with its customer and ticket by the first webhook that needs it.

    `started_at` is when the call reached us, if that was earlier (the contact's `created_at`).
    The busiest write of the hotline (every incoming call): a few plain statements, no savepoints,
    one INSERT for all the audit entries."""
    existing = by_provider_id(session, call_sid)
    if existing:
        return existing, False
    phone = normalize_phone(from_number, region=region)
    audit: list[dict[str, object]] = []
    customer_id = customer_id_for_phone(session, phone=phone, actor=TWILIO, audit=audit) if phone else None
    ticket_id, number = open_ticket(
        session, subject=f"Call from {phone or from_number}", customer_id=customer_id, actor=TWILIO, audit=audit
    )
    now = utcnow()
    row = {
        "provider_id": call_sid,
        "channel": "voice",
        "direction": "inbound",
        "status": ContactStatus.IVR,
        "from_number": phone or from_number,
        "to_number": to_number,
        "customer_id": customer_id,
        "ticket_id": ticket_id,
        "identity_verified": False,
        "created_at": min(started_at, now) if started_at else now,
    }
    contact_id = session.execute(insert_or_ignore(session, Contact), row).scalar()
    if contact_id is None:
        # A concurrent retry of the same webhook registered the call first: drop our ticket, use its contact.
        session.execute(delete(Ticket).where(Ticket.id == ticket_id))
        return session.scalars(_BY_PROVIDER_ID, {"provider_id": call_sid}).one(), False
    audit.append(
        event_row(
            actor=TWILIO,
            subject_type="contact",
            subject_id=contact_id,
            kind="created",
            at=now,
            call_sid=call_sid,
            ticket=number,
        )
    )
    record_rows(session, audit)
    return session.get_one(Contact, contact_id), True


def _transition(session: Session, contact: Contact, status: ContactStatus, actor: str, **data: object) -> None:
    contact.status = status
    record_event(session, actor=actor, subject_type="contact", subject_id=contact.id, kind=status.value, **data)


def mark_queued(
    session: Session, work: Clockwork, *, contact: Contact, queue: str, choice: str, category: str | None
) -> bool:
    """The caller chose a queue; False if the contact had already been queued."""
    if contact.status != ContactStatus.IVR:
        return False
    contact.queue = queue
    contact.menu_choice = choice
    contact.queued_at = utcnow()
    if category and contact.ticket_id:
        ticket = session.get_one(Ticket, contact.ticket_id)
        categorize(session, work, ticket=ticket, category=category, actor=TWILIO, queue=queue)
    _transition(session, contact, ContactStatus.QUEUED, TWILIO, queue=queue, choice=choice)
    return True


def mark_connected(session: Session, work: Clockwork, *, contact: Contact, agent_id: int) -> bool:
    """The agent accepted and the caller is being bridged to them."""
    if contact.status not in (ContactStatus.QUEUED, ContactStatus.IVR, ContactStatus.CALLBACK):
        return False
    contact.agent_id = agent_id
    contact.answered_at = utcnow()
    ticket = session.get(Ticket, contact.ticket_id) if contact.ticket_id else None
    if ticket is not None:
        answered(session, work, ticket=ticket, agent_id=agent_id)
    _transition(session, contact, ContactStatus.CONNECTED, f"user:{agent_id}", agent_id=agent_id)
    return True


def mark_finished(session: Session, *, contact: Contact, reason: str, served: bool = False) -> bool:
    """The call is over: ended if it reached an agent or was served otherwise (voicemail, callback
    booked, transferred out, self-service), else abandoned. Idempotent."""
    if contact.status in (ContactStatus.ENDED, ContactStatus.ABANDONED):
        return False
    contact.ended_at = utcnow()
    reached = served or contact.status == ContactStatus.CONNECTED
    status = ContactStatus.ENDED if reached else ContactStatus.ABANDONED
    _transition(session, contact, status, TWILIO, reason=reason)
    return True


def note_transferred_out(session: Session, *, contact: Contact, number: str, actor: str = TWILIO) -> None:
    """The IVR (or an agent) is sending the caller to an outside number."""
    record_event(
        session, actor=actor, subject_type="contact", subject_id=contact.id, kind="transferred_out", number=number
    )


def mark_transferred(
    session: Session, *, contact: Contact, queue: str | None, actor: str, to_agent: int | None, note: str = ""
) -> None:
    """The agent handed the caller on: waiting again (same contact and ticket) until someone accepts."""
    previous_agent = contact.agent_id
    if queue:
        contact.queue = queue
    contact.agent_id = None
    contact.answered_at = None
    _transition(
        session,
        contact,
        ContactStatus.QUEUED,
        actor,
        queue=contact.queue,
        from_agent=previous_agent,
        to_agent=to_agent,
        note=note or None,
    )


def last_agent_of(session: Session, *, customer_id: int, days: int = 30) -> int | None:
    """The agent who most recently talked to this customer, within `days`."""
    since = utcnow() - timedelta(days=days)
    return session.scalar(
        select(Contact.agent_id)
        .where(Contact.customer_id == customer_id, Contact.agent_id.is_not(None), Contact.created_at >= since)
        .order_by(Contact.id.desc())
        .limit(1)
    )
