"""Writing up a contact: the agent's form filed on the contact and its ticket, then the end of wrap-up.

A refused write-up changes nothing: every check (the form, the contact being the agent's, routing saying
the agent is still wrapping it up) comes before anything is written, and the SQL is one transaction. It
is committed before routing ends the wrap-up: a crash between the two leaves the write-up filed and the
agent in wrap-up until its time runs out, rather than the agent free and the write-up lost. What the
agent types is kept as a draft meanwhile (agents/wrap_up_drafts.py), filed by itself if time runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from agents.models import WrapUpDraft
from agents.service import AgentActionError, check_reason, routing_refusals
from contactcenter.audit.service import record_event
from contactcenter.callbacks import service as callbacks
from contactcenter.callbacks.models import CallbackKind
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.tickets.clocks import Clockwork, clockwork
from contactcenter.tickets.lifecycle import WRAP_UP_STATES
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.search import reindex
from contactcenter.tickets.service import add_note, categorize, move_to
from contactcenter.users.auth import CurrentUser
from contactcenter.users.models import User
from queues.engine import MESSAGES

MAX_NOTE_LENGTH = 10_000


@dataclass(frozen=True)
class FollowUp:
    """A callback the agent promised, or a return visit (回访), at a time."""

    kind: str
    at: datetime
    note: str = ""


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

    def is_empty(self) -> bool:
        """Nothing written or chosen: nothing to file."""
        chosen = (self.disposition, self.category, self.ticket_status, self.follow_up)
        return not self.note.strip() and all(value is None for value in chosen)


def check_form(services: Services, form: WrapUp) -> None:
    """Refuse (400) a form with a value not in its list, or too long; the follow-up's time is checked when filed."""
    settings = services.settings
    if len(form.note.strip()) > MAX_NOTE_LENGTH:
        raise AgentActionError(f"The note is longer than {MAX_NOTE_LENGTH} characters.", 400)
    if form.next_state not in ("available", "not_ready"):
        raise AgentActionError("After wrap-up go 'available' or 'not_ready'.", 400)
    if form.next_state == "not_ready":
        check_reason(services, form.reason)
    for value, allowed, what in (
        (form.disposition, settings.disposition_codes, "disposition"),
        (form.category, settings.ticket_categories, "category"),
        (form.ticket_status, tuple(WRAP_UP_STATES), "ticket_status"),
    ):
        if value is not None and value not in allowed:
            raise AgentActionError(f"{what} must be one of {', '.join(allowed)}.", 400)
    if form.follow_up is not None:
        if form.follow_up.kind not in tuple(CallbackKind):
            raise AgentActionError(f"Follow-up: kind must be one of {', '.join(CallbackKind)}.", 400)
        if len(form.follow_up.note.strip()) > callbacks.MAX_NOTE_LENGTH:
            raise AgentActionError(f"Follow-up: the note is longer than {callbacks.MAX_NOTE_LENGTH} characters.", 400)


def wrapping_up(services: Services, *, agent_id: int, contact_id: int, chat: bool) -> bool:
    """Routing's word: the agent is wrapping up this contact now (a call's wrap-up, or this chat's)."""
    if chat:
        record = services.routing.contact(str(contact_id))
        return record.get("agent") == str(agent_id) and bool(record.get("wrapup_until"))
    agent = services.routing.agent(str(agent_id))
    return agent.get("state") == "wrap_up" and agent.get("contact") == str(contact_id)


def contact_to_write_up(services: Services, session: Session, *, agent: CurrentUser, contact_id: int) -> Contact:
    """The contact, if it is the agent's to write up now: 403 if it is not theirs, 409 if its wrap-up is over."""
    contact = session.get(Contact, contact_id)
    # Yours: you have it, or you handed it on and are writing it up (the transfer took it from you).
    in_wrap_up = contact is not None and wrapping_up(
        services, agent_id=agent.id, contact_id=contact_id, chat=contact.channel == "chat"
    )
    if contact is None or (contact.agent_id != agent.id and not in_wrap_up):
        raise AgentActionError("This contact is not yours.", 403)
    if not in_wrap_up:
        raise AgentActionError(MESSAGES["not_in_wrap_up"], code="not_in_wrap_up")
    return contact


def locked_draft(session: Session, *, contact_id: int, agent_id: int) -> WrapUpDraft | None:
    """The agent's draft of the contact, locked until the transaction ends (PostgreSQL; SQLite has one writer)."""
    return session.get(WrapUpDraft, (contact_id, agent_id), with_for_update=True)


def write_up(session: Session, work: Clockwork, *, contact: Contact, form: WrapUp, author_id: int, actor: str) -> None:
    """Put the form on the contact and its ticket: disposition, category, status, note (not the follow-up)."""
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
    ticket = session.get(Ticket, contact.ticket_id) if contact.ticket_id else None
    if ticket is None:
        return
    if form.category:
        categorize(session, work, ticket=ticket, category=form.category, actor=actor)
    if form.ticket_status:
        move_to(session, work, ticket=ticket, to=form.ticket_status, actor=actor, why="wrap_up")
    if form.note.strip():
        author = session.get_one(User, author_id)
        add_note(session, work, ticket=ticket, body=form.note.strip(), author=author, contact_id=contact.id)
        reindex(session, ticket_id=ticket.id)  # the desk's search finds the note


def schedule_follow_up(services: Services, session: Session, *, contact: Contact, form: WrapUp, agent_id: int) -> None:
    """The form's callback or return visit, if any, in the write-up's transaction (its release job goes
    through the outbox). Raises ValueError (before writing anything) for a time in the past or too far
    ahead."""
    if form.follow_up is None:
        return
    callbacks.schedule(
        services,
        session,
        contact=contact,
        kind=form.follow_up.kind,
        at=form.follow_up.at,
        note=form.follow_up.note.strip(),
        agent_id=agent_id,
    )


def wrap_up(services: Services, *, agent: CurrentUser, contact_id: int, form: WrapUp) -> str:
    """Save the write-up (disposition, ticket category and status, note, follow-up) and leave wrap-up;
    returns the agent's state."""
    check_form(services, form)
    with services.db.session() as session:
        # The draft is locked before routing is asked: whoever ended the wrap-up first files, once (a
        # reaper that ended it files the draft; one that ends it after this check finds the draft gone).
        draft = locked_draft(session, contact_id=contact_id, agent_id=agent.id)
        contact = contact_to_write_up(services, session, agent=agent, contact_id=contact_id)
        chat = contact.channel == "chat"  # a chat's wrap-up frees its slot; a call's ends the agent's
        if draft is not None:
            session.delete(draft)
        write_up(session, clockwork(services), contact=contact, form=form, author_id=agent.id, actor=f"user:{agent.id}")
        try:
            schedule_follow_up(services, session, contact=contact, form=form, agent_id=agent.id)
        except ValueError as exc:
            raise AgentActionError(f"Follow-up: {exc}.", 400) from exc
    try:
        with routing_refusals():
            return services.routing.end_wrap_up(
                agent_id=str(agent.id),
                state=form.next_state,
                reason="" if form.next_state == "available" else form.reason,
                contact_id=str(contact_id) if chat else None,
                voice_contact_id=None if chat else str(contact_id),
            )
    except AgentActionError:
        # Its time ran out as this was being saved: the write-up is filed all the same, and the reaper,
        # which found no draft left, filed nothing.
        return services.routing.agent(str(agent.id)).get("state", "")
