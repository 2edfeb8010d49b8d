"""What Twilio tells us about a contact's room and the agents' legs, and what follows from it.

- An agent's leg *joins* the room → the call is answered (routing `joined`, the contact connected);
  a caller left on hold by a transfer is taken off hold.
- An agent's leg ends *before* joining (not answered, busy, failed, declined, dropped) → routing
  gives the contact back with its place and makes the agent not ready ('missed'); a caller who
  never talked to anyone goes back to the queue's wait, one who did stays on hold in the room.
- The leg of the agent who has the call ends *after* joining (the agent hung up) → the call ends.
- An agent's leg leaves the room (transfer, hang-up, the call's end) → whoever listened in to that
  agent is taken out (agents/monitoring.py); so is everyone listening when the room ends.
"""

from __future__ import annotations

import logging

from agents import monitoring
from agents.conference import (
    CALLER,
    RELEASED,
    LiveCall,
    agent_of_label,
    bring_caller,
    drop_agent,
    empty_room,
    resume_caller,
)
from contactcenter.audit.service import record_event
from contactcenter.callbacks import service as callbacks
from contactcenter.callbacks.models import Callback
from contactcenter.contacts import service as contacts
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.telephony import TelephonyError
from contactcenter.tickets.clocks import clockwork
from ivr.call import url
from queues.engine import RoutingError

log = logging.getLogger(__name__)
LEG_ENDED = {"completed", "busy", "no-answer", "failed", "canceled"}


def room_event(
    services: Services,
    *,
    contact_id: int,
    event: str,
    conference_sid: str,
    call_sid: str,
    label: str,
    why: str = "",
) -> None:
    """A conference status callback: the room started or ended, someone joined or left (`why`: Twilio's
    ReasonParticipantLeft)."""
    live = LiveCall(services, contact_id)
    if event == "conference-start":
        live.set(conference_sid=conference_sid, started="1")
        with services.db.session() as session:
            contact = session.get(Contact, contact_id)
            if contact is not None and contact.conference_sid is None:
                contact.conference_sid = conference_sid
        return
    if event == "conference-end":
        monitoring.room_ended(services, contact_id=contact_id)
        return
    if event not in ("participant-join", "participant-leave"):
        return
    joined = event == "participant-join"
    if not joined:
        monitoring.agent_left(services, contact_id=contact_id, label=label, call_sid=call_sid)
        monitoring.monitor_left_room(services, contact_id=contact_id, label=label, call_sid=call_sid, why=why)
    if label == CALLER:
        live.set(caller_in="1", caller=call_sid) if joined else live.set(caller_in="")
        if joined:
            _caller_came_too_late(services, contact_id=contact_id, call_sid=call_sid)
        return
    agent_id = agent_of_label(label)
    # The join may come before the Participants API's answer told us the leg's CallSid: a leg of this
    # agent we know nothing of yet is the one just placed (a leg we let go of stays let go).
    if joined and agent_id is not None and not live.released(agent_id) and live.agent_leg(agent_id) in (call_sid, ""):
        if not live.first_report(f"joined:{call_sid}"):
            # Twilio sent this join again (its retry of a slow answer, connection overrides): handled once.
            # Handled twice, it took the caller off a hold put on meanwhile (a CI run under load).
            return
        live.set(**{f"agent:{agent_id}": call_sid})
        agent_joined(services, contact_id=contact_id, agent_id=agent_id, call_sid=call_sid)


def _caller_came_too_late(services: Services, *, contact_id: int, call_sid: str) -> None:
    """The caller entered their room after things moved on without them: their agent's leg failed (back
    to the queue's wait), or the call was ended meanwhile (goodbye). Nobody is left alone with music."""
    state = services.routing.contact(str(contact_id)).get("state")
    if state in ("waiting", "offered"):
        path = "/twilio/voice/connect"
    elif state in ("ended", "abandoned", "timed_out", None):
        path = "/twilio/voice/conference-done"
    else:
        return
    try:
        services.telephony.redirect_call(call_sid=call_sid, url=url(services, path, contact=contact_id))
    except TelephonyError as exc:
        log.warning("contact %s: caller gone while leaving a room nobody will join: %s", contact_id, exc)
        return
    _caller_sent_out(services, contact_id=contact_id)


