"""A chat's transcript, filed on its ticket as a note when the chat ends (GET /api/tickets/{id} shows it)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.chats.models import ChatMessage, ChatSession, Sender
from contactcenter.contacts.models import Contact
from contactcenter.tickets.models import Ticket, TicketNote
from contactcenter.tickets.search import reindex
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User

HEADING = "聊天记录 Chat transcript"
SYSTEM = "系统 System"


def iso(value: datetime | None) -> str | None:
    """A stored time as ISO 8601 UTC (SQLite hands times back without their zone)."""
    value = as_utc(value)
    return value.isoformat() if value else None


def render(session: Session, *, contact: Contact, chat: ChatSession, timezone: str) -> str:
    """Every message of the chat, one line each, timed in the hotline's time zone."""
    zone = ZoneInfo(timezone)
    messages = session.scalars(
        select(ChatMessage).where(ChatMessage.contact_id == contact.id).order_by(ChatMessage.id)
    ).all()
    author_ids = {m.author_id for m in messages if m.author_id is not None}
    names = {u.id: u.display_name for u in session.scalars(select(User).where(User.id.in_(author_ids)))}
    lines = [f"{HEADING} ({chat.name}, {chat.topic}, {chat.language})"]
    for message in messages:
        at = as_utc(message.created_at) or utcnow()
        if message.sender == Sender.CUSTOMER:
            who = f"客户 {chat.name}"
        elif message.sender == Sender.AGENT:
            who = f"客服 {names.get(message.author_id or 0, '')}".rstrip()
        else:
            who = SYSTEM
        lines.append(f"[{at.astimezone(zone):%Y-%m-%d %H:%M:%S}] {who}: {message.body}")
    return "\n".join(lines)


def file_on_ticket(session: Session, *, contact: Contact, chat: ChatSession, timezone: str) -> None:
    """Add the transcript to the chat's ticket as a note (written by the chat's agent, if it had one)."""
    if contact.ticket_id is None:
        return
    ticket = session.get_one(Ticket, contact.ticket_id)
    note = TicketNote(
        ticket_id=ticket.id,
        contact_id=contact.id,
        author_id=contact.agent_id,
        kind="transcript",
        body=render(session, contact=contact, chat=chat, timezone=timezone),
    )
    session.add(note)
    ticket.updated_at = utcnow()
    session.flush()
    record_event(
        session,
        actor="webchat",
        subject_type="ticket",
        subject_id=ticket.id,
        kind="transcript_added",
        note_id=note.id,
        contact_id=contact.id,
    )
    reindex(session, ticket_id=ticket.id)  # the desk's search finds what was said
