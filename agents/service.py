"""What an agent does from the console: change state, accept or reject offers, end, write up."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from contactcenter.audit.service import record_event
from contactcenter.callbacks import service as callbacks
from contactcenter.chats import service as chats
from contactcenter.contacts import service as contacts
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.errors import APIError
from contactcenter.telephony import TelephonyError
from contactcenter.tickets.models import Ticket, TicketStatus
from contactcenter.tickets.service import add_note, categorize, set_status
from contactcenter.users.auth import CurrentUser
from contactcenter.users.models import User
from queues.engine import RoutingError
from queues.models import Queue

log = logging.getLogger(__name__)
MAX_NOTE_LENGTH = 10_000


class AgentActionError(APIError):
    """The action cannot be done now (409 unless said otherwise); the message tells the agent why."""

    status = 409


@contextmanager
def routing_refusals() -> Iterator[None]:
    """Routing's refusals become messages for the agent."""
    try:
        yield
    except RoutingError as exc:
        raise AgentActionError(str(exc), code=exc.code) from exc


def audit_action(
    services: Services, agent: CurrentUser, subject_type: str, subject_id: int, kind: str, **data: object
) -> None:
    """Record what the agent did on its subject (in the audit log, with the agent as actor)."""
    with services.db.session() as session:
        record_event(
            session, actor=f"user:{agent.id}", subject_type=subject_type, subject_id=subject_id, kind=kind, **data
        )


def _check_reason(services: Services, reason: str) -> None:
    reasons = services.settings.not_ready_reasons
    if reason not in reasons:
        raise AgentActionError(f"Not ready needs a reason: one of {', '.join(reasons)}.", 400)


def set_state(services: Services, *, agent: CurrentUser, state: str, reason: str = "") -> str:
    """Go available, not ready (with a reason from NOT_READY_REASONS) or offline."""
    if state == "not_ready":
        _check_reason(services, reason)
    if not agent.queues and state == "available":
        raise AgentActionError("You are in no queue; ask a supervisor to add you to one.")
    try:
        with routing_refusals():
            new_state = services.routing.set_agent_state(
                agent_id=str(agent.id),
                state=state,
                queues=list(agent.queues),
                reason=reason if state == "not_ready" else "",
                skills=agent.skills,
                chat_capacity=agent.chat_capacity,
            )
    except ValueError as exc:
        raise AgentActionError(str(exc), 400) from exc
    audit_action(services, agent, "agent", agent.id, "state_changed", state=new_state, reason=reason)
    return new_state


def accept(services: Services, *, agent: CurrentUser, contact_id: int) -> None:
    """Take the offered contact and have Twilio bridge the caller to the agent's phone."""
    with routing_refusals():
        services.routing.accept(contact_id=str(contact_id), agent_id=str(agent.id))
    decisions = services.routing.explain(contact_id=str(contact_id))
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        is_callback = contact.status == ContactStatus.CALLBACK
        contacts.mark_connected(session, contact=contact, agent_id=agent.id)
        # Why this agent got it outlives the Redis record: keep the decision with the contact.
        record_event(
            session,
            actor="routing",
            subject_type="contact",
            subject_id=contact_id,
            kind="routed",
            why=decisions[-1] if decisions else None,
        )
        call_sid = contact.provider_id
        is_chat = contact.channel == "chat"
    if is_chat:  # nothing to bridge: the customer's page hears who joined
        chats.agent_joined(services, contact_id=contact_id, agent_id=agent.id)
        return
    if is_callback:
        _dial_callback(services, contact_id=contact_id, agent_id=agent.id)
        return
    answered_at = services.routing.contact(str(contact_id)).get("answered_at", "")
    if services.routing.claim_bridge(contact_id=str(contact_id), answered_at=answered_at, by="accept") != "accept":
        return  # a transfer's redirect reached /connect first and is ringing this agent already
    _follow_routing(services, contact_id=contact_id, call_sid=call_sid, failure="connected", bridge=answered_at)


def _dial_callback(services: Services, *, contact_id: int, agent_id: int) -> None:
    """A callback has no caller on the line: Twilio dials the customer, then bridges the agent."""
    try:
        callbacks.dial(services, contact_id=contact_id, agent_id=agent_id)
    except TelephonyError as exc:
        finish_contact(services, contact_id=contact_id, reason="callback_dial_failed")
        raise AgentActionError(f"The customer could not be called: {exc}", 502) from exc


def _follow_routing(
    services: Services, *, contact_id: int, call_sid: str, failure: str, bridge: str | None = None
) -> None:
    """Send the live call to /connect, which bridges it to its agent or parks it in its queue.

    `bridge` names the assignment this redirect was claimed for (see RoutingEngine.claim_bridge).
    If Twilio refuses, the caller is gone (hung up meanwhile): end the contact so nobody waits on it.
    """
    query = f"contact={contact_id}" + (f"&bridge={bridge}" if bridge is not None else "")
    try:
        services.telephony.redirect_call(call_sid=call_sid, url=services.url(f"/twilio/voice/connect?{query}"))
    except TelephonyError as exc:
        log.warning("redirecting contact %s failed: %s", contact_id, exc)
        finish_contact(services, contact_id=contact_id, reason=f"not_{failure}")
        raise AgentActionError(f"The caller could not be {failure}: {exc}", 502) from exc


def reject(services: Services, *, agent: CurrentUser, contact_id: int) -> None:
    """Pass on the offer; the caller keeps their place and goes to the next agent."""
    with routing_refusals():
        services.routing.reject(contact_id=str(contact_id), agent_id=str(agent.id))
    audit_action(services, agent, "contact", contact_id, "offer_rejected", agent_id=agent.id)


