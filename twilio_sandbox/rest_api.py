"""The subset of Twilio's 2010-04-01 REST API that the app calls."""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
import wave
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .audio import mono_mix
from .calls import Call
from .faults import SLOW_FETCH_SECONDS, SLOW_REDIRECT_SECONDS
from .ids import API_VERSION, rfc2822, utcnow
from .rest_calls import CreateError, parse_create
from .sandbox import Sandbox
from .signals import Fetch

RECORDING_SID_RE = re.compile(r"^RE[0-9a-fA-F]{32}$")
MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


def twilio_error(status: int, code: int, message: str) -> JSONResponse:
    """An error body shaped like Twilio's (what twilio-python turns into TwilioRestException)."""
    return JSONResponse(
        {"code": code, "message": message, "more_info": MORE_INFO.format(code=code), "status": status},
        status_code=status,
    )


def not_found(path: str) -> JSONResponse:
    """Twilio's 20404 answer."""
    return twilio_error(404, 20404, f"The requested resource {path} was not found")


def call_resource(sandbox: Sandbox, call: Call, status: str | None = None) -> dict[str, Any]:
    """Twilio-shaped JSON of a call resource."""
    account = sandbox.config.account_sid
    uri = f"/{API_VERSION}/Accounts/{account}/Calls/{call.sid}"
    ended_at = call.ended_at or (utcnow() if status else None)
    return {
        "sid": call.sid,
        "account_sid": account,
        "parent_call_sid": None,
        "date_created": rfc2822(call.created_at),
        "date_updated": rfc2822(utcnow()),
        "to": call.to,
        "to_formatted": call.to,
        "from": call.from_,
        "from_formatted": call.from_,
        "phone_number_sid": None,
        "status": status or call.status,
        # An inbound call starts when it reaches Twilio; an outbound one only once it is answered.
        "start_time": rfc2822(call.answered_at or (call.created_at if call.direction == "inbound" else None)),
        "end_time": rfc2822(ended_at),
        "duration": None if call.duration is None else str(call.duration),
        "price": None,
        "price_unit": "USD",
        "direction": call.direction,
        "answered_by": None,
        "api_version": API_VERSION,
        "forwarded_from": None,
        "group_sid": None,
        "caller_name": None,
        "queue_time": "0",
        "trunk_sid": None,
        "uri": uri + ".json",
        "subresource_uris": {"recordings": uri + "/Recordings.json"},
    }


def list_page(key: str, items: list[dict[str, Any]], path: str) -> dict[str, Any]:
    """A list answer with Twilio's paging fields, everything on one page."""
    return {
        key: items,
        "page": 0,
        "page_size": len(items),
        "start": 0,
        "end": max(0, len(items) - 1),
        "first_page_uri": path,
        "next_page_uri": None,
        "previous_page_uri": None,
        "uri": path,
    }


