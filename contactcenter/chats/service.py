"""The web chat's operations: start from the pre-chat form, messages both ways, leaving, ending.

SQL is the record: every change is stored (and audited) first, then published on the chat hub
(hub.py) for the sockets of every process. Routing treats a chat like a call on the chat channel.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event, record_rows
from contactcenter.chats import presence, transcript
from contactcenter.chats.forms import (
    TOPICS,
    ChatError,
    PreChatForm,
    client_message_id,
    message_body,
    pre_chat_form,
)
from contactcenter.chats.hub import publish
from contactcenter.chats.models import ChatMessage, ChatSession, Sender
from contactcenter.chats.views import message_view
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.customers.models import Customer
from contactcenter.db import insert_or_ignore
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.service import categorize, open_ticket
from contactcenter.timeutil import utcnow
from contactcenter.users.models import User
from ivr.queueing import priority_for
from queues.models import Queue

ACTOR = "webchat"
WEBCHAT_NUMBER = "webchat"  # the contact's to_number: the chat has no number dialled
LIVE = (ContactStatus.QUEUED, ContactStatus.CONNECTED)
GREETING = {
    "zh-CN": "您好,这里是{company}。请问有什么可以帮您?客服人员马上为您服务。",
    "en": "Hello, this is {company}. How can we help you? An agent will be with you shortly.",
}
JOINED = "{agent} 已接入对话。 {agent} joined the chat."
TRANSFERRED = "正在为您转接其他客服,请稍候。 You are being transferred to another agent; please wait."
ENDINGS = {
    "customer_left": "客户已离开对话。 The customer left the chat.",
    "customer_gone": "客户已断开连接。 The customer's page went away.",
    "agent_ended": "客服已结束对话。 The agent ended the chat.",
    "max_wait": "很抱歉,现在没有空闲的客服,请留言,我们会尽快联系您。 "
    "Sorry, no agent is free now; please leave a message and we will get back to you.",
}


@dataclass(frozen=True)
class StartedChat:
    contact_id: int
    token: str  # the page's secret: only its SHA-256 is stored
    ticket: str


def token_hash(token: str) -> str:
    """What is stored of a chat's secret token."""
    return hashlib.sha256(token.encode()).hexdigest()


def company_name(services: Services) -> str:
    """The company the hotline's flow greets with."""
    flows = services.flows.flows()
    return flows[0].company if flows else ""


def hotline_open(services: Services, *, topic: str) -> bool:
    """Whether the topic's queue is open now: its own calendar, else the hotline's (as the IVR asks)."""
    calendars = services.flows.calendars
    with services.db.session() as session:
        name = session.scalar(select(Queue.calendar).where(Queue.name == TOPICS[topic].queue)) or "hotline"
    if calendars is None or name not in calendars:
        return True
    return calendars.is_open(name, utcnow())


def check_form(services: Services, **answers: object) -> PreChatForm:
    """The pre-chat form's answers, checked (ChatError says what is wrong)."""
    return pre_chat_form(**answers, region=services.settings.default_region)


def start_chat(services: Services, *, form: PreChatForm) -> StartedChat:
    """Open the contact, customer and ticket of a new chat, greet the customer and queue it for an agent."""
    if not hotline_open(services, topic=form.topic):
        raise ChatError("We are closed now; please leave a message.", 409, leave_message=True)
    topic = TOPICS[form.topic]
    token = secrets.token_urlsafe(32)
    with services.db.session() as session:
        audit: list[dict[str, Any]] = []
        # The number typed is a claim, not a proof: no customer record (nor her history, her priority, her
        # last agent) until it is proved (verification.py).
        ticket_id, number = open_ticket(
            session, subject=f"Chat from {form.name}", customer_id=None, actor=ACTOR, audit=audit
        )
        record_rows(session, audit)
        ticket = session.get_one(Ticket, ticket_id)
        categorize(session, clockwork(services), ticket=ticket, category=topic.category, actor=ACTOR, queue=topic.queue)
        contact = Contact(
            channel="chat",
            provider_id="CH" + uuid.uuid4().hex,
            direction="inbound",
            from_number="",  # the number once proved (nothing may be dialled to a claim)
            to_number=WEBCHAT_NUMBER,
            status=ContactStatus.QUEUED,
            queue=topic.queue,
            menu_choice=form.choice,
            customer_id=None,
            ticket_id=ticket_id,
            language=form.language,
            queued_at=utcnow(),
        )
        session.add(contact)
        session.flush()
        session.add(
            ChatSession(
                contact_id=contact.id,
                token_hash=token_hash(token),
                name=form.name,
                phone=form.phone,
                topic=form.topic,
                language=form.language,
            )
        )
        _audit(session, contact.id, "created", ticket=number, name=form.name, topic=form.topic)
        _audit(session, contact.id, ContactStatus.QUEUED.value, queue=topic.queue, choice=form.choice)
        greeting = GREETING[form.language].format(company=company_name(services))
        _store(session, contact_id=contact.id, sender=Sender.SYSTEM, body=greeting, client_id=None, author_id=None)
        info = routing_info(contact, name=form.name, topic=form.topic, customer=None, ticket=number)
        contact_id = contact.id
    # SQL first: the agent's offer then finds the contact, its ticket and the greeting.
    _created, state = services.routing.enqueue(
        contact_id=str(contact_id),
        queue=topic.queue,
        priority=priority_for(None, topic.priority),
        info=info,
        preferred_agent=None,
        channel="chat",
    )
    if state == "full":
        finish_contact(services, contact_id=contact_id, reason="queue_full")
        _close(services, contact_id=contact_id, reason="queue_full", note=None)
        raise ChatError("All our agents are busy; please leave a message.", 409, leave_message=True)
    return StartedChat(contact_id=contact_id, token=token, ticket=number)


