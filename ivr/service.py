"""What happens on each Twilio voice webhook outside the wait loop: the flow, the bridge, the end.

Every function here is safe to call twice with the same request (Twilio retries).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from agents import conference
from contactcenter.callbacks import dialog
from contactcenter.callbacks import service as callbacks
from contactcenter.contacts import service as contacts
from contactcenter.contacts.lifecycle import UnknownCall, finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.timeutil import utcnow
from contactcenter.voicemails import service as voicemails
from ivr import answers, nodes, prompts, survey, twiml
from ivr.call import STARTED, FlowVoice, IvrCall, open_call, url
from ivr.queueing import park, resume_waiting

FINAL_CALL_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
CALL_STATUSES = FINAL_CALL_STATUSES | {"queued", "initiated", "ringing", "in-progress"}


def opening(services: Services, *, to_number: str, started_ms: int) -> str | None:
    """The start of the flow for `to_number` up to its first question, if it needs nothing about the
    caller: rendered once per flow version, no database (None: use `incoming_call`)."""
    template = services.flows.derived(
        services.flows.for_number(to_number), "opening", lambda flow: nodes.opening(FlowVoice(services, flow))
    )
    return template.replace(STARTED, str(started_ms)) if template else None


def incoming_call(services: Services, *, call_sid: str, from_number: str, to_number: str) -> str:
    """Register the call (contact, customer, ticket) and start the flow of the number dialled."""
    with services.db.session() as session:
        contact, created = _register(session, services, call_sid, from_number, to_number, None)
        call = IvrCall(services, services.flows.for_number(to_number), session, contact)
        if not created and contact.status != ContactStatus.IVR:
            return twiml.hang_up()  # a very late retry for a call already past the IVR
        return nodes.run(call, call.flow.start)


def register(
    services: Services, *, call_sid: str, from_number: str, to_number: str, started_at: datetime | None
) -> int:
    """The contact id of a call that heard the opening (registered now unless a retry did it first)."""
    with services.db.session() as session:
        contact, _ = _register(session, services, call_sid, from_number, to_number, started_at)
        session.commit()
        return contact.id


def _register(
    session: Session, services: Services, call_sid: str, from_number: str, to_number: str, started_at: datetime | None
) -> tuple[Contact, bool]:
    return contacts.register_inbound_call(
        session,
        call_sid=call_sid,
        from_number=from_number,
        to_number=to_number,
        region=services.settings.default_region,
        started_at=started_at,
    )


def gather(
    services: Services,
    *,
    contact_id: int,
    call_sid: str,
    node: str,
    attempt: int,
    digits: str | None,
    speech: str | None,
) -> str:
    """The caller answered a menu, language or identity question (or let it time out)."""
    with open_call(services, contact_id, call_sid=call_sid) as call:
        if call.contact.status == ContactStatus.QUEUED and call.contact.queue:
            return resume_waiting(call)  # its queue step was saved, then a store failed: wait there
        if call.contact.status != ContactStatus.IVR:
            return twiml.hang_up()  # a late retry for a call that has moved on
        return answers.answer(call, node_name=node, attempt=attempt, digits=digits, speech=speech)


def callback_step(
    services: Services,
    *,
    contact_id: int,
    call_sid: str,
    step: str,
    digits: str | None,
    number: str | None,
    attempt: int,
    context: dict[str, Any],
) -> str:
    """One step of the callback dialog (confirm the number, key one in)."""
    with open_call(services, contact_id, call_sid=call_sid) as call:
        if call.contact.status not in (ContactStatus.IVR, ContactStatus.QUEUED):
            return str(VoiceResponse()) if context["in_queue"] else twiml.hang_up()
        answer = dialog.step(call, step=step, digits=digits, number=number, attempt=attempt, context=context)
        # No usable number after every try: the flow's fallback (an agent) takes the call.
        return answer if answer is not None else nodes.run(call, call.flow.fallback or call.flow.start)


def voicemail_done(services: Services, *, contact_id: int, call_sid: str) -> str:
    """The caller finished recording a message."""
    with open_call(services, contact_id, call_sid=call_sid) as call:
        return voicemails.done(call)


def transfer_result(services: Services, *, contact_id: int, call_sid: str, node: str, dial_status: str) -> str:
    """The outside number the IVR dialled answered (and the call ended) or did not."""
    with open_call(services, contact_id, call_sid=call_sid) as call:
        return nodes.transfer_result(call, node_name=node, dial_status=dial_status)


def connect_agent(services: Services, *, contact_id: int) -> str:
    """An agent accepted: the caller enters the contact's room (agents join it over REST). A caller
    whose agent's leg failed meanwhile is back in routing's queue: they wait there again."""
    state = services.routing.contact(str(contact_id)).get("state")
    if state in ("connecting", "assigned") and (ready := conference.LiveCall(services, contact_id).get("connect")):
        return ready  # rendered at the accept (agents/conference.prepare_caller)
    with open_call(services, contact_id) as call:
        response = VoiceResponse()
        if state in ("connecting", "assigned"):
            call.say(response, prompts.CONNECTING)
            return conference.caller_joins(services, contact_id=contact_id, response=response)
        if state in ("waiting", "offered") and call.contact.queue:
            park(services, call.contact, response)
            return str(response)
        return call.goodbye(prompts.SORRY)


def conference_done(services: Services, *, contact_id: int) -> str:
    """The caller's room ended while they were still on the line (ended over the API, the agent
    hung up): ask them to rate the call (ivr/survey.py), or thank them and hang up."""
    finish_contact(services, contact_id=contact_id, reason="conference_ended")
    with open_call(services, contact_id) as call:
        return survey.offer(call) or call.goodbye(prompts.THANKS)


def transfer_out(services: Services, *, contact_id: int, number: str) -> str:
    """An agent sent the caller to an outside number: dial it from the hotline's number."""
    with open_call(services, contact_id) as call:
        response = VoiceResponse()
        call.say(response, prompts.CONNECTING_OUTSIDE)
        caller_id = services.settings.twilio_caller_id or call.contact.to_number
        dial = response.dial(
            caller_id=caller_id if caller_id.startswith("+") else None,
            action=url(services, "/twilio/voice/transfer-out-result", contact=contact_id),
            method="POST",
        )
        dial.number(number)
        return str(response)


