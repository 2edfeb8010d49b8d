"""Two teams' worth of records for the access tests (tests/test_access*.py): team 1 is the demo's (queue
`general`, agent1, the supervisor), team 2 is added here (queue `vip`, agent3, lead2); the admin is the demo's.

Each team has a handled call with its ticket, a chat, a voicemail and a callback; only team 1's call was
recorded, so QA staff reach team 1's ticket and contact and not team 2's (docs/access.md)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.attachments.models import TicketAttachment
from contactcenter.callbacks.models import Callback
from contactcenter.chats.models import ChatSession
from contactcenter.contacts.models import Contact
from contactcenter.customers.models import Customer
from contactcenter.db import Database
from contactcenter.tickets.models import Ticket
from contactcenter.users.models import Role, User
from contactcenter.voicemails.models import Voicemail
from queues.models import Queue
from queues.service import create_queue
from recordings.models import Recording, RecordingStatus
from tests.conftest import System
from tests.serving import LoopSharingClient

TEAM2 = "二组 Team 2"
# persona → username (None: not logged in)
PERSONAS = {
    "anonymous": None,
    "agent": "agent1",
    "other_agent": "agent3",
    "qa": "qa",
    "lead": "supervisor",
    "other_lead": "lead2",
    "manager": "manager",
    "admin": "admin",
}


@dataclass(frozen=True)
class Side:
    """One team's records: ids by kind (contact, chat, ticket, recording, voicemail, callback, agent), queue."""

    queue: str
    agent: int
    contact: int
    chat: int
    ticket: int
    voicemail: int
    callback: int
    recording: int
    customer: int = 0
    attachment: int = 0  # on the ticket; its file was never written (the handler's 503, past the policy)


def _side(session: Session, *, queue: str, agent: User, number: str, recorded: bool) -> Side:
    """`recorded`: the call (and so its ticket) was recorded; else only the chat was (QA reaches neither)."""
    tag = uuid.uuid4().hex[:10]
    ticket = Ticket(subject=f"Call from {number}", number=f"T{tag[:8]}")
    session.add(ticket)
    session.flush()
    contact = Contact(
        provider_id=f"CA{tag}",
        from_number=number,
        to_number="+862180000000",
        status="ended",
        queue=queue,
        agent_id=agent.id,
        ticket_id=ticket.id,
    )
    chat = Contact(
        channel="chat", provider_id=f"chat-{tag}", from_number=number, to_number="chat", status="connected", queue=queue
    )
    chat.agent_id = agent.id
    session.add_all([contact, chat])
    session.flush()
    session.add(
        ChatSession(
            contact_id=chat.id,
            token_hash=hashlib.sha256(tag.encode()).hexdigest(),
            name="Ms Test",
            topic="consultation",
        )
    )
    voicemail = Voicemail(contact_id=contact.id, queue=queue, phone=number, status="new", ticket_id=ticket.id)
    callback = Callback(contact_id=contact.id, phone=number, queue=queue, status="waiting", ticket_id=ticket.id)
    session.add_all([voicemail, callback])
    recording = Recording(
        provider_sid=f"RE{tag}",
        call_sid=contact.provider_id if recorded else chat.provider_id,
        contact_id=contact.id if recorded else chat.id,
        ticket_id=ticket.id if recorded else None,
        status=RecordingStatus.STORED,
        path=None,
    )
    session.add(recording)
    session.flush()
    customer, attachment = _customer_and_attachment(session, ticket=ticket, contact=contact, number=number)
    return Side(
        queue,
        agent.id,
        contact.id,
        chat.id,
        ticket.id,
        voicemail.id,
        callback.id,
        recording.id,
        customer,
        attachment,
    )


def _customer_and_attachment(session: Session, *, ticket: Ticket, contact: Contact, number: str) -> tuple[int, int]:
    """The caller as a customer (of the call and its ticket), and an attachment of the ticket."""
    customer = Customer(phone=number, grade="normal")
    session.add(customer)
    session.flush()
    ticket.customer_id = contact.customer_id = customer.id
    attachment = TicketAttachment(
        ticket_id=ticket.id,
        file_name="photo.png",
        content_type="image/png",
        size_bytes=1,
        sha256="0" * 64,
        path="/nonexistent/attachment.enc",
        key_id="0" * 16,
        wrapped_key="",
    )
    session.add(attachment)
    session.flush()
    return customer.id, attachment.id


def build_world(system: System) -> tuple[Side, Side]:
    """Team 2 added to the demo's users (the admin is the demo's); each team's records (team 1's, team 2's)."""
    database = Database(system.database_url)
    try:
        with database.session() as session:
            create_queue(session, name="vip", display_name="贵宾 VIP", actor="test")
            session.flush()
            users = {u.username: u for u in session.scalars(select(User))}
            queues = {q.name: q for q in session.scalars(select(Queue))}
            for username, role, queue, team in (
                ("agent3", Role.AGENT, "vip", TEAM2),
                ("lead2", Role.SUPERVISOR, "vip", TEAM2),
                ("lead0", Role.SUPERVISOR, "general", None),  # a team lead without a team leads nobody
            ):
                # agent1's hash: the same demo password, without hashing it again (~0.1-0.8 s each).
                session.add(
                    User(
                        username=username,
                        display_name=username,
                        password_hash=users["agent1"].password_hash,
                        role=role,
                        skills={},
                        team=team,
                        queues=[queues[queue]] if queue else [],
                    )
                )
            session.flush()
            users = {u.username: u for u in session.scalars(select(User))}
            one = _side(session, queue="general", agent=users["agent1"], number="+8613700000001", recorded=True)
            two = _side(session, queue="vip", agent=users["agent3"], number="+8613700000002", recorded=False)
        return one, two
    finally:
        database.dispose()


def anonymous_client(system: System) -> httpx.Client:
    """A client of the in-process app that nobody logged in with."""
    return LoopSharingClient(system.client)  # type: ignore[attr-defined, return-value]


def clients(system: System) -> dict[str, httpx.Client]:
    """One client per persona, logged in once (the anonymous one is not)."""
    return {
        persona: system.login(username) if username else anonymous_client(system)
        for persona, username in PERSONAS.items()
    }
