"""Control API for the far ends of calls: client devices (agents' browser phones) and simulated phones."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .clients import IDENTITY_RE, DeviceCall
from .config import E164_RE
from .control_api import BadRequest, error, json_body
from .phones import parse_phone
from .sandbox import Sandbox
from .script import ScriptError
from .signals import AgentHangup


class DeviceApi:
    """Request handlers for /sandbox/clients/* and /sandbox/phones/*, bound to one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[Route]:
        """Starlette routes of the device API."""
        client = "/sandbox/clients/{identity}"
        return [
            Route(f"{client}/register", self.register, methods=["POST", "DELETE"]),
            Route(f"{client}/calls", self.device_calls, methods=["GET"]),
            Route(f"{client}/calls/{{call_sid}}/{{action}}", self.device_action, methods=["POST"]),
            Route("/sandbox/phones", self.list_phones, methods=["GET"]),
            Route("/sandbox/phones/{number}", self.phone, methods=["GET", "POST", "DELETE"]),
        ]

    # -- client devices ----------------------------------------------------------------

    def _identity(self, request: Request) -> str | None:
        """The identity in the path, if it is a valid client name."""
        identity: str = request.path_params["identity"]
        return identity if IDENTITY_RE.match(identity) else None

    async def register(self, request: Request) -> Response:
        """POST (keep alive, re-POST every ~30 s) or DELETE a device registration."""
        identity = self._identity(request)
        if identity is None:
            return error(400, "identity must be 1-121 letters, digits or _ . @ : -")
        if request.method == "DELETE":
            registered = self.sandbox.clients.unregister(identity)
            return JSONResponse({"identity": identity, "registered": False, "was_registered": registered})
        return JSONResponse({"identity": identity, "expires_in": self.sandbox.clients.register(identity)})

    async def device_calls(self, request: Request) -> Response:
        """GET the calls ringing or connected on a device."""
        identity = self._identity(request)
        if identity is None:
            return error(400, "identity must be 1-121 letters, digits or _ . @ : -")
        return JSONResponse([device_call.to_json() for device_call in self.sandbox.clients.calls(identity)])

    async def device_action(self, request: Request) -> Response:
        """POST .../calls/{call_sid}/answer | reject | hangup | mute {"muted": bool}."""
        identity = self._identity(request)
        device_call = self.sandbox.clients.find(identity or "", request.path_params["call_sid"])
        action = request.path_params["action"]
        if action not in ("answer", "reject", "hangup", "mute"):
            return error(404, "unknown action: use answer, reject, hangup or mute")
        if device_call is None:
            return error(404, "no such call ringing or connected on this device")
        if action == "mute":
            return await self._mute(request, device_call)
        accepted = self._apply(device_call, action)
        if not accepted:
            return error(409, f"cannot {action} a call that is {device_call.status}")
        return JSONResponse(device_call.to_json())

    def _apply(self, device_call: DeviceCall, action: str) -> bool:
        """Answer, reject or hang up; hanging up a ringing call rejects it."""
        clients = self.sandbox.clients
        if action == "answer":
            return clients.decide(device_call, "answered")
        if action == "reject" or device_call.status == "ringing":
            return clients.decide(device_call, "rejected")
        if device_call.leg:  # the device hangs up its own call (a conference participant leg)
            return self.sandbox.hang_up(device_call.call, by="client")
        return self.sandbox.signal(device_call.call, AgentHangup("agent hung up"))

    async def _mute(self, request: Request, device_call: DeviceCall) -> Response:
        """Mute or unmute the agent's microphone (logged on the call; the sandbox carries no audio)."""
        try:
            body = await json_body(request)
        except BadRequest as exc:
            return error(400, str(exc))
        muted = body.get("muted") if isinstance(body, dict) else None
        if not isinstance(muted, bool):
            return error(400, 'body must be {"muted": true} or {"muted": false}')
        if device_call.status != "in-progress":
            return error(409, "only a connected call can be muted")
        device_call.muted = muted
        device_call.call.record("client-mute", client=device_call.identity, muted=muted)
        return JSONResponse(device_call.to_json())

    # -- simulated phones --------------------------------------------------------------

    async def list_phones(self, request: Request) -> Response:
        """GET every number with a configured behaviour."""
        return JSONResponse({"phones": self.sandbox.phones.snapshot()})

    async def phone(self, request: Request) -> Response:
        """GET, POST (set) or DELETE (reset) how the phone at one number behaves."""
        number: str = request.path_params["number"]
        if not E164_RE.match(number):
            return error(400, "the number must be in E.164 format, such as +8613912345678")
        if request.method == "POST":
            try:
                self.sandbox.phones.set(number, parse_phone(await json_body(request)))
            except (BadRequest, ScriptError) as exc:
                return error(400, str(exc))
        elif request.method == "DELETE":
            self.sandbox.phones.reset(number)
        return JSONResponse({"number": number, **self.sandbox.phones.get(number).to_json()})