def routing_info(contact: Contact, *, name: str, topic: str, customer: Customer | None, ticket: str) -> dict[str, Any]:
    """What the agent's offer card shows (the fields of ivr.queueing.routing_info, plus the chat's own); a
    rebuild of routing makes it again from the chat's rows."""
    return {
        "channel": "chat",
        "from": contact.from_number,
        "caller_name": name,
        "customer": customer.name if customer and customer.name else name,
        "customer_id": customer and customer.id,
        "grade": customer.grade if customer else None,
        "choice": contact.menu_choice,
        "topic": topic,
        "language": contact.language,
        "verified": False,
        "ticket_id": contact.ticket_id,
        "ticket": ticket,
    }


def contact_of_token(services: Services, *, token: object) -> int:
    """The chat a customer's page holds the secret of."""
    if not isinstance(token, str) or not token:
        raise ChatError("Send the chat's token.", 401)
    with services.db.session() as session:
        found = session.scalar(select(ChatSession.contact_id).where(ChatSession.token_hash == token_hash(token)))
    if found is None:
        raise ChatError("This chat is unknown; start a new one.", 401)
    return found


def post_message(
    services: Services,
    *,
    contact_id: int,
    sender: Sender,
    body: object,
    client_id: object = None,
    agent_id: int | None = None,
) -> tuple[dict[str, Any], bool]:
    """Store and deliver a customer's or the assigned agent's message; a resend (same client_id) is stored
    once. Returns the message and whether it is new."""
    text, cid = message_body(body), client_message_id(client_id)
    with services.db.session() as session:
        contact = _live_contact(session, contact_id, sender, agent_id)
        message, created = _store(
            session,
            contact_id=contact_id,
            sender=sender,
            body=text,
            client_id=cid,
            author_id=agent_id if sender == Sender.AGENT else None,
        )
        view = message_view(session, message)
        agent = contact.agent_id
    if created:
        publish(
            services.redis, {"type": "chat.message", "contact": str(contact_id), "agent": _id(agent), "message": view}
        )
    return view, created


def typing(services: Services, *, contact_id: int, sender: Sender, agent_id: int | None = None) -> None:
    """Tell the other side someone is typing (not stored)."""
    with services.db.session() as session:
        agent = _live_contact(session, contact_id, sender, agent_id).agent_id
    publish(
        services.redis, {"type": "chat.typing", "contact": str(contact_id), "agent": _id(agent), "from": sender.value}
    )


def _live_contact(session: Session, contact_id: int, sender: Sender, agent_id: int | None) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.channel != "chat":
        raise ChatError("There is no such chat.", 404)
    if sender == Sender.AGENT:
        if contact.agent_id is None or contact.agent_id != agent_id:
            raise ChatError("This chat is not yours.", 403)
        if contact.status != ContactStatus.CONNECTED:
            raise ChatError("This chat is not live any more.", 409)
    elif contact.status not in LIVE:
        raise ChatError("This chat has ended.", 409)
    return contact


def _store(
    session: Session, *, contact_id: int, sender: Sender, body: str, client_id: str | None, author_id: int | None
) -> tuple[ChatMessage, bool]:
    row = {
        "contact_id": contact_id,
        "sender": sender.value,
        "author_id": author_id,
        "body": body,
        "client_id": client_id,
        "created_at": utcnow(),
    }
    new_id = session.execute(insert_or_ignore(session, ChatMessage), row).scalar()
    if new_id is None:  # this client_id was stored before: the resend is the same message
        existing = session.scalars(
            select(ChatMessage).where(
                ChatMessage.contact_id == contact_id, ChatMessage.sender == sender, ChatMessage.client_id == client_id
            )
        ).one()
        return existing, False
    _audit(session, contact_id, "chat_message", message_id=new_id, sender=sender.value)
    return session.get_one(ChatMessage, new_id), True