def end(services: Services, *, agent: CurrentUser, contact_id: int) -> None:
    """Hang up the agent's current call; the agent goes to wrap-up."""
    routing = services.routing.contact(str(contact_id))
    if routing.get("agent") != str(agent.id) or routing.get("state") != "assigned":
        raise AgentActionError("This call is not yours, or it has already ended.")
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        call_sid, is_chat = contact.provider_id, contact.channel == "chat"
    if is_chat:  # no call to hang up: the chat closes, its transcript goes to the ticket
        chats.agent_ends(services, contact_id=contact_id)
        return
    try:
        services.telephony.end_call(call_sid=call_sid)
    except TelephonyError as exc:
        log.warning("hanging up contact %s failed (already over?): %s", contact_id, exc)
    finish_contact(services, contact_id=contact_id, reason="agent_ended")


def transfer(
    services: Services, *, agent: CurrentUser, contact_id: int, queue: str | None, to_agent: int | None
) -> str:
    """Send the caller to another queue or agent; the ticket stays the same, the agent goes to wrap-up."""
    if (queue is None) == (to_agent is None):
        raise AgentActionError("Transfer to either a queue or an agent.", 400)
    with services.db.session() as session:
        if queue is not None and session.scalar(select(Queue.id).where(Queue.name == queue)) is None:
            raise AgentActionError(f"There is no queue {queue!r}.", 404)
        with routing_refusals():
            state = services.routing.transfer(
                contact_id=str(contact_id),
                agent_id=str(agent.id),
                queue=queue,
                to_agent=str(to_agent) if to_agent is not None else None,
            )
        contacts.mark_transferred(
            session,
            contact=session.get_one(Contact, contact_id),
            queue=queue,
            actor=f"user:{agent.id}",
            to_agent=to_agent,
        )
        moved = session.get_one(Contact, contact_id)
        call_sid, is_chat = moved.provider_id, moved.channel == "chat"
    if is_chat:  # no call to move: the customer waits again, and the next agent's accept joins the chat
        chats.transferred(services, contact_id=contact_id, agent_id=agent.id)
    else:
        _follow_routing(services, contact_id=contact_id, call_sid=call_sid, failure="transferred")
    return state


def extend_wrap_up(services: Services, *, agent: CurrentUser, seconds: float) -> str:
    """More time to write up; returns the new end as Unix milliseconds."""
    try:
        with routing_refusals():
            return str(services.routing.extend_wrap_up(agent_id=str(agent.id), seconds=seconds))
    except ValueError as exc:
        raise AgentActionError(str(exc), 400) from exc


@dataclass(frozen=True)
class WrapUp:
    """What the agent writes up about a contact (all but the next state optional)."""

    note: str = ""
    next_state: str = "available"
    reason: str = "after_call_work"  # why not ready, when next_state is not_ready
    disposition: str | None = None
    category: str | None = None
    ticket_status: str | None = None
    follow_up: FollowUp | None = None


@dataclass(frozen=True)
class FollowUp:
    """A callback the agent promised, or a return visit (回访), at a time."""

    kind: str
    at: datetime
    note: str = ""


def _check_wrap_up(services: Services, form: WrapUp) -> None:
    settings = services.settings
    if len(form.note.strip()) > MAX_NOTE_LENGTH:
        raise AgentActionError(f"The note is longer than {MAX_NOTE_LENGTH} characters.", 400)
    if form.next_state not in ("available", "not_ready"):
        raise AgentActionError("After wrap-up go 'available' or 'not_ready'.", 400)
    if form.next_state == "not_ready":
        _check_reason(services, form.reason)
    for value, allowed, what in (
        (form.disposition, settings.disposition_codes, "disposition"),
        (form.category, settings.ticket_categories, "category"),
        (form.ticket_status, tuple(TicketStatus), "ticket_status"),
    ):
        if value is not None and value not in allowed:
            raise AgentActionError(f"{what} must be one of {', '.join(allowed)}.", 400)


def wrap_up(services: Services, *, agent: CurrentUser, contact_id: int, form: WrapUp) -> None:
    """Save the write-up (disposition, ticket category and status, note, follow-up) and leave wrap-up."""
    _check_wrap_up(services, form)
    actor = f"user:{agent.id}"
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.agent_id != agent.id:
            raise AgentActionError("This contact is not yours.", 403)
        chat = contact.channel == "chat"  # a chat's wrap-up frees its slot; a call's ends the agent's
        ticket = session.get(Ticket, contact.ticket_id) if contact.ticket_id else None
        if form.follow_up is not None:
            try:
                callbacks.schedule(
                    services,
                    session,
                    contact=contact,
                    kind=form.follow_up.kind,
                    at=form.follow_up.at,
                    note=form.follow_up.note.strip(),
                    agent_id=agent.id,
                )
            except ValueError as exc:
                raise AgentActionError(f"Follow-up: {exc}.", 400) from exc
        if form.disposition:
            contact.disposition = form.disposition
            record_event(
                session,
                actor=actor,
                subject_type="contact",
                subject_id=contact.id,
                kind="dispositioned",
                disposition=form.disposition,
            )
        if ticket is not None:
            if form.category:
                categorize(session, ticket=ticket, category=form.category, actor=actor)
            if form.ticket_status:
                set_status(session, ticket=ticket, status=form.ticket_status, actor=actor)
            if form.note.strip():
                author = session.get_one(User, agent.id)
                add_note(session, ticket=ticket, body=form.note.strip(), author=author, contact_id=contact.id)
    with routing_refusals():
        services.routing.end_wrap_up(
            agent_id=str(agent.id),
            state=form.next_state,
            reason="" if form.next_state == "available" else form.reason,
            contact_id=str(contact_id) if chat else None,
        )
