"""Twilio's voice webhooks: parse the parameters, call the service, answer TwiML (ivr/webhook.py
checks the signature and answers the refusals)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from redis.exceptions import RedisError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from twilio.twiml.voice_response import VoiceResponse

from agents import conference, conference_events, monitoring
from contactcenter.access import route
from contactcenter.access.rules import PUBLIC, TWILIO
from contactcenter.callbacks import service as callbacks
from contactcenter.context import Services
from contactcenter.customers.service import normalize_phone
from contactcenter.telephony import VOICE_FALLBACK_PATH
from contactcenter.voicemails import service as voicemails
from ivr import service, survey, waiting
from ivr.hold_music import hold_music
from ivr.webhook import BadWebhook, Params, at_once, query_id, query_int, require, voice_fallback, webhook
from recordings import service as recordings

QUEUE_RESULTS = {
    "bridged",
    "bridging-in-process",
    "error",
    "hangup",
    "leave",
    "redirected",
    "queue-full",
    "system-error",
}


DIAL_STATUSES = {"completed", "answered", "busy", "no-answer", "failed", "canceled"}


async def opening(services: Services, request: Request, params: Params) -> str | None:
    """A new call hears the start of its flow without a database round trip when the flow allows."""
    _, _, to_number = require(params, "CallSid", "From", "To")
    if services.flows.refresh_due():  # looking at the flow files is file I/O: not on the event loop
        await run_in_threadpool(services.flows.refresh)
    return service.opening(services, to_number=to_number, started_ms=int(time.time() * 1000))


def incoming(services: Services, request: Request, params: Params) -> str:
    call_sid, from_number, to_number = require(params, "CallSid", "From", "To")
    return service.incoming_call(services, call_sid=call_sid, from_number=from_number, to_number=to_number)


def contact_of(services: Services, request: Request, params: Params) -> int:
    """The contact in the query, or (for the answer to the opening) the call registered now."""
    if "contact" in request.query_params:
        return query_id(request, "contact")
    call_sid, from_number, to_number = require(params, "CallSid", "From", "To")
    try:
        started_at = datetime.fromtimestamp(query_int(request, "started") / 1000, UTC)
    except (OverflowError, OSError) as exc:
        raise BadWebhook("query parameter 'started' is not a time in Unix milliseconds") from exc
    return service.register(
        services, call_sid=call_sid, from_number=from_number, to_number=to_number, started_at=started_at
    )


def gather(services: Services, request: Request, params: Params) -> str:
    (call_sid,) = require(params, "CallSid")
    return service.gather(
        services,
        contact_id=contact_of(services, request, params),
        call_sid=call_sid,
        node=request.query_params.get("node", ""),
        attempt=query_int(request, "attempt"),
        digits=params.get("Digits"),
        speech=params.get("SpeechResult"),
    )


def callback_step(services: Services, request: Request, params: Params) -> str:
    (call_sid,) = require(params, "CallSid")
    query = request.query_params
    return service.callback_step(
        services,
        contact_id=query_id(request, "contact"),
        call_sid=call_sid,
        step=query.get("step", ""),
        digits=params.get("Digits"),
        number=query.get("number"),
        attempt=query_int(request, "attempt"),
        context={
            "queue": query.get("queue") or "general",
            "category": query.get("category", ""),
            "in_queue": query_int(request, "in_queue"),
        },
    )


def wait(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    queue_time = params.get("QueueTime", "0")
    return waiting.wait_round(
        services, contact_id=query_id(request, "contact"), queue_seconds=int(queue_time) if queue_time.isdigit() else 0
    )


def wait_key(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    return waiting.wait_key(services, contact_id=query_id(request, "contact"), digits=params.get("Digits"))


def _queue_result(request: Request, params: Params) -> tuple[int, str]:
    (result,) = require(params, "QueueResult")
    if result not in QUEUE_RESULTS:
        raise BadWebhook(f"unknown QueueResult {result!r}")
    return query_id(request, "contact"), result


def queue_result(services: Services, request: Request, params: Params) -> str:
    contact_id, result = _queue_result(request, params)
    return waiting.queue_result(services, contact_id=contact_id, result=result)


async def moved_on(services: Services, request: Request, params: Params) -> str | None:
    """A caller who left the queue for their agent is answered on the event loop: Twilio asks this on the
    way from the queue to the room, and a thread-pool hop there is time the caller waits."""
    _, result = _queue_result(request, params)
    return str(VoiceResponse()) if result in waiting.MOVED_ON else None


def timed_out(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    return waiting.timed_out(services, contact_id=query_id(request, "contact"))


def voicemail_done(services: Services, request: Request, params: Params) -> str:
    (call_sid,) = require(params, "CallSid")
    return service.voicemail_done(services, contact_id=query_id(request, "contact"), call_sid=call_sid)


def transfer_result(services: Services, request: Request, params: Params) -> str:
    call_sid, dial_status = require(params, "CallSid", "DialCallStatus")
    return service.transfer_result(
        services,
        contact_id=query_id(request, "contact"),
        call_sid=call_sid,
        node=request.query_params.get("node", ""),
        dial_status=_dial_status(dial_status),
    )


def _dial_status(value: str) -> str:
    if value not in DIAL_STATUSES:
        raise BadWebhook(f"unknown DialCallStatus {value!r}")
    return value


def connect(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    return service.connect_agent(services, contact_id=query_id(request, "contact"))


async def connect_ready(services: Services, request: Request, params: Params) -> str | None:
    """The caller's room as the accept prepared it, read on the event loop (no thread, no SQL): the
    caller waits for this answer before they can hear their agent (bench/calls.py). Anything else —
    not prepared, the call moved on, Redis failing — is left to `connect`."""
    require(params, "CallSid")
    contact_id = query_id(request, "contact")
    try:
        async with request.app.state.quick_redis.pipeline(transaction=False) as pipe:
            pipe.hget(services.routing.contact_key(str(contact_id)), "state")
            pipe.hget(conference.live_key(contact_id), "connect")
            state, ready = await pipe.execute()
    except RedisError:
        return None
    return ready.decode() if state in (b"connecting", b"assigned") and ready else None


def conference_done(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    return service.conference_done(services, contact_id=query_id(request, "contact"))


def survey_offer(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    return survey.offered(services, contact_id=query_id(request, "contact"), ended_by=_agent_of(request))


def survey_answer(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    contact_id, digits = query_id(request, "contact"), params.get("Digits")
    return survey.answer(services, contact_id=contact_id, digits=digits, answered_by=_agent_of(request))


def _agent_of(request: Request) -> int | None:
    """The agent our own URL names (`agent`: who ended the call; Twilio's signature covers the URL), if any."""
    return query_id(request, "agent") if "agent" in request.query_params else None


def conference_event(services: Services, request: Request, params: Params) -> str:
    conference_sid, event = require(params, "ConferenceSid", "StatusCallbackEvent")
    conference_events.room_event(
        services,
        contact_id=query_id(request, "contact"),
        event=event,
        conference_sid=conference_sid,
        call_sid=params.get("CallSid", ""),
        label=params.get("ParticipantLabel", ""),
        why=params.get("ReasonParticipantLeft", ""),
    )
    return "<Response/>"


def agent_leg(services: Services, request: Request, params: Params) -> str:
    call_sid, call_status = require(params, "CallSid", "CallStatus")
    if call_status not in service.CALL_STATUSES:
        raise BadWebhook(f"unknown CallStatus {call_status!r}")
    conference_events.agent_leg_status(
        services,
        contact_id=query_id(request, "contact"),
        agent_id=query_id(request, "agent"),
        call_sid=call_sid,
        status=call_status,
        attempt=request.query_params.get("leg", ""),
    )
    return "<Response/>"


def monitor_leg(services: Services, request: Request, params: Params) -> str:
    call_sid, call_status = require(params, "CallSid", "CallStatus")
    if call_status not in service.CALL_STATUSES:
        raise BadWebhook(f"unknown CallStatus {call_status!r}")
    if call_status in service.FINAL_CALL_STATUSES:
        monitoring.monitor_leg_ended(
            services,
            contact_id=query_id(request, "contact"),
            user_id=query_id(request, "monitor"),
            call_sid=call_sid,
            status=call_status,
            attempt=request.query_params.get("leg", ""),
        )
    return "<Response/>"


def transfer_out(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    number = normalize_phone(request.query_params.get("to", ""), region=services.settings.default_region)
    if number is None:
        raise BadWebhook("query parameter 'to' must be a phone number")
    return service.transfer_out(services, contact_id=query_id(request, "contact"), number=number)


def transfer_out_result(services: Services, request: Request, params: Params) -> str:
    _dial_status(require(params, "DialCallStatus")[0])
    return "<Response/>"  # the contact ended when the agent transferred it; the call ends here


def status(services: Services, request: Request, params: Params) -> str:
    call_sid, call_status = require(params, "CallSid", "CallStatus")
    duration = params.get("CallDuration", "")
    service.call_status(
        services,
        call_sid=call_sid,
        status=call_status,
        from_number=params.get("From"),
        to_number=params.get("To"),
        duration=int(duration) if duration.isdigit() else None,
    )
    return "<Response/>"


def callback_answered(services: Services, request: Request, params: Params) -> str:
    (call_sid,) = require(params, "CallSid")
    return service.callback_answered(services, callback_id=query_id(request, "callback"), call_sid=call_sid)


def callback_status(services: Services, request: Request, params: Params) -> str:
    call_sid, call_status = require(params, "CallSid", "CallStatus")
    if call_status not in service.CALL_STATUSES:
        raise BadWebhook(f"unknown CallStatus {call_status!r}")
    callback_id = query_id(request, "callback")
    callbacks.outbound_status(services, callback_id=callback_id, call_sid=call_sid, status=call_status)
    if call_status in service.FINAL_CALL_STATUSES:  # the customer's leg is over: nobody left for the agent
        conference_events.callback_over(services, callback_id=callback_id)
    return "<Response/>"


def recording(services: Services, request: Request, params: Params) -> str:
    sid, rec_status = require(params, "RecordingSid", "RecordingStatus")
    # A call's own recording (voicemail) names its CallSid; a conference's recording its ConferenceSid.
    call_sid = params.get("CallSid") or params.get("ConferenceSid")
    if not call_sid:
        raise BadWebhook("missing Twilio parameter(s): CallSid or ConferenceSid")
    contact_id = query_id(request, "contact")
    recordings.recording_reported(
        services,
        contact_id=contact_id,
        recording_sid=sid,
        call_sid=call_sid,
        status=rec_status,
        duration=params.get("RecordingDuration"),
        channels=params.get("RecordingChannels"),
        of_a_room=not params.get("CallSid"),
    )
    if rec_status != "in-progress":
        duration = params.get("RecordingDuration", "")
        with services.db.session() as session:
            voicemails.recorded(
                session,
                contact_id=contact_id,
                recording_sid=sid,
                status=rec_status,
                duration=int(duration) if duration.isdigit() else None,
            )
    return "<Response/>"


async def hold_music_wav(request: Request) -> Response:
    """Hold music for the wait loop (Twilio fetches <Play> media with a plain GET)."""
    seconds = request.query_params.get("seconds", "45")
    if not (seconds.isascii() and seconds.isdigit()) or not 1 <= int(seconds) <= 600:  # "²" is a digit too
        return PlainTextResponse("seconds must be a whole number from 1 to 600", status_code=400)
    body = await run_in_threadpool(hold_music, int(seconds))
    return Response(body, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})


routes = [
    route("/twilio/voice", webhook(incoming, quick=opening), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/gather", webhook(gather), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/callback", webhook(callback_step), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/wait", webhook(wait), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/wait-key", webhook(wait_key), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/queue-result", webhook(queue_result, quick=moved_on), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/timed-out", webhook(timed_out), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/voicemail-done", webhook(voicemail_done), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/transfer-result", webhook(transfer_result), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/connect", webhook(connect, quick=connect_ready), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/conference-done", webhook(conference_done), methods=["POST"], policy=TWILIO),
    route(survey.SURVEY_PATH, webhook(survey_answer), methods=["POST"], policy=TWILIO),
    route(survey.SURVEY_OFFER_PATH, webhook(survey_offer), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/conference", webhook(conference_event, status_callback=True), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/agent-leg", webhook(agent_leg, status_callback=True), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/monitor-leg", webhook(monitor_leg, status_callback=True), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/transfer-out", webhook(transfer_out), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/transfer-out-result", webhook(transfer_out_result), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/status", webhook(status, status_callback=True), methods=["POST"], policy=TWILIO),
    route("/twilio/voice/callback/answered", webhook(callback_answered), methods=["POST"], policy=TWILIO),
    route(
        "/twilio/voice/callback/status", webhook(callback_status, status_callback=True), methods=["POST"], policy=TWILIO
    ),
    route("/twilio/recording", webhook(recording, status_callback=True), methods=["POST"], policy=TWILIO),
    route(VOICE_FALLBACK_PATH, webhook(voice_fallback, quick=at_once(voice_fallback)), methods=["POST"], policy=TWILIO),
    route("/ivr/hold-music.wav", hold_music_wav, methods=["GET"], policy=PUBLIC),  # Twilio fetches it unsigned
]
