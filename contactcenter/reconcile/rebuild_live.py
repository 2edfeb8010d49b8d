"""The part of a rebuild (rebuild.py) that puts back work in progress and the agents doing it, after Redis
lost its data.

- **Agents.** SQL records the states agents choose (audit `state_changed`, and `state_forced` by a
  supervisor) but not those routing gives them by itself (not ready after missed offers or a lost console,
  available after a wrap-up): their state at the loss is not known. So no agent is made available by a
  rebuild. An agent whose last recorded choice was available or not ready, and every agent with work in
  progress, comes back *not ready* (`routing_rebuilt`) with its queues and skills, remembering that choice:
  the console (which resyncs by itself) shows it and takes the agent back with one click, as after a
  disconnect. An agent whose last choice was offline, or who never chose, stays offline.
- **Calls in progress** (SQL connected, with an agent): Twilio is asked about the customer's call; live,
  the call is the agent's again, answered, the agent busy on it, its room's live state (conference, the
  agent's leg) put back, so that its end (the agent's End, Twilio's reports, wrap-up) goes as ever; over,
  the contact is ended.
- **Chats in progress** are their agent's again, in one of the agent's chat slots.

Waiting contacts (calls, callbacks, chats) go back to their queues in rebuild.py; a contact that was
being offered is one of them (its offer is gone; the agent's console resyncs). A call accepted whose
agent had not joined yet waits again too: SQL had not yet recorded it connected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from agents.conference import LiveCall
from contactcenter.audit.models import AuditEvent
from contactcenter.callbacks.models import Callback
from contactcenter.chats.forms import TOPICS
from contactcenter.chats.models import ChatSession
from contactcenter.chats.service import routing_info as chat_info
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.customers.models import Customer
from contactcenter.tickets.models import Ticket
from contactcenter.timeutil import as_utc
from contactcenter.users.auth import AGENT_ROLES
from contactcenter.users.models import User
from ivr.call import IvrCall
from ivr.queueing import priority_for, routing_info

REBUILT = "routing_rebuilt"  # the not-ready reason of an agent a rebuild brought back
CHOICES = ("state_changed", "state_forced")  # the audit kinds of an agent's state chosen by a person


@dataclass(frozen=True)
class InProgress:
    """A contact SQL has with an agent, and the customer's call to ask Twilio about ('' for a chat)."""

    contact: Contact
    line: str
    callback: Callback | None


def in_progress(session: Session) -> list[InProgress]:
    """Every contact SQL has connected to an agent (calls, callbacks, chats), oldest first."""
    rows = session.scalars(
        select(Contact)
        .where(Contact.status == ContactStatus.CONNECTED, Contact.agent_id.is_not(None))
        .order_by(Contact.answered_at, Contact.id)
    ).all()
    ids = [row.id for row in rows]
    callbacks = {cb.contact_id: cb for cb in session.scalars(select(Callback).where(Callback.contact_id.in_(ids)))}
    found = []
    for contact in rows:
        callback = callbacks.get(contact.id)
        line = "" if contact.channel == "chat" else (callback.call_sid or "") if callback else contact.provider_id
        found.append(InProgress(contact, line, callback))
    return found


def restore_agents(services: Services, session: Session, *, working: set[int]) -> list[int]:
    """Bring back, not ready (REBUILT), each agent whose last recorded choice was to work and each agent in
    `working` (work in progress), remembering that choice; returns their ids."""
    chosen = _last_choices(session)
    wanted = working | {agent for agent, (state, _) in chosen.items() if state != "offline"}
    users = session.scalars(
        select(User)
        .where(User.id.in_(wanted), User.role.in_(AGENT_ROLES), User.active.is_(True))
        .options(selectinload(User.queues))
        .order_by(User.id)
    ).all()
    for user in users:
        previous = chosen.get(user.id)
        services.routing.restore_agent(
            agent_id=str(user.id),
            queues=[queue.name for queue in user.queues],
            skills=dict(user.skills or {}),
            chat_capacity=services.routing.config.chat_capacity if user.chat_capacity is None else user.chat_capacity,
            reason=REBUILT,
            previous=previous if previous and previous[0] != "offline" else None,
        )
    return [user.id for user in users]


