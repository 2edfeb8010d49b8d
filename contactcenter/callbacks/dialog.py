"""The callback dialog on the phone: confirm the caller ID or key in a number, then register it.

Offered from a flow's callback node, or from the wait loop (then it runs inside Twilio's waitUrl,
so the caller keeps their place until they confirm). Each step is a webhook; the step, the number
being confirmed and the attempt travel in the (signed) URL.
"""

from __future__ import annotations

from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from contactcenter.callbacks import service as callbacks
from contactcenter.customers.service import normalize_phone
from ivr import prompts
from ivr.call import IvrCall

STEP_PATH = "/twilio/voice/callback"
TRIES = 3


def offer(call: IvrCall, response: VoiceResponse, *, queue: str, category: str | None, in_queue: bool) -> str:
    """Start the dialog: confirm the caller ID if we can call it back, else ask for a number."""
    context = {"queue": queue, "category": category or "", "in_queue": int(in_queue)}
    number = normalize_phone(call.contact.from_number, region=call.services.settings.default_region)
    if number:
        _confirm(call, response, number, attempt=1, context=context)
    else:
        _ask_number(call, response, attempt=1, context=context)
    return str(response)


def _confirm(call: IvrCall, response: VoiceResponse, number: str, *, attempt: int, context: dict[str, Any]) -> None:
    action = call.url(STEP_PATH, step="confirmed", number=number, attempt=attempt, **context)
    gather = call.gather(response, action)
    call.say(gather, prompts.callback_confirm(number))
    response.redirect(action, method="POST")


def _ask_number(call: IvrCall, response: VoiceResponse, *, attempt: int, context: dict[str, Any]) -> None:
    action = call.url(STEP_PATH, step="entered", attempt=attempt, **context)
    gather = call.gather(response, action, num_digits=None, timeout=10, finish_on_key="#")
    call.say(gather, prompts.CALLBACK_ENTER)
    response.redirect(action, method="POST")


def step(
    call: IvrCall, *, step: str, digits: str | None, number: str | None, attempt: int, context: dict[str, Any]
) -> str | None:
    """TwiML for the caller's answer at one step of the dialog; None when, out of tries outside a queue,
    the flow goes on from its fallback (the caller of this runs the flow, which uses this module)."""
    response = VoiceResponse()
    if step == "confirmed" and number:
        if digits == "1":
            return _register(call, response, number, context)
        if digits == "2":
            _ask_number(call, response, attempt=1, context=context)
            return str(response)
        if attempt < TRIES:
            if digits:
                call.say(response, prompts.INVALID)
            _confirm(call, response, number, attempt=attempt + 1, context=context)
            return str(response)
    elif step == "entered":
        entered = normalize_phone(digits or "", region=call.services.settings.default_region) if digits else None
        if entered:
            _confirm(call, response, entered, attempt=1, context=context)
            return str(response)
        if attempt < TRIES:
            if digits:
                call.say(response, prompts.CALLBACK_BAD_NUMBER)
            _ask_number(call, response, attempt=attempt + 1, context=context)
            return str(response)
    else:
        raise ValueError(f"unknown callback step {step!r}")
    return _give_up(call, response, context)


def _register(call: IvrCall, response: VoiceResponse, number: str, context: dict[str, Any]) -> str:
    callback = callbacks.request(
        call,
        phone=number,
        queue=context["queue"],
        category=context["category"] or None,
        in_queue=bool(context["in_queue"]),
    )
    if callback is None:
        return str(response)  # no longer waiting: the agent's bridge takes the call from here
    if context["in_queue"]:
        response.leave()  # out of Twilio's queue; the Enqueue action says goodbye (the place stays in routing)
        return str(response)
    if callback.scheduled_for is not None and callback.status == "scheduled":
        return call.goodbye(prompts.callback_scheduled(callbacks.local_time(call.services, callback.scheduled_for)))
    return call.goodbye(prompts.CALLBACK_QUEUED)


def _give_up(call: IvrCall, response: VoiceResponse, context: dict[str, Any]) -> str | None:
    """No usable answer after every try: back to waiting, or (None) on to the flow's fallback."""
    if context["in_queue"]:
        return str(response)  # the waitUrl document ends; the caller simply goes on waiting
    return None
