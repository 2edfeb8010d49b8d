"""The busiest webhook, answered before the rest of the app sees it.

Every call starts with POST /twilio/voice, and most flows answer it with the same opening (see
`nodes.opening`). This ASGI middleware answers that request itself when it is signed, complete and
the flow has an opening, skipping routing, the session middleware and Starlette's request and
response objects (they cost more than the work: docs/performance.md). Anything else (a bad
signature, a missing parameter, a flow without an opening, flow files due a re-check) goes on to
the route unchanged, which answers it the usual way.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contactcenter.context import Services
from ivr import service
from ivr.webhook import parse_form, signature_ok

INCOMING_PATH = "/twilio/voice"
FORM = b"application/x-www-form-urlencoded"


class FastOpening:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != INCOMING_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        first = await receive()  # Twilio's small form arrives in one message
        whole = first["type"] == "http.request" and not first.get("more_body", False)
        answer = _opening(scope, first.get("body", b"")) if whole else None
        if answer is None:
            await self.app(scope, _replay(first, receive), send)
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(answer)).encode()), (b"content-type", b"application/xml")],
            }
        )
        await send({"type": "http.response.body", "body": answer})


def _opening(scope: Scope, body: bytes) -> bytes | None:
    """The opening for this request, or None to let the route answer it."""
    services: Services = scope["app"].state.services
    headers = dict(scope["headers"])
    signature, content_type = (
        headers.get(b"x-twilio-signature", b"").decode("latin-1"),
        headers.get(b"content-type", b""),
    )
    if scope["query_string"] or not content_type.startswith(FORM) or services.flows.refresh_due():
        return None
    try:
        form = parse_form(body)
    except UnicodeDecodeError:
        return None
    params = form.params
    if not (params.get("CallSid") and params.get("From") and params.get("To")):
        return None
    if not signature_ok(services, services.settings.public_base_url + INCOMING_PATH, form, signature):
        return None
    try:
        answer = service.opening(services, to_number=params["To"], started_ms=int(time.time() * 1000))
    except LookupError:  # no flow answers that number: the route says so
        return None
    return answer.encode() if answer is not None else None


def _replay(first: Message, receive: Receive) -> Receive:
    """`receive` for the rest of the app: the message already read, then whatever follows."""
    replayed = False

    async def again() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return first

    return again
