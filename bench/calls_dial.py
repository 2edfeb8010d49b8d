"""The call path before calls were conferences, rebuilt as small as it can be while doing on the wire
what the product did on accept (commit 69bf6f6, agents/service.py::accept, ivr/service.py::connect_agent):

- `POST /accept {"call_sid", "contact", "agent"}` is the agent's accept: one REST redirect of the caller,
  who waits in the product's queue, through twilio's `Client` (the product's `BaseUrlHttpClient`, in the
  thread pool, as the product's accept ran) to this server's `/connect`;
- `/connect` answers what the product answered: "connecting" in the caller's language, then
  `<Dial><Client>agent-N</Client></Dial>` with the product's action, timeout and dual recording.

Its webhooks check Twilio's signature as the product does (ivr/webhook.py). Nothing else of the product
runs here: no routing, no SQL. The callers reach the queue through the product's own IVR.

    uvicorn's factory: calls_dial:dial_app (bench/calls_server.py dial --port N)
"""

from __future__ import annotations

import os
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, VoiceResponse

from contactcenter.telephony import BaseUrlHttpClient
from ivr.twiml import VOICES
from ivr.webhook import form_signature, parse_form

LANGUAGE = "zh-CN"  # the bench's callers press 1 for Mandarin at the product's language question
CONNECTING = "正在为您接通客服代表。"  # ivr/prompts.py CONNECTING
RING_TIMEOUT = 20  # the old bridge's <Dial timeout>
EMPTY = "<?xml version='1.0' encoding='UTF-8'?><Response />"


def dial_app() -> Starlette:
    """The old path's TwiML and its accept; settings from the environment (see bench/calls_setup.py)."""
    token, public = os.environ["TWILIO_AUTH_TOKEN"], os.environ["PUBLIC_BASE_URL"].rstrip("/")
    client = Client(
        os.environ["TWILIO_ACCOUNT_SID"], token, http_client=BaseUrlHttpClient(os.environ["TWILIO_API_BASE"])
    )

    def url(path: str, **query: object) -> str:
        return public + path + (f"?{urlencode(query)}" if query else "")

    async def signed(request: Request) -> bool:
        """Twilio's signature over our public URL, as ivr/webhook.py checks it."""
        form = parse_form(await request.body())
        query = request.url.query
        target = public + request.url.path + (f"?{query}" if query else "")
        return form_signature(token, target, form) == request.headers.get("X-Twilio-Signature", "")

    async def connect(request: Request) -> Response:
        """Bridge the caller to the agent's browser phone, recording both sides from the answer."""
        if not await signed(request):
            return PlainTextResponse("bad signature", status_code=403)
        contact, agent = request.query_params["contact"], request.query_params["agent"]
        response = VoiceResponse()
        response.say(CONNECTING, language=LANGUAGE, voice=VOICES[LANGUAGE])
        dial = Dial(
            action=url("/dial-result", contact=contact),
            method="POST",
            timeout=RING_TIMEOUT,
            record="record-from-answer-dual",
            recording_status_callback=url("/recording", contact=contact),
            recording_status_callback_method="POST",
            recording_status_callback_event="completed absent",
        )
        dial.client(f"agent-{agent}")
        response.append(dial)
        return Response(str(response), media_type="application/xml")

    async def acknowledged(request: Request) -> Response:
        """Webhooks whose answer does not matter here (the dial's result, its recording)."""
        if not await signed(request):
            return PlainTextResponse("bad signature", status_code=403)
        return Response(EMPTY, media_type="application/xml")

    async def accept(request: Request) -> Response:
        """The agent accepted: Twilio moves the queued call to /connect (a blocking REST call, in a thread)."""
        body = await request.json()
        target = url("/connect", contact=body["contact"], agent=body["agent"])
        call = client.calls(str(body["call_sid"]))
        await run_in_threadpool(lambda: call.update(url=target, method="POST"))
        return JSONResponse({"ok": True})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    post = ["POST"]
    return Starlette(
        routes=[
            Route("/connect", connect, methods=post),
            *(Route(path, acknowledged, methods=post) for path in ("/dial-result", "/recording")),
            Route("/accept", accept, methods=post),
            Route("/healthz", healthz),
        ]
    )
