"""Twilio's voice webhooks: check the signature, parse the parameters, answer TwiML."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from contactcenter.contacts.lifecycle import UnknownCall
from contactcenter.context import Services
from ivr import service
from recordings import service as recordings

Params = dict[str, str]
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


class BadWebhook(Exception):
    """A webhook we cannot act on: answered 400 with this message, nothing changed."""


def twiml_response(body: str) -> Response:
    return Response(body, media_type="application/xml")


def signed_url(services: Services, request: Request) -> str:
    """The URL Twilio signed: our public base URL, not whatever host the proxy forwarded to."""
    query = request.url.query
    return services.settings.public_base_url + request.url.path + (f"?{query}" if query else "")


def require(params: Params, *names: str) -> list[str]:
    missing = [n for n in names if not params.get(n)]
    if missing:
        raise BadWebhook(f"missing Twilio parameter(s): {', '.join(missing)}")
    return [params[n] for n in names]


def query_int(request: Request, name: str) -> int:
    value = request.query_params.get(name, "")
    if not value.isdigit():
        raise BadWebhook(f"query parameter {name!r} must be a whole number")
    return int(value)


Handler = Callable[[Services, Request, Params], str]


def webhook(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: 403 on a bad signature, 400 on bad parameters, else its TwiML."""

    async def endpoint(request: Request) -> Response:
        services: Services = request.app.state.services
        form = await request.form()
        params = {k: str(v) for k, v in form.multi_items()}
        signature = request.headers.get("X-Twilio-Signature", "")
        validator = RequestValidator(services.settings.twilio_auth_token or "")
        if not signature or not validator.validate(signed_url(services, request), params, signature):
            return PlainTextResponse("Invalid or missing X-Twilio-Signature.", status_code=403)
        try:
            body = await run_in_threadpool(handler, services, request, params)
        except (BadWebhook, ValueError) as exc:
            return PlainTextResponse(str(exc), status_code=400)
        except UnknownCall as exc:
            return PlainTextResponse(str(exc), status_code=404)
        return twiml_response(body)

    return endpoint


def incoming(services: Services, request: Request, params: Params) -> str:
    call_sid, from_number, to_number = require(params, "CallSid", "From", "To")
    return service.incoming_call(services, call_sid=call_sid, from_number=from_number, to_number=to_number)


def menu(services: Services, request: Request, params: Params) -> str:
    (call_sid,) = require(params, "CallSid")
    node = request.query_params.get("node", "")
    return service.menu_input(
        services,
        call_sid=call_sid,
        node_name=node,
        attempt=query_int(request, "attempt"),
        digits=params.get("Digits"),
    )


def wait(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    return service.wait_music(services, contact_id=query_int(request, "contact"))


def queue_result(services: Services, request: Request, params: Params) -> str:
    (result,) = require(params, "QueueResult")
    if result not in QUEUE_RESULTS:
        raise BadWebhook(f"unknown QueueResult {result!r}")
    return service.queue_result(services, contact_id=query_int(request, "contact"), result=result)


def timed_out(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    return service.timed_out(services, contact_id=query_int(request, "contact"))


def connect(services: Services, request: Request, params: Params) -> str:
    require(params, "CallSid")
    return service.connect_agent(services, contact_id=query_int(request, "contact"))


def dial_result(services: Services, request: Request, params: Params) -> str:
    (status,) = require(params, "DialCallStatus")
    return service.dial_result(services, contact_id=query_int(request, "contact"), dial_status=status)


def status(services: Services, request: Request, params: Params) -> str:
    call_sid, call_status = require(params, "CallSid", "CallStatus")
    service.call_status(services, call_sid=call_sid, status=call_status)
    return "<Response/>"


def recording(services: Services, request: Request, params: Params) -> str:
    sid, call_sid, rec_status = require(params, "RecordingSid", "CallSid", "RecordingStatus")
    recordings.recording_reported(
        services,
        contact_id=query_int(request, "contact"),
        recording_sid=sid,
        call_sid=call_sid,
        status=rec_status,
        duration=params.get("RecordingDuration"),
        channels=params.get("RecordingChannels"),
    )
    return "<Response/>"


routes = [
    Route("/twilio/voice", webhook(incoming), methods=["POST"]),
    Route("/twilio/voice/menu", webhook(menu), methods=["POST"]),
    Route("/twilio/voice/wait", webhook(wait), methods=["POST"]),
    Route("/twilio/voice/queue-result", webhook(queue_result), methods=["POST"]),
    Route("/twilio/voice/timed-out", webhook(timed_out), methods=["POST"]),
    Route("/twilio/voice/connect", webhook(connect), methods=["POST"]),
    Route("/twilio/voice/dial-result", webhook(dial_result), methods=["POST"]),
    Route("/twilio/voice/status", webhook(status), methods=["POST"]),
    Route("/twilio/recording", webhook(recording), methods=["POST"]),
]
