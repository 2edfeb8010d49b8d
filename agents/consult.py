"""Warm transfers: the agent puts the caller on hold, brings in a colleague (a named agent, or whoever of
a queue accepts), talks to them, then completes (leaves; the colleague has the call) or cancels (the
colleague leaves; the caller is back with the agent). The caller stays in the same room throughout.

The colleague's offer and screen pop carry the transfer's context (who, the note); routing keeps the
transferring agent on the call (`consult_from`) until they complete or cancel (queues/lua/consult*.lua).
"""

from __future__ import annotations

import logging

from agents import conference
from agents.service import (
    AgentActionError,
    audit_action,
    check_assigned,
    held_while_routed,
    routing_refusals,
    transfer_context,
)
from contactcenter.audit.service import record_event
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.users.auth import CurrentUser

log = logging.getLogger(__name__)


def _caller_sid(services: Services, contact_id: int) -> str:
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.channel == "chat":
            raise AgentActionError("Only a call can be transferred warm (a chat goes cold).", 409)
        return contact.provider_id


def start(
    services: Services, *, agent: CurrentUser, contact_id: int, queue: str | None, to_agent: int | None, note: str
) -> str:
    """Hold the caller and offer the call to the target while the agent stays on; returns routing's state."""
    context = transfer_context(services, agent=agent, queue=queue, to_agent=to_agent, note=note, kind="warm")
    check_assigned(services, agent=agent, contact_id=contact_id)
    caller_sid = _caller_sid(services, contact_id)
    with held_while_routed(services, contact_id=contact_id, caller_sid=caller_sid):
        state = services.routing.consult(
            contact_id=str(contact_id),
            agent_id=str(agent.id),
            queue=queue,
            to_agent=str(to_agent) if to_agent is not None else None,
            context=context,
        )
    with services.db.session() as session:
        record_event(
            session,
            actor=f"user:{agent.id}",
            subject_type="contact",
            subject_id=contact_id,
            kind="consult_started",
            queue=queue,
            to_agent=to_agent,
            note=context["note"] or None,
        )
    return state


def end(services: Services, *, agent: CurrentUser, contact_id: int, outcome: str) -> str:
    """Complete (the agent leaves the call to the colleague) or cancel (the colleague leaves)."""
    before = services.routing.contact(str(contact_id))
    with routing_refusals():
        state = services.routing.consult_end(contact_id=str(contact_id), agent_id=str(agent.id), outcome=outcome)
    caller_sid = _caller_sid(services, contact_id)
    colleague = before.get("agent", "")
    if outcome == "complete":
        conference.drop_agent(services, contact_id=contact_id, agent_id=agent.id)
        if state == "assigned":  # the colleague is on: they talk to the caller now
            conference.resume_caller(services, contact_id=contact_id, caller_sid=caller_sid)
            with services.db.session() as session:
                contact = session.get_one(Contact, contact_id)
                contact.agent_id = int(colleague)
    else:
        if colleague and colleague != str(agent.id):
            conference.drop_agent(services, contact_id=contact_id, agent_id=int(colleague))
        with services.db.session() as session:
            session.get_one(Contact, contact_id).agent_id = agent.id  # theirs again, if the colleague had joined
        conference.resume_caller(services, contact_id=contact_id, caller_sid=caller_sid)
    audit_action(
        services, agent, "contact", contact_id, f"consult_{outcome}d", agent_id=agent.id, colleague=colleague or None
    )
    return state
