"""Out of hours the chat page takes a message instead: it becomes a ticket someone answers later."""

from __future__ import annotations

from typing import Any

from contactcenter.audit.service import record_event, record_rows
from contactcenter.chats.forms import TOPICS, ChatError, PreChatForm, message_body
from contactcenter.context import Services
from contactcenter.customers.service import customer_id_for_phone
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.models import Ticket, TicketNote
from contactcenter.tickets.search import reindex
from contactcenter.tickets.service import categorize, open_ticket

ACTOR = "webchat"


def leave_message(services: Services, *, form: PreChatForm, message: object) -> str:
    """Open a ticket holding the customer's message (with their number to answer on); returns its number."""
    body = message_body(message)
    if form.phone is None:
        raise ChatError("Please give a phone number so we can get back to you.")
    with services.db.session() as session:
        audit: list[dict[str, Any]] = []
        customer_id = customer_id_for_phone(session, phone=form.phone, actor=ACTOR, audit=audit)
        ticket_id, number = open_ticket(
            session, subject=f"Chat message from {form.name}", customer_id=customer_id, actor=ACTOR, audit=audit
        )
        record_rows(session, audit)
        ticket = session.get_one(Ticket, ticket_id)
        topic = TOPICS[form.topic]
        categorize(session, clockwork(services), ticket=ticket, category=topic.category, actor=ACTOR, queue=topic.queue)
        note = TicketNote(
            ticket_id=ticket_id,
            kind="message",
            body=f"网页留言 Web chat message — {form.name}, {form.phone}, {form.choice}, {form.language}:\n{body}",
        )
        session.add(note)
        session.flush()
        record_event(
            session, actor=ACTOR, subject_type="ticket", subject_id=ticket_id, kind="message_left", note_id=note.id
        )
        reindex(session, ticket_id=ticket_id)
    return number
