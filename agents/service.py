"""What an agent does from the console: change state, accept or reject offers, end, transfer (wrap-up:
agents/wrap_up.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from agents import conference, conference_events
from contactcenter.access.masking import sees_whole
from contactcenter.audit.service import record_event
from contactcenter.callbacks import service as callbacks
from contactcenter.chats import service as chats
from contactcenter.contacts import service as contacts
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.errors import APIError
from contactcenter.telephony import TelephonyError
from contactcenter.tickets.clocks import clockwork
from contactcenter.users.auth import CurrentUser
from contactcenter.users.models import User
from ivr.call import IvrCall
from ivr.call import url as call_url
from ivr.survey import SURVEY_OFFER_PATH
from queues.engine import RoutingError
from queues.models import Queue

log = logging.getLogger(__name__)
CHECK_JOIN_JOB = "agents.jobs.check_join"
JOIN_GRACE_SECONDS = 30  # beyond the ring time: Twilio's report of a leg's end comes within seconds


class AgentActionError(APIError):
    """The action cannot be done now (409 unless said otherwise); the message tells the agent why."""

    status = 409


@contextmanager
def routing_refusals() -> Iterator[None]:
    """Routing's refusals become messages for the agent."""
    try:
        yield
    except RoutingError as exc:
        raise AgentActionError(str(exc), code=exc.code) from exc


def check_assigned(services: Services, *, agent: CurrentUser, contact_id: int) -> None:
    """Refuse unless the contact is the agent's, answered."""
    routing = services.routing.contact(str(contact_id))
    if routing.get("agent") != str(agent.id) or routing.get("state") != "assigned":
        raise AgentActionError("This contact is not assigned to you (any more).", code="not_yours")


@contextmanager
def held_while_routed(services: Services, *, contact_id: int, caller_sid: str | None) -> Iterator[None]:
    """Hold the caller (music first: never alone in a silent room) while routing hands the call on; a
    refusal takes them off hold again, as it was. `caller_sid` None: a chat, nobody to hold."""
    if caller_sid is None:
        with routing_refusals():
            yield
        return
    try:
        conference.hold_caller(services, contact_id=contact_id, caller_sid=caller_sid, on=True)
    except TelephonyError as exc:
        raise AgentActionError(f"The caller could not be put on hold for the transfer: {exc}", 502) from exc
    try:
        with routing_refusals():
            yield
    except AgentActionError:
        conference.hold_caller(services, contact_id=contact_id, caller_sid=caller_sid, on=False)
        raise


def audit_action(
    services: Services, agent: CurrentUser, subject_type: str, subject_id: int, kind: str, **data: object
) -> None:
    """Record what the agent did on its subject (in the audit log, with the agent as actor)."""
    with services.db.session() as session:
        record_event(
            session, actor=f"user:{agent.id}", subject_type=subject_type, subject_id=subject_id, kind=kind, **data
        )


def check_reason(services: Services, reason: str) -> None:
    """Refuse (400) a not-ready reason not in NOT_READY_REASONS."""
    reasons = services.settings.not_ready_reasons
    if reason not in reasons:
        raise AgentActionError(f"Not ready needs a reason: one of {', '.join(reasons)}.", 400)


def set_state(services: Services, *, agent: CurrentUser, state: str, reason: str = "") -> str:
    """Go available, not ready (with a reason from NOT_READY_REASONS) or offline."""
    if state == "not_ready":
        check_reason(services, reason)
    if not agent.queues and state == "available":
        raise AgentActionError("You are in no queue; ask a supervisor to add you to one.")
    try:
        with routing_refusals():
            new_state = services.routing.set_agent_state(
                agent_id=str(agent.id),
                state=state,
                queues=list(agent.queues),
                reason=reason if state == "not_ready" else "",
                skills=agent.skills,
                chat_capacity=agent.chat_capacity,
            )
    except ValueError as exc:
        raise AgentActionError(str(exc), 400) from exc
    audit_action(services, agent, "agent", agent.id, "state_changed", state=new_state, reason=reason)
    return new_state


@dataclass(frozen=True)
class _AcceptedContact:
    """What the accept needs of the contact's row (read beside the caller's move)."""

    is_chat: bool
    is_callback: bool
    provider_id: str
    # What the agent's phone shows as calling: the caller, as a <Dial> to it did; for an agent who sees numbers
    # masked, the hotline's number (a leg's From is a number or a client: it cannot be masked).
    from_number: str
    identity: str  # the agent's browser phone