def _last_choices(session: Session) -> dict[int, tuple[str, str]]:
    """Each agent's last state chosen (by them or a supervisor) as SQL recorded it: (state, reason). A
    state routing answered with is what the choice led to: `reserved` was a choice of available."""
    latest = (
        select(func.max(AuditEvent.id))
        .where(AuditEvent.subject_type == "agent", AuditEvent.kind.in_(CHOICES))
        .group_by(AuditEvent.subject_id)
    )
    found: dict[int, tuple[str, str]] = {}
    for event in session.scalars(select(AuditEvent).where(AuditEvent.id.in_(latest))):
        state, reason = str(event.data.get("state") or ""), str(event.data.get("reason") or "")
        if event.subject_id.isdigit() and state:
            found[int(event.subject_id)] = ("available", "") if state in ("reserved", "busy") else (state, reason)
    return found


def restore_assignment(services: Services, session: Session, work: InProgress) -> None:
    """Make a call or chat in progress its agent's again, as its accept and join left it."""
    contact = work.contact
    arrived, answered = as_utc(contact.queued_at) or as_utc(contact.created_at), as_utc(contact.answered_at)
    services.routing.restore_assignment(
        contact_id=str(contact.id),
        agent_id=str(contact.agent_id),
        channel=contact.channel,
        queue=contact.queue or "general",
        priority=contact.priority if contact.channel != "chat" else chat_priority(session, contact),
        info=contact_info(services, session, contact, work.callback),
        skills=contact.routing_skills,
        call_sid=None if contact.channel == "chat" or work.callback else contact.provider_id,
        arrived_ms=int(arrived.timestamp() * 1000) if arrived else 0,
        answered_ms=int(answered.timestamp() * 1000) if answered else 0,
    )
    if contact.channel != "chat" and contact.agent_id is not None:
        _restore_room(services, session, work, contact.agent_id)


def contact_info(services: Services, session: Session, contact: Contact, callback: Callback | None) -> dict[str, Any]:
    """What the agent's screen shows of the contact, made again from SQL as its enqueue (or a callback's
    release) made it."""
    if contact.channel == "chat":
        return chat_routing_info(session, contact)
    call = IvrCall(services, services.flows.for_number(contact.to_number), session, contact)
    info = routing_info(call, contact.menu_choice or "")
    if callback is not None:
        info |= {"callback": True, "callback_id": callback.id, "callback_phone": callback.phone}
        info |= {"callback_kind": callback.kind, "callback_note": callback.note}
    return info


def chat_routing_info(session: Session, contact: Contact) -> dict[str, Any]:
    """A chat's offer card, made again from its rows."""
    chat = session.scalars(select(ChatSession).where(ChatSession.contact_id == contact.id)).one()
    customer = session.get(Customer, contact.customer_id) if contact.customer_id else None
    ticket = session.get(Ticket, contact.ticket_id) if contact.ticket_id else None
    number = (ticket.number if ticket else None) or ""
    return chat_info(contact, name=chat.name, topic=chat.topic, customer=customer, ticket=number)


def chat_priority(session: Session, contact: Contact) -> int:
    """A chat's priority as its start gave it: its topic's, raised for a key account."""
    topic = session.scalar(select(ChatSession.topic).where(ChatSession.contact_id == contact.id))
    customer = session.get(Customer, contact.customer_id) if contact.customer_id else None
    return priority_for(customer, TOPICS[topic].priority if topic in TOPICS else 0)


def _restore_room(services: Services, session: Session, work: InProgress, agent_id: int) -> None:
    """The room's live state (agents/conference.py) as SQL knows it: its SID, the customer in it, and the
    agent's leg from the audit of its join; hold and mute are not recorded (both off)."""
    leg = session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.subject_type == "contact",
            AuditEvent.subject_id == str(work.contact.id),
            AuditEvent.kind == "agent_joined",
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    fields = {"started": "1", "caller_in": "1"}
    if work.contact.conference_sid:
        fields["conference_sid"] = work.contact.conference_sid
    if work.callback is not None and work.callback.call_sid:
        fields["caller"] = work.callback.call_sid
    if leg is not None and leg.data.get("agent_id") == agent_id and leg.data.get("call_sid"):
        fields[f"agent:{agent_id}"] = str(leg.data["call_sid"])
    LiveCall(services, work.contact.id).set(**fields)
