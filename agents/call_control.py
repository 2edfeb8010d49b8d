"""What an agent does to a call in progress besides ending it: hold and take back, mute, send it outside.

Each step asks routing first (is the call this agent's?), then Twilio, and undoes routing's step if
Twilio refuses, so the console never shows a state the call is not in.
"""

from __future__ import annotations

from urllib.parse import urlencode

from agents import conference
from agents.service import AgentActionError, audit_action, routing_refusals
from contactcenter.callbacks import service as callbacks
from contactcenter.contacts import service as contacts
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.customers.service import normalize_phone
from contactcenter.telephony import TelephonyError
from contactcenter.users.auth import CurrentUser


def _call_sid(services: Services, contact_id: int) -> str:
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.channel == "chat":
            raise AgentActionError("Only a call can be put on hold or sent to another number.", 409)
        return callbacks.customer_line(session, contact)


def hold(services: Services, *, agent: CurrentUser, contact_id: int, on: bool) -> str:
    """Put the caller on hold (they hear music; the agent stays in the room) or take them back (they
    hear the agent again at once: nothing rings). Returns 'held' or 'resumed'."""
    call_sid = _call_sid(services, contact_id)
    with routing_refusals():
        done = services.routing.hold(contact_id=str(contact_id), agent_id=str(agent.id), on=on)
    try:
        conference.hold_caller(services, contact_id=contact_id, caller_sid=call_sid, on=on)
    except TelephonyError as exc:
        services.routing.hold(contact_id=str(contact_id), agent_id=str(agent.id), on=not on)  # as it was
        raise AgentActionError(f"The call could not be {'put on hold' if on else 'taken back'}: {exc}", 502) from exc
    audit_action(services, agent, "contact", contact_id, done, agent_id=agent.id)
    return done


def mute(services: Services, *, agent: CurrentUser, contact_id: int, muted: bool) -> str:
    """Mute or unmute the agent in the call (the caller stops or starts hearing them): 'muted' or 'unmuted'."""
    _call_sid(services, contact_id)
    routing = services.routing.contact(str(contact_id))
    if routing.get("agent") != str(agent.id) or routing.get("state") != "assigned":
        raise AgentActionError("This call is not yours, or it has already ended.", code="not_assigned")
    try:
        conference.mute_agent(services, contact_id=contact_id, agent_id=agent.id, muted=muted)
    except TelephonyError as exc:
        raise AgentActionError(f"The call could not be {'muted' if muted else 'unmuted'}: {exc}", 502) from exc
    done = "muted" if muted else "unmuted"
    audit_action(services, agent, "contact", contact_id, done, agent_id=agent.id)
    return done


def transfer_out(services: Services, *, agent: CurrentUser, contact_id: int, number: str) -> None:
    """Send the caller to an outside number (a service partner, a branch); the contact ends here and
    the agent goes to wrap-up."""
    to = normalize_phone(number, region=services.settings.default_region)
    if to is None:
        raise AgentActionError(f"{number!r} is not a phone number.", 400)
    routing = services.routing.contact(str(contact_id))
    if routing.get("agent") != str(agent.id) or routing.get("state") != "assigned":
        raise AgentActionError("This call is not yours, or it has already ended.")
    call_sid = _call_sid(services, contact_id)
    query = urlencode({"contact": contact_id, "to": to})
    # The caller leaving ends the room, and the agent's leg with it: that end is expected, not a hang-up.
    live = conference.LiveCall(services, contact_id)
    leg = live.release(agent.id)
    try:
        services.telephony.redirect_call(call_sid=call_sid, url=services.url(f"/twilio/voice/transfer-out?{query}"))
    except TelephonyError as exc:
        live.set(**{f"agent:{agent.id}": leg})  # as it was: the agent still has the caller
        raise AgentActionError(f"The caller could not be transferred: {exc}", 502) from exc
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        contacts.note_transferred_out(session, contact=contact, number=to, actor=f"user:{agent.id}")
    finish_contact(services, contact_id=contact_id, reason="transferred_out")
