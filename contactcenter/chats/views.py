"""What the chat looks like to each side: messages as JSON, a reconnecting page's catch-up, the console's view."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.chats.forms import ChatError
from contactcenter.chats.models import ChatMessage, ChatSession
from contactcenter.chats.transcript import iso
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.users.models import User


def message_view(session: Session, message: ChatMessage, names: dict[int, str] | None = None) -> dict[str, Any]:
    """A message as both sides receive it (the body as typed: the pages render it as text)."""
    author = None
    if message.author_id is not None:
        author = (names or {}).get(message.author_id) or session.get_one(User, message.author_id).display_name
    created = iso(message.created_at)
    return {
        "id": message.id,
        "sender": message.sender,
        "author": author,
        "body": message.body,
        "client_id": message.client_id,
        "created_at": created,
    }


def messages_after(session: Session, *, contact_id: int, after: int) -> list[dict[str, Any]]:
    """The chat's messages with an id above `after`, oldest first (catching up after a reconnect)."""
    rows = session.scalars(
        select(ChatMessage).where(ChatMessage.contact_id == contact_id, ChatMessage.id > after).order_by(ChatMessage.id)
    ).all()
    author_ids = {m.author_id for m in rows if m.author_id is not None}
    names = {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_(author_ids)))}
    return [message_view(session, m, names) for m in rows]


def chat_state(services: Services, *, contact_id: int, after: int) -> dict[str, Any]:
    """What a (re)connecting customer page needs: the messages it missed, the chat's state, the agent's name."""
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        agent = session.get(User, contact.agent_id) if contact.agent_id else None
        phone = session.scalar(select(ChatSession.phone).where(ChatSession.contact_id == contact_id))
        return {
            "state": _public_state(contact),
            "agent_name": agent.display_name if agent else None,
            # Whether the page offers the SMS code: a number was given and is not proved yet (verification.py).
            "verified": contact.identity_verified,
            "can_verify": bool(phone) and not contact.identity_verified,
            "messages": messages_after(session, contact_id=contact_id, after=after),
        }


def agent_view(services: Services, *, contact_id: int, agent_id: int, supervisor: bool, after: int) -> dict[str, Any]:
    """The chat as the console shows it: the customer's form and the messages after `after`.

    Agents see chats they serve (or served) and those offered to them; supervisors see every chat."""
    holder = services.routing.contact(str(contact_id)).get("agent")
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        chat = session.scalar(select(ChatSession).where(ChatSession.contact_id == contact_id))
        if contact is None or chat is None:
            raise ChatError("There is no such chat.", 404)
        if not supervisor and agent_id not in (contact.agent_id, int(holder) if holder else None):
            raise ChatError("This chat is not yours.", 403)
        return {
            "contact": str(contact_id),
            "state": _public_state(contact),
            "customer": {
                "name": chat.name,
                "phone": chat.phone,  # masked for agents as it is sent (contactcenter/responses.py)
                "topic": chat.topic,
                "language": chat.language,
                # The number is the customer's claim until proved (verification.py).
                "verified": contact.identity_verified,
            },
            "ticket_id": contact.ticket_id,
            "messages": messages_after(session, contact_id=contact_id, after=after),
        }


def _public_state(contact: Contact) -> str:
    if contact.status == ContactStatus.QUEUED:
        return "queued"
    return "connected" if contact.status == ContactStatus.CONNECTED else "ended"