def _caller_sent_out(services: Services, *, contact_id: int) -> None:
    """We moved the caller out of their room: they are not in it, whenever Twilio's report of the leave
    comes. Left to that report, an agent who accepted them back within ~0.1 s found them "in the room",
    rang only their own phone, and the caller heard "connecting" with nobody moving them (seen once the
    tests' logins stopped taking 0.25 s)."""
    LiveCall(services, contact_id).set(caller_in="")


def agent_joined(services: Services, *, contact_id: int, agent_id: int, call_sid: str) -> None:
    """The agent is in the room with the caller: answered now; the caller comes off a transfer's hold."""
    try:
        services.routing.joined(contact_id=str(contact_id), agent_id=str(agent_id))
    except RoutingError as exc:  # the caller hung up meanwhile, or the join came after a failure
        log.info("agent %s joined contact %s too late: %s", agent_id, contact_id, exc)
        return
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        is_callback = contact.status == ContactStatus.CALLBACK
        if not contacts.mark_connected(session, clockwork(services), contact=contact, agent_id=agent_id):
            contact.agent_id = agent_id  # a warm transfer's colleague joined a call already connected
        caller_sid = contact.provider_id
        record_event(
            session,
            actor="twilio",
            subject_type="contact",
            subject_id=contact_id,
            kind="agent_joined",
            agent_id=agent_id,
            call_sid=call_sid,
        )
    if is_callback:  # the agent is in the room first; now Twilio calls the customer into it
        _dial_customer(services, contact_id=contact_id, agent_id=agent_id)
        return
    live, routed = LiveCall(services, contact_id), services.routing.contact(str(contact_id))
    # In a warm transfer the agents talk first. A hold the agent put on themselves stays: routing tells the
    # console of the join before this line, and an agent quick to press hold (a loaded CI run) had it undone.
    held_by_agent = routed.get("on_hold") == "1"
    if live.get("caller_held") == "1" and not routed.get("consult_from") and not held_by_agent:
        resume_caller(services, contact_id=contact_id, caller_sid=caller_sid)


def agent_leg_status(
    services: Services, *, contact_id: int, agent_id: int, call_sid: str, status: str, attempt: str = ""
) -> None:
    """The agent leg's own call progress; only its end matters here. `attempt`: the try that placed the
    leg (its callback URL's `leg`): a leg that fails at once may report before we know its CallSid."""
    live = LiveCall(services, contact_id)
    if status not in LEG_ENDED or not live.is_agent_leg(agent_id, call_sid=call_sid, attempt=attempt):
        return  # ringing, answered; or a leg we already let go of (transfer, an earlier try)
    live.set(**{f"agent:{agent_id}": RELEASED})
    routing = services.routing.contact(str(contact_id))
    if routing.get("consult_from") == str(agent_id):  # hung up during a warm transfer: it completes
        _left_consult(services, contact_id=contact_id, agent_id=agent_id)
        return
    if routing.get("agent") != str(agent_id):
        return
    if routing.get("state") == "connecting":
        _join_failed(services, contact_id=contact_id, agent_id=agent_id, reason=f"leg_{status}", live=live)
    elif routing.get("state") == "assigned":
        _agent_hung_up(services, contact_id=contact_id, agent_id=agent_id)


def _left_consult(services: Services, *, contact_id: int, agent_id: int) -> None:
    try:
        state = services.routing.consult_end(contact_id=str(contact_id), agent_id=str(agent_id), outcome="complete")
    except RoutingError as exc:
        log.info("contact %s: agent %s left a warm transfer already over: %s", contact_id, agent_id, exc)
        return
    if state == "assigned":  # the colleague is on: the caller comes off hold to them
        with services.db.session() as session:
            caller_sid = session.get_one(Contact, contact_id).provider_id
        resume_caller(services, contact_id=contact_id, caller_sid=caller_sid)


