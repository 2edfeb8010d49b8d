"""Callbacks: requested from the IVR, kept in the queue, dialled when an agent takes one.

Each state change is an audit event on the callback (`subject_type="callback"`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.callbacks.models import Callback, CallbackKind, CallbackStatus
from contactcenter.contacts import service as contacts
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.errors import Conflict, NotFound
from contactcenter.outbox import service as outbox
from contactcenter.telephony import TelephonyError, retried
from contactcenter.tickets.linking import live_ticket
from contactcenter.timeutil import as_utc, utcnow
from ivr.call import IvrCall, url
from ivr.queueing import enter_routing

log = logging.getLogger(__name__)
CALENDAR = "callbacks"
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=10)
RELEASE_JOB = "contactcenter.callbacks.jobs.release_callback"
CHOICES = {CallbackKind.CALLBACK: "回电 / Callback", CallbackKind.RETURN_VISIT: "回访 / Return visit"}
MAX_NOTE_LENGTH = 1000


def _event(session: Session, callback: Callback, kind: str, actor: str = "ivr", **data: object) -> None:
    callback.updated_at = utcnow()
    record_event(session, actor=actor, subject_type="callback", subject_id=callback.id, kind=kind, **data)


def local_time(services: Services, when: datetime) -> datetime:
    """A stored time in the hotline's time zone, for telling callers."""
    return (as_utc(when) or when).astimezone(ZoneInfo(services.settings.timezone))


def next_callback_time(services: Services, after: datetime) -> datetime:
    """The first moment at or after `after` when callbacks may be dialled."""
    calendars = services.flows.calendars
    if calendars is None or CALENDAR not in calendars.names():
        return after
    return calendars.next_open(CALENDAR, after)


def request(call: IvrCall, *, phone: str, queue: str, category: str | None, in_queue: bool) -> Callback | None:
    """Register a confirmed callback; it waits in the queue (keeping the caller's place if they were waiting).

    None when the caller was waiting but is no longer (an agent took them as they pressed the key)."""
    contact, session = call.contact, call.session
    existing = session.scalar(select(Callback).where(Callback.contact_id == contact.id))
    if existing is not None:
        return existing  # a retried webhook
    callback = Callback(
        contact_id=contact.id,
        ticket_id=contact.ticket_id,
        customer_id=contact.customer_id,
        phone=phone,
        queue=queue,
        status=CallbackStatus.WAITING,
    )
    session.add(callback)
    session.flush()
    info = {"callback": True, "callback_id": callback.id, "callback_phone": phone}
    now = utcnow()
    opens = next_callback_time(call.services, now)
    if in_queue:
        state = call.services.routing.request_callback(contact_id=str(contact.id), info=info)
        if state not in ("waiting", "offered"):
            session.delete(callback)  # an agent took the call meanwhile (or it is over): no callback
            return None
        contact.status = ContactStatus.CALLBACK
        _event(session, callback, "requested", phone=phone, queue=queue, kept_place=True, routing_state=state)
    elif opens > now:
        callback.status, callback.scheduled_for = CallbackStatus.SCHEDULED, opens
        contacts.mark_finished(session, contact=contact, reason="callback_scheduled", served=True)
        _event(session, callback, "scheduled", phone=phone, queue=queue, at=opens.isoformat())
        outbox.add(session, job=RELEASE_JOB, args=[callback.id], due=opens)
        session.commit()
    else:
        _event(session, callback, "requested", phone=phone, queue=queue, kept_place=False)
        choice = "回电 / Callback"
        enter_routing(call, queue=queue, choice=choice, category=category, priority=0, skills={}, callback=info)
    return callback