class RestApi:
    """Request handlers for the Twilio REST subset, bound to one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[Route]:
        """Starlette routes of the REST API."""
        base = f"/{API_VERSION}/Accounts/{{account_sid}}"
        return [
            Route(f"{base}/Calls.json", self.list_calls, methods=["GET"]),
            Route(f"{base}/Calls.json", self.create_call, methods=["POST"]),
            Route(f"{base}/Calls/{{call_sid}}.json", self.call, methods=["GET", "POST"]),
            Route(f"{base}/Recordings/{{name}}", self.recording, methods=["GET"]),
        ]

    def authorize(self, request: Request) -> Response | None:
        """Check HTTP Basic auth and the account in the path; an error response if wrong."""
        config = self.sandbox.config
        scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
        try:
            username, _, password = base64.b64decode(encoded).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            username = password = ""
        valid = (
            scheme.lower() == "basic"
            and secrets.compare_digest(username.encode(), config.account_sid.encode())
            and secrets.compare_digest(password.encode(), config.auth_token.encode())
        )
        if not valid:
            return twilio_error(401, 20003, "Authenticate")
        if request.path_params["account_sid"] != config.account_sid:
            return not_found(request.url.path)
        return None

    async def list_calls(self, request: Request) -> Response:
        """GET Calls.json: the calls, newest first."""
        if (denied := self.authorize(request)) is not None:
            return denied
        calls = sorted(self.sandbox.calls.values(), key=lambda c: c.created_at, reverse=True)
        return JSONResponse(list_page("calls", [call_resource(self.sandbox, call) for call in calls], request.url.path))

    async def create_call(self, request: Request) -> Response:
        """POST Calls.json: place an outbound call to a simulated phone; 201 with the queued call."""
        if (denied := self.authorize(request)) is not None:
            return denied
        pairs = parse_qsl((await request.body()).decode(errors="replace"), keep_blank_values=True)
        try:
            req = parse_create(pairs, set(self.sandbox.config.numbers))
        except CreateError as exc:
            return twilio_error(400, exc.code, str(exc))
        try:
            call = self.sandbox.place_outbound(
                from_=req.from_, to=req.to, first=req.first, status_callback=req.status_callback, timeout=req.timeout
            )
        except RuntimeError as exc:
            return twilio_error(503, 20503, str(exc))
        return JSONResponse(call_resource(self.sandbox, call), status_code=201)

    async def call(self, request: Request) -> Response:
        """GET or POST (update) Calls/{CallSid}.json."""
        if (denied := self.authorize(request)) is not None:
            return denied
        call = self.sandbox.calls.get(request.path_params["call_sid"])
        if call is None:
            return not_found(request.url.path)
        if request.method == "GET":
            return JSONResponse(call_resource(self.sandbox, call))
        form = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        if form.get("Url") is not None and self.sandbox.faults.take_slow_call_redirect():
            await asyncio.sleep(SLOW_REDIRECT_SECONDS)  # the client may have given up: Twilio acts all the same
        return self._update(call, form)

    def _update(self, call: Call, form: dict[str, str]) -> Response:
        """Apply Status / Url / Twiml to a call, as Twilio's call update does."""
        status = form.get("Status")
        if status is not None:
            if status not in ("completed", "canceled"):
                return twilio_error(400, 21218, f"Invalid Status: {status}")
            if call.final or not call.live:
                return JSONResponse(call_resource(self.sandbox, call))
            answered = call.status == "in-progress"
            if status == "canceled" and answered:
                # Twilio only cancels calls that are still queued or ringing.
                return JSONResponse(call_resource(self.sandbox, call))
            final = "completed" if answered else "canceled"
            self.sandbox.hang_up(call, by="api", status=final)
            return JSONResponse(call_resource(self.sandbox, call, status=final))
        url, twiml = form.get("Url"), form.get("Twiml")
        if url is None and twiml is None:
            return twilio_error(400, 20001, "Missing required parameter: Url, Twiml or Status")
        if url is not None and urlsplit(url).scheme not in ("http", "https"):
            return twilio_error(400, 21205, f"Url is not a valid URL: {url}")
        if self.sandbox.faults.take_call_redirect_failure():
            return twilio_error(500, 20500, "An internal server error has occurred")
        method = (form.get("Method") or "POST").upper()
        fetch = Fetch(url if twiml is None else None, method, twiml, kind="rest-redirect")
        if not self.sandbox.redirect(call, fetch):
            return twilio_error(400, 21220, "Call is not in-progress. Cannot redirect.")
        return JSONResponse(call_resource(self.sandbox, call))

    async def recording(self, request: Request) -> Response:
        """GET Recordings/{RecordingSid}.json (metadata) or .wav / no extension (audio)."""
        if (denied := self.authorize(request)) is not None:
            return denied
        name: str = request.path_params["name"]
        sid, dot, extension = name.partition(".")
        if not RECORDING_SID_RE.match(sid) or extension not in ("", "json", "wav"):
            return not_found(request.url.path)
        recording = self.sandbox.recordings.get(sid)
        if extension == "json":
            if recording is None:
                return not_found(request.url.path)
            return JSONResponse(recording.to_resource(self.sandbox.config.public_url))
        # Files of earlier sandbox runs stay downloadable, e.g. after a demo restart.
        path = recording.path if recording else self.sandbox.config.recordings_dir / f"{sid}.wav"
        if not path.is_file():
            return not_found(request.url.path)
        if self.sandbox.faults.take_recording_fetch_failure():
            return twilio_error(500, 20500, "Internal Server Error (injected by the sandbox)")
        if self.sandbox.faults.take_slow_recording_fetch():
            await asyncio.sleep(SLOW_FETCH_SECONDS)
        conference = recording is not None and recording.source == "Conference"
        return channels_asked(path, request.query_params.get("RequestedChannels"), conference=conference)


def channels_asked(path: Path, requested: str | None, *, conference: bool) -> Response:
    """The recording as Twilio serves it: a conference's two channels as their mono mix unless RequestedChannels=2
    asks for both (a call's two-channel recording comes as it is); two channels of a mono recording are refused
    (Twilio's warning 16113)."""
    with wave.open(str(path), "rb") as wav:
        channels = wav.getnchannels()
    if requested not in (None, "1", "2"):
        return twilio_error(400, 20001, "RequestedChannels must be 1 or 2")
    if requested == "2" and channels == 1:
        return twilio_error(400, 16113, "Cannot download a dual-channel presentation of a mono recording")
    if requested == "2" or channels == 1 or not conference:
        return FileResponse(path, media_type="audio/x-wav")
    return Response(mono_mix(path), media_type="audio/x-wav")