def leg_overdue(services: Services, *, contact_id: int, agent_id: int) -> None:
    """Still connecting long after the agent's phone stopped ringing: the leg's end was never reported
    (a lost callback). The caller must not wait on it: treat it as failed, and end the leg if it lives."""
    routing = services.routing.contact(str(contact_id))
    if routing.get("state") != "connecting" or routing.get("agent") != str(agent_id):
        return
    drop_agent(services, contact_id=contact_id, agent_id=agent_id)
    join_failed(services, contact_id=contact_id, agent_id=agent_id, reason="leg_lost")


def join_failed(services: Services, *, contact_id: int, agent_id: int, reason: str) -> None:
    """The agent's leg could not be placed or never joined: see the module's docstring."""
    _join_failed(services, contact_id=contact_id, agent_id=agent_id, reason=reason, live=LiveCall(services, contact_id))


def _join_failed(services: Services, *, contact_id: int, agent_id: int, reason: str, live: LiveCall) -> None:
    try:
        services.routing.join_failed(contact_id=str(contact_id), agent_id=str(agent_id), reason=reason)
    except RoutingError as exc:
        log.info("contact %s: agent %s's leg ended (%s) after routing moved on: %s", contact_id, agent_id, reason, exc)
        return
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        caller_sid = contact.provider_id
        record_event(
            session,
            actor="twilio",
            subject_type="contact",
            subject_id=contact_id,
            kind="agent_leg_failed",
            agent_id=agent_id,
            reason=reason,
        )
    if live.started or live.get("caller_in") != "1":
        return  # on hold in a room that has had an agent (a transfer): they wait there; or not in yet
    try:  # back to the queue's wait, announcements and keys included, at the place routing kept
        bring_caller(services, contact_id=contact_id, call_sid=caller_sid)
    except TelephonyError as exc:
        log.warning("contact %s: caller gone while going back to the queue: %s", contact_id, exc)
        finish_contact(services, contact_id=contact_id, reason="caller_gone")
        return
    _caller_sent_out(services, contact_id=contact_id)


def _agent_hung_up(services: Services, *, contact_id: int, agent_id: int) -> None:
    """The agent's phone left a call that was theirs: the caller hears goodbye and the call ends."""
    with services.db.session() as session:
        caller_sid = session.get_one(Contact, contact_id).provider_id
    finish_contact(services, contact_id=contact_id, reason="agent_hung_up")
    try:
        services.telephony.redirect_call(
            call_sid=caller_sid, url=url(services, "/twilio/voice/conference-done", contact=contact_id)
        )
    except TelephonyError as exc:
        log.info("contact %s: caller gone already as the agent hung up: %s", contact_id, exc)


def _dial_customer(services: Services, *, contact_id: int, agent_id: int) -> None:
    """A callback: call the customer (their answer joins them to the room); if that cannot be done now,
    the callback is rescheduled (callbacks.dial) and the agent's leg leaves the empty room."""
    try:
        callbacks.dial(services, contact_id=contact_id, agent_id=agent_id)
    except TelephonyError as exc:
        log.warning("calling back contact %s failed: %s", contact_id, exc)
        finish_contact(services, contact_id=contact_id, reason="callback_dial_failed")
    with services.db.session() as session:
        over = session.get_one(Contact, contact_id).status in (ContactStatus.ENDED, ContactStatus.ABANDONED)
    if over:
        empty_room(services, contact_id=contact_id)


def callback_over(services: Services, *, callback_id: int) -> None:
    """A callback's call to the customer ended (unanswered, busy, or after talking): the agent leaves the room."""
    with services.db.session() as session:
        callback = session.get(Callback, callback_id)
        contact_id = callback.contact_id if callback is not None else None
    if contact_id is not None:
        empty_room(services, contact_id=contact_id)
