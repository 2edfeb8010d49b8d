"""The wrap-up form as the agent types it, kept in SQL: a reload or a restart shows it again, and when the
wrap-up ends without the agent filing it (its time ran out, or the agent left wrap-up another way) it is
filed for them, as they would have (agents/wrap_up.py), with an event saying so. No draft: nothing filed.

Filing takes the draft (deletes it) in the same transaction as the write-up, with the row locked, so it
happens once however many processes try: the reaper that ended the wrap-up (routing's script reports it
to that caller only), the sweep, the agent's own submit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agents.forms import wrap_up_form
from agents.models import WrapUpDraft
from agents.service import AgentActionError
from agents.wrap_up import (
    WrapUp,
    check_form,
    contact_to_write_up,
    locked_draft,
    schedule_follow_up,
    wrapping_up,
    write_up,
)
from contactcenter.audit.service import record_event
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.errors import NotFound
from contactcenter.tickets.clocks import clockwork
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.auth import CurrentUser

TIME_RAN_OUT = "wrap_up_time_ran_out"  # the reaper ended the wrap-up
WRAP_UP_ENDED = "wrap_up_ended"  # it ended otherwise (the agent or a supervisor changed the state, a crash)
LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what the form's date and time field shows


def _stored(form: WrapUp) -> dict[str, Any]:
    """The draft as stored: the form's fields, the follow-up's time with its offset."""
    follow_up = form.follow_up
    return {
        "note": form.note,
        "disposition": form.disposition,
        "category": form.category,
        "ticket_status": form.ticket_status,
        "follow_up": follow_up and {"kind": follow_up.kind, "at": follow_up.at.isoformat(), "note": follow_up.note},
    }


def save_draft(services: Services, *, agent: CurrentUser, contact_id: int, form: WrapUp) -> None:
    """Keep what the agent has typed so far (checked as the wrap-up is); only while they are wrapping it up."""
    check_form(services, form)
    with services.db.session() as session:
        draft = locked_draft(session, contact_id=contact_id, agent_id=agent.id)
        contact_to_write_up(services, session, agent=agent, contact_id=contact_id)
        if draft is None:
            session.add(WrapUpDraft(contact_id=contact_id, agent_id=agent.id, form=_stored(form), updated_at=utcnow()))
        else:
            draft.form, draft.updated_at = _stored(form), utcnow()
        try:
            session.flush()
        except IntegrityError as exc:  # another window saved the first draft at the same moment (PostgreSQL)
            raise AgentActionError("The draft was saved from elsewhere at the same moment; type on.") from exc


def draft_of(services: Services, *, agent: CurrentUser, contact_id: int) -> dict[str, Any]:
    """The agent's draft of the contact, the follow-up's time as the form shows it (the hotline's local time)."""
    with services.db.reading() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise NotFound("No such contact.")
        draft = session.get(WrapUpDraft, (contact_id, agent.id))
        chat = contact.channel == "chat"
        handed_on = wrapping_up(services, agent_id=agent.id, contact_id=contact_id, chat=chat)
        if draft is None and contact.agent_id != agent.id and not handed_on:
            raise AgentActionError("This contact is not yours.", 403)
        if draft is None:
            return {"draft": None, "updated_at": None}
        form = dict(draft.form)
        if form.get("follow_up"):
            at = datetime.fromisoformat(form["follow_up"]["at"]).astimezone(ZoneInfo(services.settings.timezone))
            form["follow_up"] = {**form["follow_up"], "at": at.strftime(LOCAL_MINUTE)}
        updated = as_utc(draft.updated_at)
        return {"draft": form, "updated_at": updated.isoformat() if updated else None}


def file_draft(services: Services, *, contact_id: int, agent_id: int, why: str) -> bool:
    """File the agent's draft of the contact as if they had submitted it, once; False when there was none
    (or it was empty). A follow-up whose time has passed meanwhile is left out, and the event says so."""
    with services.db.session() as session:
        draft = locked_draft(session, contact_id=contact_id, agent_id=agent_id)
        contact = session.get(Contact, contact_id)
        if draft is None or contact is None:
            return False
        session.delete(draft)
        form = wrap_up_form(dict(draft.form), timezone=services.settings.timezone)
        if form.is_empty():
            return False
        write_up(session, clockwork(services), contact=contact, form=form, author_id=agent_id, actor="system")
        subject_type, subject_id = ("ticket", contact.ticket_id) if contact.ticket_id else ("contact", contact.id)

        def event(kind: str, **data: object) -> None:
            record_event(
                session,
                actor="system",
                subject_type=subject_type,
                subject_id=subject_id,
                kind=kind,
                contact_id=contact.id,
                agent_id=agent_id,
                **data,
            )

        event("wrap_up_filed_automatically", why=why)
        try:
            schedule_follow_up(services, session, contact=contact, form=form, agent_id=agent_id)
        except ValueError as exc:
            event("follow_up_not_scheduled", reason=str(exc))
    return True


def file_left_drafts(services: Services) -> int:
    """File the drafts whose wrap-up is over but which nobody filed: the agent left wrap-up another way (went
    not ready, a supervisor changed their state), or the process that ended it stopped before filing.
    Returns how many were filed."""
    with services.db.reading() as session:
        drafts = session.execute(
            select(WrapUpDraft.agent_id, WrapUpDraft.contact_id, Contact.channel).join(Contact)
        ).all()
    filed = 0
    for agent_id, contact_id, channel in drafts:
        if not wrapping_up(services, agent_id=agent_id, contact_id=contact_id, chat=channel == "chat"):
            filed += file_draft(services, contact_id=contact_id, agent_id=agent_id, why=WRAP_UP_ENDED)
    return filed