def call_status(
    services: Services,
    *,
    call_sid: str,
    status: str,
    from_number: str | None = None,
    to_number: str | None = None,
    duration: int | None = None,
) -> None:
    """Twilio reports a call's progress; a final status ends the contact wherever it was.

    A caller who hangs up during the opening was never registered: the final status does it, so
    the call still has its contact and ticket (abandoned in the IVR).
    """
    if status not in CALL_STATUSES:
        raise ValueError(f"unknown CallStatus {status!r}")
    if status not in FINAL_CALL_STATUSES:
        return
    with services.db.session() as session:
        contact = contacts.by_provider_id(session, call_sid)
        if contact is None and from_number and to_number:
            started_at = utcnow() - timedelta(seconds=duration or 0)
            contact, _ = _register(session, services, call_sid, from_number, to_number, started_at)
            session.commit()
        if contact is None:
            raise UnknownCall(f"no call {call_sid} was registered")
        if contact.status == ContactStatus.CALLBACK:
            return  # the caller hung up after booking a callback: the contact waits on without them
        contact_id = contact.id
    finish_contact(services, contact_id=contact_id, reason=f"call_{status}")


def callback_answered(services: Services, *, callback_id: int, call_sid: str) -> str:
    """The customer picked up our callback: greet them and bridge the agent who took it."""
    with services.db.session() as session:
        callback = callbacks.of_call(session, callback_id=callback_id, call_sid=call_sid)
        contact_id, agent_id = callback.contact_id, callback.agent_id
    callbacks.outbound_status(services, callback_id=callback_id, call_sid=call_sid, status="in-progress")
    with open_call(services, contact_id) as call:
        if agent_id is None or call.contact.status != ContactStatus.CONNECTED:
            return call.goodbye(prompts.SORRY)  # the agent's side ended meanwhile
        response = VoiceResponse()
        call.say(response, prompts.CALLBACK_GREETING)
        return conference.caller_joins(services, contact_id=contact_id, response=response)