def _say(session: Session, *, contact_id: int, body: str, client_id: str) -> dict[str, Any]:
    """A system message in the chat (stored once per client_id), as the sides are sent it."""
    message, _ = _store(
        session, contact_id=contact_id, sender=Sender.SYSTEM, body=body, client_id=client_id, author_id=None
    )
    return message_view(session, message)


def agent_joined(services: Services, *, contact_id: int, agent_id: int) -> None:
    """The agent accepted the chat: tell the customer who they are talking to."""
    with services.db.session() as session:
        name = session.get_one(User, agent_id).display_name
        # An accept retried never says it twice.
        view = _say(session, contact_id=contact_id, body=JOINED.format(agent=name), client_id=f"joined:{agent_id}")
    item = {"contact": str(contact_id), "agent": str(agent_id)}
    publish(services.redis, {"type": "chat.agent_joined", **item, "agent_name": name})
    publish(services.redis, {"type": "chat.message", **item, "message": view})


def transferred(services: Services, *, contact_id: int, agent_id: int) -> None:
    """The agent handed the chat on (agents/service.transfer): the customer waits again, and is told so."""
    with services.db.session() as session:
        # Each transfer is said (a transfer is not retried).
        view = _say(session, contact_id=contact_id, body=TRANSFERRED, client_id=f"transferred:{uuid.uuid4().hex}")
    item = {"contact": str(contact_id), "agent": str(agent_id)}
    publish(services.redis, {"type": "chat.transferred", **item})
    publish(services.redis, {"type": "chat.message", **item, "message": view})


def customer_gone(services: Services, *, contact_id: int) -> None:
    """The customer's page went quiet past the grace: a waiting chat is abandoned; a live one stays
    with its agent (who sees the customer stop answering and ends it)."""
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        waiting = contact is not None and contact.channel == "chat" and contact.status == ContactStatus.QUEUED
    if waiting:
        _end(services, contact_id=contact_id, reason="customer_gone")


def customer_leaves(services: Services, *, contact_id: int) -> None:
    """The customer closed the chat: abandoned if still waiting, else ended (the agent goes to wrap-up)."""
    _end(services, contact_id=contact_id, reason="customer_left")


def agent_ends(services: Services, *, contact_id: int) -> None:
    """The agent closed the chat (agents/service.end checked it is theirs)."""
    _end(services, contact_id=contact_id, reason="agent_ended")


def time_out(services: Services, *, contact_id: int) -> None:
    """Routing took a chat out of its queue at the maximum wait: the customer is asked to leave a message."""
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.channel != "chat":
            return
    _end(services, contact_id=contact_id, reason="max_wait")


def _end(services: Services, *, contact_id: int, reason: str) -> None:
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.channel != "chat":
            raise ChatError("There is no such chat.", 404)
        if contact.status not in LIVE:
            return  # ended already: leaving twice is leaving once
    finish_contact(services, contact_id=contact_id, reason=reason)
    _close(services, contact_id=contact_id, reason=reason, note=ENDINGS[reason])


def _close(services: Services, *, contact_id: int, reason: str, note: str | None) -> None:
    """Mark the chat ended, say why in the chat, file its transcript on the ticket, tell both sides."""
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        chat = session.scalars(select(ChatSession).where(ChatSession.contact_id == contact_id)).one()
        chat.ended_at = utcnow()
        view = _say(session, contact_id=contact_id, body=note, client_id=f"end:{reason}") if note else None
        _audit(session, contact_id, "chat_ended", reason=reason)
        transcript.file_on_ticket(session, contact=contact, chat=chat, timezone=services.settings.timezone)
        agent = _id(contact.agent_id)
    item = {"contact": str(contact_id), "agent": agent}
    if view:
        publish(services.redis, {"type": "chat.message", **item, "message": view})
    if reason == "customer_left":
        publish(services.redis, {"type": "chat.left", **item})
    publish(services.redis, {"type": "chat.ended", **item, "reason": reason})
    presence.forget(services.redis, contact_id=contact_id)


def _audit(session: Session, contact_id: int, kind: str, **data: object) -> None:
    record_event(session, actor=ACTOR, subject_type="contact", subject_id=contact_id, kind=kind, **data)


def _id(value: int | None) -> str | None:
    return str(value) if value is not None else None
