"""The browser phone (agents; supervisors and QA staff listening in): a Voice SDK access token with real
Twilio, the sandbox's address otherwise.

`GET /api/voice/token` answers one of
  {"mode": "twilio", "token", "identity", "expires_in", "renew_after"}
  {"mode": "sandbox", "identity", "sandbox_url"}
and the console's phone.js picks its implementation from "mode". The identity is the one an accepted
call's conference calls (`client:agent-N`, agents/conference.py), so the phone that registers under
it is the one that rings.
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from twilio.jwt.access_token import AccessToken
from twilio.jwt.access_token.grants import VoiceGrant
from twilio.twiml.voice_response import VoiceResponse

from contactcenter.access import Policy, route
from contactcenter.access.rules import TWILIO
from contactcenter.audit.service import record_event
from contactcenter.context import Services
from contactcenter.errors import Unavailable
from contactcenter.responses import JSONResponse
from contactcenter.settings import REAL_TWILIO_API, Settings
from contactcenter.users.auth import AGENT_ROLES, MONITOR_ROLES, CurrentUser, require_user
from contactcenter.users.models import User
from ivr.twiml import VOICES
from ivr.webhook import Params, require, webhook

# Who gets a browser phone: the roles routing offers calls to (the console websocket admits the same), and
# those who listen in to calls with it (agents/monitoring.py). QA staff are only ever called into a room
# they asked to listen to: they have no console, no routing state, and routing never offers them a call.
PHONE_ROLES = AGENT_ROLES | MONITOR_ROLES
PHONE = Policy("user", PHONE_ROLES, note="agents, and those who listen in to calls")
# Renew a minute before expiry: long enough for a slow network, short enough not to waste the token.
RENEW_MARGIN_SECONDS = 60
REQUIRED = {
    "TWILIO_ACCOUNT_SID": "twilio_account_sid",
    "TWILIO_API_KEY": "twilio_api_key",
    "TWILIO_API_SECRET": "twilio_api_secret",
    "TWILIO_TWIML_APP_SID": "twilio_twiml_app_sid",
}
# Pasting the account SID where the key SID goes is the classic mistake; Twilio would only say "invalid token".
SID_FORMATS = {
    "TWILIO_API_KEY": ("twilio_api_key", re.compile(r"^SK[0-9a-f]{32}$"), "an API key SID (SK…)"),
    "TWILIO_TWIML_APP_SID": ("twilio_twiml_app_sid", re.compile(r"^AP[0-9a-f]{32}$"), "a TwiML app SID (AP…)"),
}
# A credential: no cache (browser or proxy) may keep it or hand it to someone else.
NO_STORE = {"Cache-Control": "no-store"}
NO_OUTGOING_CALLS = {
    "zh-CN": "坐席工作台不能拨打外线电话,再见。",
    "en": "Outgoing calls from the agent console are not enabled. Goodbye.",
}


class VoiceUnavailable(Unavailable):
    """No browser phone can be set up; the message names the settings to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message, headers=NO_STORE)


def is_sandbox(settings: Settings) -> bool:
    """Any REST base other than Twilio's own is the sandbox (that is how `run` starts it)."""
    return settings.twilio_api != REAL_TWILIO_API


def renew_after(ttl: int) -> int:
    """When the console should fetch a new token: a minute before expiry, or halfway through a short one."""
    return ttl - min(RENEW_MARGIN_SECONDS, ttl // 2)


def configuration_problems(settings: Settings) -> list[str]:
    """What keeps real Twilio from accepting our tokens, one line per setting; empty when all is well."""
    missing = [env for env, field in REQUIRED.items() if not getattr(settings, field)]
    if missing:
        return [f"set {', '.join(missing)} (see docs/console.md, Browser phone)"]
    return [
        f"{env} must be {meaning}"
        for env, (field, pattern, meaning) in SID_FORMATS.items()
        if not pattern.match(getattr(settings, field))
    ]


def access_token(settings: Settings, *, identity: str, now: int) -> str:
    """A Voice SDK access token for one identity: may receive calls, valid from `now` for the TTL setting."""
    ttl = settings.voice_token_ttl_seconds
    token = AccessToken(
        settings.twilio_account_sid,
        settings.twilio_api_key,
        settings.twilio_api_secret,
        identity=identity,
        # Both ends from one clock reading: twilio reads the clock once per claim otherwise.
        nbf=now,
        ttl=ttl,
        valid_until=now + ttl,
    )
    token.add_grant(VoiceGrant(incoming_allow=True, outgoing_application_sid=settings.twilio_twiml_app_sid))
    return str(token.to_jwt())


def phone_config(services: Services, *, user: CurrentUser, client: str) -> dict[str, Any]:
    """What the console needs to start its phone; raises VoiceUnavailable when real Twilio is half set up."""
    settings = services.settings
    problems = [] if is_sandbox(settings) else configuration_problems(settings)
    if problems:
        raise VoiceUnavailable("Twilio settings missing or wrong: " + "; ".join(problems) + ".")
    with services.db.session() as session:
        identity = session.get_one(User, user.id).client_identity
        if is_sandbox(settings):
            return {"mode": "sandbox", "identity": identity, "sandbox_url": settings.twilio_api}
        token = access_token(settings, identity=identity, now=int(time.time()))
        # A token lets a browser take calls as this agent: who got one, and from where, is worth keeping.
        record_event(
            session,
            actor=f"user:{user.id}",
            subject_type="user",
            subject_id=user.id,
            kind="voice_token_issued",
            identity=identity,
            ttl=settings.voice_token_ttl_seconds,
            client=client,
        )
    ttl = settings.voice_token_ttl_seconds
    return {"mode": "twilio", "token": token, "identity": identity, "expires_in": ttl, "renew_after": renew_after(ttl)}


async def token_endpoint(request: Request) -> Response:
    user = await require_user(request, PHONE_ROLES)
    client = request.client.host if request.client else "unknown"
    body = await run_in_threadpool(phone_config, request.app.state.services, user=user, client=client)
    return JSONResponse(body, headers=NO_STORE, viewer=user)


def outgoing_call(services: Services, request: Request, params: Params) -> str:
    """The TwiML app's Voice URL. The console only takes calls, so a browser dialling out is told so."""
    require(params, "CallSid")
    response = VoiceResponse()
    for language, text in NO_OUTGOING_CALLS.items():
        response.say(text, language=language, voice=VOICES.get(language))
    response.hangup()
    return str(response)


routes = [
    route("/api/voice/token", token_endpoint, methods=["GET"], policy=PHONE),
    route("/twilio/voice/agent-outgoing", webhook(outgoing_call), methods=["POST"], policy=TWILIO),
]
