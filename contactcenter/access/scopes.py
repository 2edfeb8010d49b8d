"""Which objects a logged-in user may reach (docs/access.md): their `Reach`, and whether one object
(a ticket, contact, recording, voicemail, callback, attachment, customer, queue or agent) is inside it.

Read with Core queries on the reader, in the thread-pool hop that loads the user (policy.py): no ORM
objects, no write lock. A missing object is "inside": the handler answers its own 404 for it, so an
outsider learns no more from a missing id than from one outside their scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, exists, or_, select
from sqlalchemy.orm import aliased

from contactcenter.attachments.models import TicketAttachment
from contactcenter.callbacks.models import Callback
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.customers.models import Customer
from contactcenter.qa.models import Evaluation
from contactcenter.qa.sampling_models import SampleItem
from contactcenter.tickets.models import Ticket
from contactcenter.users.auth import CurrentUser
from contactcenter.users.models import Role, User
from contactcenter.users.teams import AGENT_LIKE_ROLES, sees_everyone
from contactcenter.voicemails.models import Voicemail
from queues.models import Queue, queue_members
from recordings.models import Recording

# The kinds of object a scope names; PERSONAL ones outside the scope are answered 404 (their existence is
# not revealed), the others (a queue, an agent: known to every colleague) 403.
PERSONAL = frozenset({"ticket", "contact", "recording", "voicemail", "callback", "attachment", "customer"})
MERGES_FOLLOWED = 8  # an attachment of a ticket merged into one in scope is in scope: this many merges up
KINDS = PERSONAL | {"queue", "agent", "queue_seen"}


@dataclass(frozen=True)
class Reach:
    """What one user may reach. `everything`: managers and admins. `queues`: whose contacts, tickets,
    voicemails and callbacks they see; `led_queues`: whose settings and callers they manage (a team lead's
    team's); `agents`: whose work they see (themselves; a team lead their team); `recorded`: QA staff, who
    see the recorded calls of the queues they review (`reviewed_queues`, their own queues) and every contact
    sampled for them or that they evaluate (`reviewed_contacts`)."""

    user: CurrentUser
    everything: bool
    queues: frozenset[str]
    led_queues: frozenset[str]
    agents: frozenset[int]
    recorded: bool = False
    dispatches: bool = False  # a team lead: hands out tickets nobody has yet
    reviewed_queues: frozenset[str] = frozenset()

    def reviewed_contacts(self) -> ColumnElement[bool]:
        """QA staff's contacts: a recorded call of a queue they review, or one sampled for them or evaluated by
        them (a chat too)."""
        me, kept = self.user.id, aliased(Recording)  # aliased: a list of recordings correlates only the contact
        recorded = exists().where(kept.contact_id == Contact.id)
        return or_(
            Contact.queue.in_(list(self.reviewed_queues)) & recorded,
            Contact.id.in_(select(SampleItem.contact_id).where(SampleItem.evaluator_id == me)),
            Contact.id.in_(select(Evaluation.contact_id).where(Evaluation.evaluator_id == me)),
        )

    def sees_queue(self, name: str) -> bool:
        return self.everything or name in self.queues

    def leads_queue(self, name: str) -> bool:
        return self.everything or name in self.led_queues


def _team(connection: Connection, team: str) -> tuple[frozenset[int], frozenset[str]]:
    """The active agent-like members of `team`, and the queues they serve."""
    rows = connection.execute(
        select(User.id, Queue.name)
        .outerjoin(queue_members, queue_members.c.user_id == User.id)
        .outerjoin(Queue, Queue.id == queue_members.c.queue_id)
        .where(User.team == team, User.active.is_(True), User.role.in_(list(AGENT_LIKE_ROLES)))
    ).all()
    return frozenset(r.id for r in rows), frozenset(r.name for r in rows if r.name is not None)


def reach_of(services: Services, user: CurrentUser, connection: Connection | None = None) -> Reach:
    """The user's reach (one query for a team lead, none for anyone else; on `connection` if given)."""
    own = frozenset(user.queues)
    if sees_everyone(user.role):
        return Reach(user, True, own, own, frozenset({user.id}))
    if user.role == Role.QA:
        return Reach(user, False, frozenset(), frozenset(), frozenset(), recorded=True, reviewed_queues=own)
    if user.role == Role.SUPERVISOR and user.team is not None:
        if connection is None:
            with services.db.reader.connect() as own_connection:
                agents, queues = _team(own_connection, user.team)
        else:
            agents, queues = _team(connection, user.team)
        return Reach(user, False, own | queues, queues, agents | {user.id}, dispatches=True)
    # Agents, and team leads without a team (they lead nobody, and still take contacts of their queues).
    return Reach(user, False, own, frozenset(), frozenset({user.id}))


def _contact_inside(connection: Connection, reach: Reach, condition: object) -> bool:
    """Whether a contact matching `condition` is of the reach's queues or agents (QA staff: theirs to review)."""
    query = select(Contact.id).where(condition)  # type: ignore[arg-type]
    if reach.recorded:
        query = query.where(reach.reviewed_contacts())
    else:
        query = query.where(or_(Contact.queue.in_(list(reach.queues)), Contact.agent_id.in_(list(reach.agents))))
    return connection.execute(query.limit(1)).first() is not None


def outside(services: Services, connection: Connection, reach: Reach, kind: str, key: str) -> str | None:
    """Why the object `kind` `key` (an id, or a queue's name) is out of the reach, or None: it is in, or
    does not exist (the handler says so)."""
    if reach.everything:
        return None
    if kind in ("queue", "queue_seen"):
        inside = reach.leads_queue(key) if kind == "queue" else reach.sees_queue(key)
        if inside or not _exists(connection, Queue.name, key):
            return None
        return f"Queue {key} is not one your team serves." if kind == "queue" else f"You do not serve queue {key}."
    if kind == "agent":
        return None if reach.recorded else _outside_team(connection, reach, int(key))
    return (
        None if _inside(services, connection, reach, kind, int(key)) else f"There is no {kind} {key} that you may see."
    )


def _outside_team(connection: Connection, reach: Reach, agent_id: int) -> str | None:
    """Why a team lead may not see or manage this agent (the words of users/teams.py), or None."""
    agent = connection.execute(select(User.username, User.team).where(User.id == agent_id)).first()
    if agent is None or agent_id in reach.agents:
        return None
    if reach.user.team is None:
        return "You lead no team, so you may not manage agents; ask an admin to set your team."
    return (
        f"Agent {agent.username} is in team {agent.team or '(none)'}, not in yours ({reach.user.team}); "
        "supervisors manage their own team only."
    )


def _inside(services: Services, connection: Connection, reach: Reach, kind: str, ident: int) -> bool:
    """Whether the personal record (PERSONAL) is in the reach, or does not exist."""
    if kind == "contact":
        if not _exists(connection, Contact.id, ident) or _contact_inside(connection, reach, Contact.id == ident):
            return True
        # Offered to them now (a transfer from a queue they do not serve): routing knows, SQL not yet.
        return not reach.recorded and services.routing.contact(str(ident)).get("agent") == str(reach.user.id)
    if kind == "ticket":
        row = connection.execute(select(Ticket.assignee_id, Ticket.queue).where(Ticket.id == ident)).first()
        if row is None or (not reach.recorded and (row.assignee_id in reach.agents or row.queue in reach.queues)):
            return True
        if reach.recorded:
            return _exists(connection, Recording.ticket_id, ident) or _contact_inside(
                connection, reach, Contact.ticket_id == ident
            )
        if _contact_inside(connection, reach, Contact.ticket_id == ident):
            return True
        # A ticket of no call or chat and nobody's yet (a message left on the chat page): team leads hand it out.
        return reach.dispatches and row.assignee_id is None and not _exists(connection, Contact.ticket_id, ident)
    if kind == "recording":
        found = connection.execute(select(Recording.contact_id).where(Recording.id == ident)).first()
        if found is None:
            return True
        return found.contact_id is not None and _contact_inside(connection, reach, Contact.id == found.contact_id)
    if kind in ("voicemail", "callback"):
        table = Voicemail if kind == "voicemail" else Callback
        holder = Voicemail.taken_by if kind == "voicemail" else Callback.agent_id
        item = connection.execute(select(table.queue, holder.label("holder")).where(table.id == ident)).first()
        return item is None or (not reach.recorded and (item.queue in reach.queues or item.holder in reach.agents))
    if kind == "attachment":
        return _attachment_inside(services, connection, reach, ident)
    if kind == "customer":
        return _customer_inside(connection, reach, ident)
    raise ValueError(f"unknown scope kind {kind!r}")


def _attachment_inside(services: Services, connection: Connection, reach: Reach, ident: int) -> bool:
    """An attachment is inside when its ticket is, or a ticket that ticket was merged into (whose page
    lists it)."""
    found = connection.execute(select(TicketAttachment.ticket_id).where(TicketAttachment.id == ident)).first()
    if found is None:
        return True
    ticket_id: int | None = found.ticket_id
    for _ in range(MERGES_FOLLOWED):
        if ticket_id is None:
            return False
        if _inside(services, connection, reach, "ticket", ticket_id):
            return True
        ticket_id = connection.scalar(select(Ticket.merged_into_id).where(Ticket.id == ticket_id))
    return False


def _customer_inside(connection: Connection, reach: Reach, ident: int) -> bool:
    """A customer is inside when one of their tickets or contacts is (or they do not exist)."""
    if not _exists(connection, Customer.id, ident):
        return True
    theirs = select(Ticket.id).where(Ticket.customer_id == ident)
    if not reach.recorded:
        held = or_(Ticket.assignee_id.in_(list(reach.agents)), Ticket.queue.in_(list(reach.queues)))
        if connection.execute(theirs.where(held).limit(1)).first() is not None:
            return True
        # A ticket of no call or chat and nobody's yet: team leads hand it out (as in _inside).
        unrouted = theirs.where(Ticket.assignee_id.is_(None), ~exists().where(Contact.ticket_id == Ticket.id))
        if reach.dispatches and connection.execute(unrouted.limit(1)).first() is not None:
            return True
    return _contact_inside(connection, reach, or_(Contact.customer_id == ident, Contact.ticket_id.in_(theirs)))


def every_queue(services: Services) -> list[str]:
    """Every queue's name."""
    with services.db.reader.connect() as connection:
        return list(connection.scalars(select(Queue.name).order_by(Queue.name)))


def _exists(connection: Connection, column: object, value: object) -> bool:
    return connection.execute(select(column).where(column == value).limit(1)).first() is not None  # type: ignore[call-overload]