def schedule(
    services: Services,
    session: Session,
    *,
    contact: Contact,
    kind: str,
    at: datetime,
    note: str,
    agent_id: int,
) -> Callback:
    """An agent promises a callback or plans a return visit (回访) at a time: it enters the contact's
    queue then (or when callback hours next open), as a new contact on the same ticket."""
    if kind not in CHOICES:
        raise ValueError(f"kind must be one of {', '.join(CHOICES)}")
    at = as_utc(at) or at
    if at.tzinfo is None:
        raise ValueError("the time needs a time zone")
    if at <= utcnow():
        raise ValueError("the time must be in the future")
    if at > utcnow() + timedelta(days=366):
        raise ValueError("the time must be within a year")
    if len(note) > MAX_NOTE_LENGTH:
        raise ValueError(f"the note is longer than {MAX_NOTE_LENGTH} characters")
    phone = contact.from_number
    if contact.channel == "chat" and not contact.identity_verified:
        # A number typed into the chat form is a claim: nobody is called at it until it is proved.
        raise ValueError("the chat customer's number is not verified (SMS code or the agent's check) yet")
    if not phone.startswith("+"):
        raise ValueError("this contact has no phone number to call back")
    when = next_callback_time(services, at)
    callback = Callback(
        contact_id=contact.id,
        ticket_id=contact.ticket_id,
        customer_id=contact.customer_id,
        phone=phone,
        queue=contact.queue or "general",
        status=CallbackStatus.SCHEDULED,
        scheduled_for=when,
        kind=kind,
        note=note or None,
    )
    session.add(callback)
    session.flush()
    _event(
        session,
        callback,
        "scheduled",
        actor=f"user:{agent_id}",
        callback_kind=kind,
        at=when.isoformat(),
        asked=at.isoformat(),
    )
    outbox.add(session, job=RELEASE_JOB, args=[callback.id], due=when)  # committed with the caller's change
    return callback


def dial(services: Services, *, contact_id: int, agent_id: int) -> None:
    """The agent took the callback: Twilio calls the customer (within callback hours) to bridge them."""
    with services.db.session() as session:
        callback = session.scalar(select(Callback).where(Callback.contact_id == contact_id))
        if callback is None:
            raise LookupError(f"contact {contact_id} is not a callback")
        contact = session.get_one(Contact, contact_id)
        now = utcnow()
        if next_callback_time(services, now) > now:
            _retry_later(
                services, session, callback, reason="outside callback hours", at=next_callback_time(services, now)
            )
            finish_contact(services, contact_id=contact_id, reason="callback_outside_hours")
            return
        callback.attempts += 1
        callback.agent_id = agent_id
        callback.status = CallbackStatus.DIALING
        caller_id = services.settings.twilio_caller_id or contact.to_number
        _event(session, callback, "dialing", actor=f"user:{agent_id}", attempt=callback.attempts)
        session.commit()
        try:
            call_sid = services.telephony.create_call(
                to=callback.phone,
                from_=caller_id,
                url=url(services, "/twilio/voice/callback/answered", callback=callback.id),
                status_callback=retried(url(services, "/twilio/voice/callback/status", callback=callback.id)),
            )
        except TelephonyError as exc:
            callback.last_error = str(exc)
            _attempt_failed(services, session, callback, outcome="dial-error")
            raise
        callback.call_sid = call_sid
        _event(session, callback, "dialed", call_sid=call_sid)


def customer_line(session: Session, contact: Contact) -> str:
    """The CallSid of the call a contact's customer is on: a callback's is the hotline's call to them, known
    from the moment it is placed (the contact's own is the call that booked it, long over)."""
    placed = session.scalar(select(Callback.call_sid).where(Callback.contact_id == contact.id))
    return placed or contact.provider_id


def of_call(session: Session, *, callback_id: int, call_sid: str) -> Callback:
    """The callback an outbound call's webhook names, checked against the call Twilio says it is."""
    callback = session.get(Callback, callback_id)
    if callback is None:
        raise LookupError(f"no callback {callback_id}")
    if callback.call_sid and callback.call_sid != call_sid:
        raise ValueError(f"call {call_sid} is not callback {callback_id}'s")
    return callback


def outbound_status(services: Services, *, callback_id: int, call_sid: str, status: str) -> None:
    """Twilio's status callback for the outbound leg: answered, or the attempt failed."""
    with services.db.session() as session:
        callback = of_call(session, callback_id=callback_id, call_sid=call_sid)
        if status == "in-progress" and callback.status == CallbackStatus.DIALING:
            callback.status = CallbackStatus.CONNECTED
            _event(session, callback, "answered", actor="twilio")
        elif status == "completed" and callback.status in (CallbackStatus.CONNECTED, CallbackStatus.DIALING):
            answered = callback.status == CallbackStatus.CONNECTED
            if answered:
                callback.status = CallbackStatus.COMPLETED
                _event(session, callback, "completed", actor="twilio")
            else:
                _attempt_failed(services, session, callback, outcome="no-answer")
        elif status in ("busy", "no-answer", "failed", "canceled") and callback.status == CallbackStatus.DIALING:
            _attempt_failed(services, session, callback, outcome=status)
        contact_id = callback.contact_id
    if status in ("completed", "busy", "no-answer", "failed", "canceled"):
        finish_contact(services, contact_id=contact_id, reason=f"callback_{status}")