def accept(services: Services, *, agent: CurrentUser, contact_id: int) -> None:
    """Take the offered contact. A chat is the agent's at once; a call rings the agent's phone into the
    caller's room and is theirs once the phone joins (agents/conference_events.py)."""
    with routing_refusals():
        accepted = services.routing.accept(contact_id=str(contact_id), agent_id=str(agent.id), by=services.process_id)
    in_room = conference.LiveCall(services, contact_id).get("caller_in") == "1"  # a transfer's caller
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The row is read, and what /connect will answer rendered, on another thread while this one moves
        # the caller (routing keeps their CallSid: no SQL first). This way round the move's request is on
        # the wire before the other thread runs: started on the other thread, the move waited for the GIL
        # behind this one's SQL and rendering (bench/calls.py).
        reading = pool.submit(_read_and_prepare, services, contact_id=contact_id, agent=agent, in_room=in_room)
        moved: TelephonyError | None = None
        if accepted.caller_call and not in_room:
            moved = _move_caller(services, contact_id=contact_id, call_sid=accepted.caller_call)
        contact = reading.result()
    if contact.is_chat:  # nothing to bridge: the customer's page hears who joined
        with services.db.session() as session:
            contacts.mark_connected(
                session, clockwork(services), contact=session.get_one(Contact, contact_id), agent_id=agent.id
            )
        chats.agent_joined(services, contact_id=contact_id, agent_id=agent.id)
    else:
        if not accepted.caller_call and not in_room and not contact.is_callback:
            # queued before routing kept the caller's CallSid
            moved = _move_caller(services, contact_id=contact_id, call_sid=contact.provider_id)
        _ring_agent(services, agent=agent, contact_id=contact_id, moved=moved, contact=contact)
    # Why this agent got it outlives the Redis record: keep the decision with the contact. (After the
    # call is on its way: the caller waits for Twilio, not for this write.)
    decisions = services.routing.explain(contact_id=str(contact_id))
    with services.db.session() as session:
        record_event(
            session,
            actor="routing",
            subject_type="contact",
            subject_id=contact_id,
            kind="routed",
            why=decisions[-1] if decisions else None,
        )


def _read_and_prepare(services: Services, *, contact_id: int, agent: CurrentUser, in_room: bool) -> _AcceptedContact:
    """The contact's row and the agent's phone; for a caller still in the queue, their room's TwiML made
    ready for /connect. Read without the writer's turn: /connect waits for what is prepared here, and
    on SQLite a turn could wait behind the IVR's writes (bench/calls.py --dump: clustered slow joins)."""
    with services.db.reading() as session:
        contact = session.get_one(Contact, contact_id)
        found = _AcceptedContact(
            is_chat=contact.channel == "chat",
            is_callback=contact.status == ContactStatus.CALLBACK,
            provider_id=contact.provider_id or "",
            from_number=contact.from_number if sees_whole(agent) else contact.to_number,
            identity=session.get_one(User, agent.id).client_identity,
        )
        if not found.is_chat and not found.is_callback and not in_room:  # a callback's customer is dialled later
            flow = services.flows.for_number(contact.to_number)
            conference.prepare_caller(services, IvrCall(services, flow, session, contact))
    return found


def _move_caller(services: Services, *, contact_id: int, call_sid: str) -> TelephonyError | None:
    """Move the caller from the queue into their room; Twilio's refusal is returned, for the ring to act on."""
    try:
        conference.bring_caller(services, contact_id=contact_id, call_sid=call_sid)
    except TelephonyError as exc:
        return exc
    return None


def _ring_agent(
    services: Services, *, agent: CurrentUser, contact_id: int, moved: TelephonyError | None, contact: _AcceptedContact
) -> None:
    """Once Twilio has taken the caller's move, ring the agent's phone into the room.

    In that order: rung side by side, a phone that answers at once could be in the room, or even gone
    again, before the caller; the tests of the join races failed about one run in eight that way."""
    if moved is not None:
        # Twilio refused or timed out (or the caller hung up meanwhile, which their call's end reports):
        # the caller keeps waiting at their place, this agent goes not ready (missed), as when the
        # agent's phone never joins. Finishing the contact left a live caller hearing the wait forever.
        log.warning("moving contact %s's caller to their room failed: %s", contact_id, moved)
        conference_events.join_failed(services, contact_id=contact_id, agent_id=agent.id, reason="caller_not_moved")
        raise AgentActionError(f"The caller could not be connected: {moved}", 502) from moved
    try:
        conference.call_agent(
            services,
            contact_id=contact_id,
            agent_id=agent.id,
            identity=contact.identity,
            from_number=contact.from_number,
        )
    except TelephonyError as exc:
        conference_events.join_failed(services, contact_id=contact_id, agent_id=agent.id, reason="leg_not_placed")
        raise AgentActionError(f"Your phone could not be called: {exc}", 502) from exc
    # Twilio reports the leg's end; should that report be lost, the caller must not wait forever.
    overdue = timedelta(seconds=services.settings.agent_ring_seconds + JOIN_GRACE_SECONDS)
    services.jobs.enqueue_in(overdue, CHECK_JOIN_JOB, contact_id, agent.id)


