"""Voicemails: recorded from the IVR, attached to the ticket, listed for the queue's agents."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from contactcenter.audit.service import record_event
from contactcenter.contacts import service as contacts
from contactcenter.context import Services
from contactcenter.errors import APIError
from contactcenter.telephony import retried
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.service import categorize
from contactcenter.timeutil import utcnow
from contactcenter.voicemails.models import Voicemail, VoicemailStatus
from ivr import prompts
from ivr.call import IvrCall
from ivr.flow import Prompt
from ivr.flow import Voicemail as VoicemailStep

RECORDING_PATH = "/twilio/recording"


class VoicemailError(APIError):
    """The action cannot be done on this voicemail now (409 unless said otherwise); the message says why."""

    status = 409


def step_for_queue(call: IvrCall, queue: str, *, prompt: Prompt | None = None) -> VoicemailStep:
    """A voicemail step for a caller leaving a queue (not from a flow node)."""
    label = {lang: "留言 / Voicemail" for lang in call.flow.languages}
    return VoicemailStep(queue=queue, label=label, prompt=prompt or prompts.VOICEMAIL_DEFAULT)


def record(call: IvrCall, response: VoiceResponse, step: VoicemailStep) -> None:
    """Prompt, beep, record; the recording callback attaches the audio to the ticket."""
    contact, session = call.contact, call.session
    if session.scalar(select(Voicemail).where(Voicemail.contact_id == contact.id)) is None:
        voicemail = Voicemail(
            contact_id=contact.id,
            ticket_id=contact.ticket_id,
            customer_id=contact.customer_id,
            queue=step.queue,
            phone=contact.from_number,
        )
        session.add(voicemail)
        session.flush()
        record_event(
            session, actor="ivr", subject_type="voicemail", subject_id=voicemail.id, kind="recording", queue=step.queue
        )
        if step.category and contact.ticket_id:
            ticket = session.get_one(Ticket, contact.ticket_id)
            categorize(
                session, clockwork(call.services), ticket=ticket, category=step.category, actor="ivr", queue=step.queue
            )
    contact.queue = contact.queue or step.queue
    call.say(response, step.prompt)
    response.record(
        action=call.url("/twilio/voice/voicemail-done"),
        method="POST",
        max_length=step.max_seconds,
        play_beep=True,
        finish_on_key="#",
        trim="trim-silence",
        recording_status_callback=retried(call.url(RECORDING_PATH)),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    response.hangup()  # nothing recorded (silence): Twilio goes on past <Record>


def done(call: IvrCall) -> str:
    """The caller finished their message (or hung up): thank them; the contact is over."""
    contacts.mark_finished(call.session, contact=call.contact, reason="voicemail", served=True)
    return call.goodbye(prompts.VOICEMAIL_THANKS)


def recorded(session: Session, *, contact_id: int, recording_sid: str, status: str, duration: int | None) -> None:
    """Twilio reported the message's recording: it joins its queue's list (an empty one is closed)."""
    voicemail = session.scalar(select(Voicemail).where(Voicemail.contact_id == contact_id))
    if voicemail is None or voicemail.status != VoicemailStatus.RECORDING:
        return  # not a voicemail, or a retried callback
    voicemail.recording_sid = recording_sid
    voicemail.duration_seconds = duration
    voicemail.status = VoicemailStatus.NEW if status == "completed" and (duration or 0) > 0 else VoicemailStatus.DONE
    voicemail.updated_at = utcnow()
    record_event(
        session,
        actor="twilio",
        subject_type="voicemail",
        subject_id=voicemail.id,
        kind=voicemail.status,
        recording=status,
    )


def listing(services: Services, *, queues: list[str], status: str | None) -> list[dict[str, Any]]:
    """Voicemails of these queues, newest first, as agents see them."""
    with services.db.session() as session:
        query = (
            select(Voicemail, Ticket.number)
            .outerjoin(Ticket, Ticket.id == Voicemail.ticket_id)
            .where(Voicemail.queue.in_(queues))
        )
        if status:
            query = query.where(Voicemail.status == status)
        rows = session.execute(query.order_by(Voicemail.id.desc()).limit(200)).all()
        return [_view(v, number) for v, number in rows]


def _view(voicemail: Voicemail, ticket_number: str | None) -> dict[str, Any]:
    return {
        "id": voicemail.id,
        "queue": voicemail.queue,
        "phone": voicemail.phone,
        "status": voicemail.status,
        "contact_id": voicemail.contact_id,
        "ticket_id": voicemail.ticket_id,
        "ticket": ticket_number,
        "duration_seconds": voicemail.duration_seconds,
        "taken_by": voicemail.taken_by,
        "created_at": voicemail.created_at.isoformat(),
    }


def change(services: Services, *, voicemail_id: int, user_id: int, queues: list[str], to: str) -> dict[str, Any]:
    """An agent takes a new voicemail (its ticket becomes theirs) or marks a taken one done."""
    allowed: dict[str, VoicemailStatus] = {
        VoicemailStatus.TAKEN: VoicemailStatus.NEW,
        VoicemailStatus.DONE: VoicemailStatus.TAKEN,
    }
    if to not in allowed:
        raise VoicemailError(f"a voicemail can be taken or done, not {to!r}", 400)
    with services.db.session() as session:
        voicemail = session.get(Voicemail, voicemail_id)
        if voicemail is None or voicemail.queue not in queues:
            raise VoicemailError("No such voicemail in your queues.", 404)
        if voicemail.status != allowed[to] or (to == VoicemailStatus.DONE and voicemail.taken_by != user_id):
            raise VoicemailError(f"This voicemail is {voicemail.status}; it cannot become {to} now.")
        voicemail.status = to
        voicemail.taken_by = user_id
        voicemail.updated_at = utcnow()
        ticket = session.get(Ticket, voicemail.ticket_id) if voicemail.ticket_id else None
        if ticket is not None and ticket.assignee_id is None:
            ticket.assignee_id = user_id
        record_event(session, actor=f"user:{user_id}", subject_type="voicemail", subject_id=voicemail.id, kind=to)
        number = ticket.number if ticket else None
        return _view(voicemail, number)
