"""The sandbox's own JSON control API: place calls, watch them, inject faults."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .caller import Caller
from .config import E164_RE
from .sandbox import Sandbox
from .script import ScriptError, parse_live_input, parse_script, seconds_field
from .signals import AgentHangup

FAULTS = (
    "recording_fetch_failures",
    "client_call_failures",
    "slow_participant_answers",
    "call_redirect_failures",
    "slow_call_redirects",
    "slow_recording_fetches",
)


class BadRequest(ValueError):
    """The control request is malformed; the message is shown to the client."""


@dataclass(frozen=True)
class CallRequest:
    """A validated POST /sandbox/calls body."""

    from_: str
    to: str
    caller: Caller


def error(status: int, message: str) -> JSONResponse:
    """A control API error body."""
    return JSONResponse({"error": message}, status_code=status)


async def json_body(request: Request) -> object:
    """Decoded JSON body (an empty body counts as {}); BadRequest if it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from exc


def _phone(body: dict[str, Any], key: str) -> str:
    """A required E.164 phone number."""
    value = body.get(key)
    if not isinstance(value, str) or not E164_RE.match(value):
        raise BadRequest(f"'{key}' must be an E.164 phone number such as +8613800138000")
    return value


def parse_call_request(body: object, numbers: set[str]) -> CallRequest:
    """Validate a POST /sandbox/calls body; raise BadRequest with a readable message."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = set(body) - {"from", "to", "digits", "hangup_after_queue", "talk_seconds", "interactive"}
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(sorted(unknown))}")
    from_, to = _phone(body, "from"), _phone(body, "to")
    if to not in numbers:
        known = ", ".join(sorted(numbers)) or "none"
        raise BadRequest(f"'to' {to} is not a sandbox number (configured: {known})")
    interactive = body.get("interactive", False)
    if not isinstance(interactive, bool):
        raise BadRequest("'interactive' must be true or false")
    try:
        script = parse_script(body.get("digits"))
        caller = Caller(
            script,
            interactive=interactive,
            hangup_after_queue=seconds_field(body, "hangup_after_queue"),
            talk_seconds=seconds_field(body, "talk_seconds"),
        )
    except ScriptError as exc:
        raise BadRequest(str(exc)) from exc
    if interactive and script:
        raise BadRequest("an interactive call takes live input: send it to /sandbox/calls/{sid}/input, not 'digits'")
    return CallRequest(from_=from_, to=to, caller=caller)


class ControlApi:
    """Request handlers for /sandbox/*, bound to one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[Route]:
        """Starlette routes of the control API."""
        return [
            Route("/sandbox/calls", self.place_call, methods=["POST"]),
            Route("/sandbox/calls", self.list_calls, methods=["GET"]),
            Route("/sandbox/calls/{call_sid}", self.get_call, methods=["GET"]),
            Route("/sandbox/calls/{call_sid}/hangup", self.hang_up, methods=["POST"]),
            Route("/sandbox/calls/{call_sid}/input", self.send_input, methods=["POST"]),
            Route("/sandbox/queues", self.list_queues, methods=["GET"]),
            Route("/sandbox/conferences", self.list_conferences, methods=["GET"]),
            Route("/sandbox/conferences/{conference_sid}", self.get_conference, methods=["GET"]),
            Route("/sandbox/faults", self.faults, methods=["GET", "POST"]),
        ]

    async def place_call(self, request: Request) -> Response:
        """POST /sandbox/calls: start an inbound call."""
        try:
            req = parse_call_request(await json_body(request), set(self.sandbox.config.numbers))
        except BadRequest as exc:
            return error(400, str(exc))
        try:
            call = self.sandbox.place_call(from_=req.from_, to=req.to, caller=req.caller)
        except RuntimeError as exc:
            return error(503, str(exc))
        return JSONResponse({"call_sid": call.sid}, status_code=201, headers={"Location": f"/sandbox/calls/{call.sid}"})

    async def list_calls(self, request: Request) -> Response:
        """GET /sandbox/calls: every call, newest first."""
        calls = sorted(self.sandbox.calls.values(), key=lambda c: c.created_at, reverse=True)
        return JSONResponse({"calls": [call.to_json() for call in calls]})

    async def get_call(self, request: Request) -> Response:
        """GET /sandbox/calls/{sid}: one call with its log."""
        call = self.sandbox.calls.get(request.path_params["call_sid"])
        if call is None:
            return error(404, "no such call")
        return JSONResponse(call.to_json())

    async def hang_up(self, request: Request) -> Response:
        """POST /sandbox/calls/{sid}/hangup {"side": "caller"|"agent"}: a party hangs up."""
        call = self.sandbox.calls.get(request.path_params["call_sid"])
        if call is None:
            return error(404, "no such call")
        try:
            body = await json_body(request)
        except BadRequest as exc:
            return error(400, str(exc))
        side = body.get("side", "caller") if isinstance(body, dict) else None
        if side == "caller":
            accepted = self.sandbox.hang_up(call, by="caller")
        elif side == "agent":
            accepted = self.sandbox.signal(call, AgentHangup("agent hung up"))
        else:
            return error(400, '\'side\' must be "caller" or "agent"')
        if not accepted:
            return error(409, f"call cannot be hung up by the {side} now (status {call.status})")
        return JSONResponse(call.to_json(), status_code=202)

    async def send_input(self, request: Request) -> Response:
        """POST /sandbox/calls/{sid}/input {"digits": "1"} or {"speech": "..."}: a live caller's input."""
        call = self.sandbox.calls.get(request.path_params["call_sid"])
        if call is None:
            return error(404, "no such call")
        try:
            inputs = parse_live_input(await json_body(request))
        except (BadRequest, ScriptError) as exc:
            return error(400, str(exc))
        if not call.caller.interactive:
            return error(409, 'this call follows a script; place it with "interactive": true to send input')
        if not self.sandbox.send_input(call, inputs):
            return error(409, f"the call has ended (status {call.status})")
        return JSONResponse({"accepted": len(inputs), "pending": len(call.caller.pending)}, status_code=202)

    async def list_queues(self, request: Request) -> Response:
        """GET /sandbox/queues: queues and who is waiting."""
        return JSONResponse({"queues": self.sandbox.queues.snapshot()})

    async def list_conferences(self, request: Request) -> Response:
        """GET /sandbox/conferences: every conference, newest first, with who hears whom."""
        return JSONResponse({"conferences": [c.snapshot() for c in self.sandbox.conferences.all()]})

    async def get_conference(self, request: Request) -> Response:
        """GET /sandbox/conferences/{sid}: one conference, its participants and its log."""
        conference = self.sandbox.conferences.get(request.path_params["conference_sid"])
        if conference is None:
            return error(404, "no such conference")
        return JSONResponse(conference.snapshot())

    async def faults(self, request: Request) -> Response:
        """GET/POST /sandbox/faults: inspect or set injected failures (each counter given is set, not added)."""
        faults = self.sandbox.faults
        if request.method == "POST":
            try:
                body = await json_body(request)
            except BadRequest as exc:
                return error(400, str(exc))
            if not isinstance(body, dict) or not body or set(body) - set(FAULTS):
                return error(400, f"send one or more of {', '.join(FAULTS)}")
            for name, count in body.items():
                if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    return error(400, f"'{name}' must be a non-negative integer")
            for name, count in body.items():
                setattr(faults, name, count)
        return JSONResponse({name: getattr(faults, name) for name in FAULTS})