def reject(services: Services, *, agent: CurrentUser, contact_id: int) -> None:
    """Pass on the offer; the caller keeps their place and goes to the next agent."""
    with routing_refusals():
        services.routing.reject(contact_id=str(contact_id), agent_id=str(agent.id))
    audit_action(services, agent, "contact", contact_id, "offer_rejected", agent_id=agent.id)


def end(services: Services, *, agent: CurrentUser, contact_id: int) -> None:
    """Hang up the agent's current call; the agent goes to wrap-up."""
    routing = services.routing.contact(str(contact_id))
    if routing.get("agent") != str(agent.id) or routing.get("state") != "assigned":
        raise AgentActionError("This call is not yours, or it has already ended.")
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        call_sid, is_chat = callbacks.customer_line(session, contact), contact.channel == "chat"
    if is_chat:  # no call to hang up: the chat closes, its transcript goes to the ticket
        chats.agent_ends(services, contact_id=contact_id)
        return
    leg = conference.caller_leg(services, contact_id=contact_id, call_sid=call_sid)
    try:  # the caller leaves the room (it ends with them, and every agent's leg with it) for the survey
        if services.settings.ivr_survey:
            # The agent who ended it answered it: SQL may not know yet (the room's join report is handled a
            # moment after routing's; a loaded CI run ended the call in between and no survey was offered).
            survey = call_url(services, SURVEY_OFFER_PATH, contact=contact_id, agent=agent.id)
            services.telephony.redirect_call(call_sid=leg, url=survey)
        else:
            services.telephony.end_call(call_sid=leg)
    except TelephonyError as exc:
        log.warning("ending contact %s's call for its survey failed: %s", contact_id, exc)
        try:  # no survey then, but the call must end
            services.telephony.end_call(call_sid=leg)
        except TelephonyError as again:
            log.warning("hanging up contact %s failed (already over?): %s", contact_id, again)
    finish_contact(services, contact_id=contact_id, reason="agent_ended")


MAX_TRANSFER_NOTE = 1000


def transfer_context(
    services: Services, *, agent: CurrentUser, queue: str | None, to_agent: int | None, note: str, kind: str
) -> dict[str, object]:
    """Check a transfer's target and note; what the receiving agent's offer and screen pop show of it."""
    if (queue is None) == (to_agent is None):
        raise AgentActionError("Transfer to either a queue or an agent.", 400)
    note = note.strip()
    if len(note) > MAX_TRANSFER_NOTE:
        raise AgentActionError(f"The transfer note is longer than {MAX_TRANSFER_NOTE} characters.", 400)
    with services.db.session() as session:
        if queue is not None and session.scalar(select(Queue.id).where(Queue.name == queue)) is None:
            raise AgentActionError(f"There is no queue {queue!r}.", 404)
        me = session.get_one(User, agent.id)
        return {"from_agent": agent.id, "from_name": me.display_name, "note": note, "kind": kind}


def transfer(
    services: Services,
    *,
    agent: CurrentUser,
    contact_id: int,
    queue: str | None,
    to_agent: int | None,
    note: str = "",
) -> str:
    """Hand the contact to another queue or agent with a note for them; the ticket stays the same, the
    agent goes to wrap-up. A caller waits on hold in their room until the next agent's phone joins."""
    context = transfer_context(services, agent=agent, queue=queue, to_agent=to_agent, note=note, kind="cold")
    check_assigned(services, agent=agent, contact_id=contact_id)
    with services.db.session() as session:
        contact = session.get_one(Contact, contact_id)
        caller_sid, is_chat = contact.provider_id, contact.channel == "chat"
    with held_while_routed(services, contact_id=contact_id, caller_sid=None if is_chat else caller_sid):
        state = services.routing.transfer(
            contact_id=str(contact_id),
            agent_id=str(agent.id),
            queue=queue,
            to_agent=str(to_agent) if to_agent is not None else None,
            context=context,
        )
    with services.db.session() as session:
        contacts.mark_transferred(
            session,
            contact=session.get_one(Contact, contact_id),
            queue=queue,
            actor=f"user:{agent.id}",
            to_agent=to_agent,
            note=str(context["note"]),
        )
    if is_chat:  # no call to move: the customer waits again, and the next agent's accept joins the chat
        chats.transferred(services, contact_id=contact_id, agent_id=agent.id)
    else:
        conference.drop_agent(services, contact_id=contact_id, agent_id=agent.id)
    return state


def extend_wrap_up(services: Services, *, agent: CurrentUser, seconds: float) -> str:
    """More time to write up; returns the new end as Unix milliseconds."""
    try:
        with routing_refusals():
            return str(services.routing.extend_wrap_up(agent_id=str(agent.id), seconds=seconds))
    except ValueError as exc:
        raise AgentActionError(str(exc), 400) from exc