def _attempt_failed(services: Services, session: Session, callback: Callback, *, outcome: str) -> None:
    """The customer did not answer: try again later, up to MAX_ATTEMPTS, then give up."""
    if callback.attempts >= MAX_ATTEMPTS:
        callback.status = CallbackStatus.FAILED
        _event(session, callback, "failed", actor="twilio", outcome=outcome, attempts=callback.attempts)
        return
    _retry_later(services, session, callback, reason=outcome, at=next_callback_time(services, utcnow() + RETRY_AFTER))


def _retry_later(services: Services, session: Session, callback: Callback, *, reason: str, at: datetime) -> None:
    callback.status, callback.scheduled_for = CallbackStatus.SCHEDULED, at
    _event(session, callback, "scheduled", reason=reason, at=at.isoformat())
    outbox.add(session, job=RELEASE_JOB, args=[callback.id], due=at)
    session.commit()


def release(services: Services, *, callback_id: int) -> None:
    """A scheduled callback's time came: it enters its queue as a new contact on the same ticket."""
    with services.db.session() as session:
        callback = session.get(Callback, callback_id)
        if callback is None or callback.status != CallbackStatus.SCHEDULED:
            return  # done, canceled, or released already by an earlier run of this job
        original = session.get_one(Contact, callback.contact_id)
        # A ticket merged since the callback was booked: the call goes on the ticket it went into.
        ticket_id = live_ticket(session, callback.ticket_id).id if callback.ticket_id else None
        contact = Contact(
            provider_id=f"CB{callback.id}-{callback.attempts + 1}",
            direction="callback",
            from_number=callback.phone,
            to_number=original.to_number,
            customer_id=callback.customer_id,
            ticket_id=ticket_id,
            language=original.language,
            identity_verified=original.identity_verified,
        )
        session.add(contact)
        session.flush()
        callback.contact_id, callback.status, callback.scheduled_for = contact.id, CallbackStatus.WAITING, None
        _event(session, callback, "released", actor="scheduler", contact_id=contact.id)
        call = IvrCall(services, services.flows.for_number(contact.to_number), session, contact)
        info = {
            "callback": True,
            "callback_id": callback.id,
            "callback_phone": callback.phone,
            "callback_kind": callback.kind,
            "callback_note": callback.note,
            "assigned_agent": callback.agent_id if callback.batch_id else None,
        }
        choice = CHOICES.get(CallbackKind(callback.kind), CHOICES[CallbackKind.CALLBACK])
        enter_routing(call, queue=callback.queue, choice=choice, category=None, priority=0, skills={}, callback=info)


def cancel(services: Services, *, callback_id: int, actor: str) -> dict[str, object]:
    """Call the callback off (the customer no longer needs it): out of the queue, never dialled."""
    with services.db.session() as session:
        callback = session.get(Callback, callback_id)
        if callback is None:
            raise NotFound(f"no callback {callback_id}")
        if callback.status not in (CallbackStatus.WAITING, CallbackStatus.SCHEDULED):
            raise Conflict(
                f"callback {callback_id} is {callback.status}; only a waiting or scheduled one can be canceled"
            )
        callback.status = CallbackStatus.CANCELED
        _event(session, callback, "canceled", actor=actor)
        contact = session.get_one(Contact, callback.contact_id)
        waiting = contact.status == ContactStatus.CALLBACK
        if waiting:
            contact.status = ContactStatus.QUEUED  # so finishing takes it out of routing too
        contact_id = contact.id
        view = view_of(callback)
    if waiting:
        finish_contact(services, contact_id=contact_id, reason="callback_canceled")
    return view


def view_of(callback: Callback) -> dict[str, object]:
    """A callback as the API shows it."""
    return {
        "id": callback.id,
        "status": callback.status,
        "kind": callback.kind,
        "note": callback.note,
        "phone": callback.phone,
        "queue": callback.queue,
        "contact_id": callback.contact_id,
        "ticket_id": callback.ticket_id,
        "attempts": callback.attempts,
        "scheduled_for": callback.scheduled_for.isoformat() if callback.scheduled_for else None,
        "agent_id": callback.agent_id,
        "last_error": callback.last_error,
    }


def listing(services: Services, *, queues: list[str], status: str | None) -> list[dict[str, object]]:
    """Callbacks of these queues, newest first."""
    with services.db.session() as session:
        query = select(Callback).where(Callback.queue.in_(queues))
        if status:
            query = query.where(Callback.status == status)
        return [view_of(c) for c in session.scalars(query.order_by(Callback.id.desc()).limit(200))]
