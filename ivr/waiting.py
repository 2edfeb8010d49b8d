"""The wait: place and expected wait, hold music, and keys to leave for a callback or a voicemail.

Twilio requests the Enqueue's waitUrl again each time its document ends, so one document is one
round: the announcement, then hold music lasting WAIT_ANNOUNCE_SECONDS, all inside a <Gather> so a
key pressed at any time reaches `wait_key`.
"""

from __future__ import annotations

import logging

from twilio.twiml.voice_response import VoiceResponse

from contactcenter.callbacks import dialog
from contactcenter.contacts.lifecycle import finish_contact
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.context import Services
from contactcenter.telephony import TelephonyError
from contactcenter.timeutil import utcnow
from contactcenter.voicemails import service as voicemails
from ivr import prompts
from ivr.call import open_call, url

log = logging.getLogger(__name__)
CALLBACK_KEY, VOICEMAIL_KEY = "1", "2"
LEAVING_TTL_SECONDS = 600


def _leaving_key(contact_id: int) -> str:
    return f"ivr:leaving:{contact_id}"


def callbacks_open(services: Services) -> bool:
    """Whether callbacks can be promised now (their calendar is open)."""
    calendars = services.flows.calendars
    return calendars is None or "callbacks" not in calendars.names() or calendars.is_open("callbacks", utcnow())


def wait_round(services: Services, *, contact_id: int, queue_seconds: int) -> str:
    """One round of the wait loop for a queued caller."""
    routing = services.routing.contact(str(contact_id))
    response = VoiceResponse()
    if routing.get("state") == "timed_out":
        response.leave()  # past the queue's maximum wait: Twilio posts QueueResult=leave to the action
        return str(response)
    with open_call(services, contact_id) as call:
        estimate = (
            services.routing.wait_estimate(contact_id=str(contact_id)) if routing.get("state") == "waiting" else None
        )
        gather = call.gather(response, call.url("/twilio/voice/wait-key"), timeout=1)
        if estimate:
            call.say(gather, prompts.position(estimate["position"], estimate["estimated_wait_seconds"]))
        else:
            call.say(gather, prompts.position(None))
        long_wait = bool(
            estimate and (estimate["estimated_wait_seconds"] or 0) > services.settings.callback_offer_wait_seconds
        )
        if queue_seconds < 5 or long_wait:  # keys are told at the start, and again while the wait is long
            call.say(gather, prompts.WAIT_KEYS if callbacks_open(services) else prompts.WAIT_VOICEMAIL_KEY)
        gather.play(url(services, "/ivr/hold-music.wav", seconds=services.settings.wait_announce_seconds))
    return str(response)


def wait_key(services: Services, *, contact_id: int, digits: str | None) -> str:
    """A key pressed while waiting: 1 → callback keeping the place, 2 → voicemail; else back to waiting."""
    response = VoiceResponse()
    with open_call(services, contact_id) as call:
        if digits == CALLBACK_KEY and callbacks_open(services):
            return dialog.offer(call, response, queue=call.contact.queue or "general", category=None, in_queue=True)
        if digits == VOICEMAIL_KEY:
            services.redis.set(_leaving_key(contact_id), "voicemail", ex=LEAVING_TTL_SECONDS)
            response.leave()  # Twilio then posts QueueResult=leave to the Enqueue action
            return str(response)
        if digits:
            call.say(response, prompts.INVALID)
    return str(response)  # the document ends: Twilio asks the waitUrl for the next round


# The caller left the queue for their agent (bridged, or moved to their room by our REST redirect):
# nothing follows from it here, and the answer is not used.
MOVED_ON = ("bridged", "bridging-in-process", "redirected")


def queue_result(services: Services, *, contact_id: int, result: str) -> str:
    """The caller left Twilio's queue: bridged, hung up, left (callback, voicemail, max wait) or an error."""
    if result in MOVED_ON:
        return str(VoiceResponse())  # an agent has them, or our REST redirect moved them on
    with open_call(services, contact_id) as call:
        contact = call.contact
        if contact.status == ContactStatus.CALLBACK:
            return call.goodbye(prompts.CALLBACK_REGISTERED)
        if result == "leave" and services.redis.getdel(_leaving_key(contact_id)) == b"voicemail":
            services.routing.finish(contact_id=str(contact_id), reason="voicemail")
            response = VoiceResponse()
            voicemails.record(call, response, voicemails.step_for_queue(call, contact.queue or "general"))
            return str(response)
    if services.routing.contact(str(contact_id)).get("state") == "timed_out" and result == "leave":
        return timed_out(services, contact_id=contact_id)
    finish_contact(services, contact_id=contact_id, reason=f"queue_{result}")
    if result == "hangup":
        return str(VoiceResponse())
    with open_call(services, contact_id) as call:
        return call.goodbye(prompts.SORRY)


def leave_queue(services: Services, *, contact_id: int) -> None:
    """The caller reached the queue's maximum wait: take them out of Twilio's queue to be told so."""
    with services.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None or contact.channel != "voice" or contact.status == ContactStatus.CALLBACK:
            return
        call_sid = contact.provider_id
    try:
        services.telephony.redirect_call(
            call_sid=call_sid, url=url(services, "/twilio/voice/timed-out", contact=contact_id)
        )
    except TelephonyError as exc:
        log.warning("sending timed-out contact %s off failed (caller gone?): %s", contact_id, exc)
        finish_contact(services, contact_id=contact_id, reason="max_wait")


def timed_out(services: Services, *, contact_id: int) -> str:
    """After the queue's maximum wait the caller is asked to leave a message instead of waiting on."""
    finish_contact(services, contact_id=contact_id, reason="max_wait")
    with open_call(services, contact_id) as call:
        response = VoiceResponse()
        step = voicemails.step_for_queue(
            call, call.contact.queue or "general", prompt=prompts.WAITED_TOO_LONG_VOICEMAIL
        )
        voicemails.record(call, response, step)
        return str(response)
