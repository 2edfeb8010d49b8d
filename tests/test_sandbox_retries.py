"""The sandbox delivers webhooks as Twilio does with connection overrides (`#rc=…&rp=…` after the URL:
retried on the failures the policy names, the fragment never sent nor signed) and without them (Twilio's
default: a 5xx is not retried), and asks a number's voice fallback URL, with ErrorCode and ErrorUrl,
when the call's TwiML cannot be had."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from tests.hotline import ACCOUNT_SID, AUTH_TOKEN, CALLER, ServerThread, events
from tests.serving import listening_socket
from twilio_sandbox import NumberConfig, SandboxConfig, create_sandbox_app, place_call, wait_for_call
from twilio_sandbox.cli import numbers_from
from twilio_sandbox.overrides import split_overrides

RETRIED = "+8657100000201"  # status callback with overrides
PLAIN = "+8657100000202"  # status callback without
FALLING = "+8657100000203"  # a voice URL that fails, and a fallback URL
UNREACHABLE = "+8657100000204"  # a voice URL nothing listens at, and a fallback URL
OVERRIDES = "#rc=3&rp=5xx,ct&ct=1000"


@dataclass
class FlakyApp:
    """Answers each path with the statuses queued for it (then 200 and its TwiML); checks every signature
    against the URL it was requested at, as an app behind Twilio does."""

    failures: dict[str, list[int]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    bad_signatures: int = 0

    def received(self, path: str, call_sid: str) -> list[tuple[dict[str, str], dict[str, str]]]:
        return [
            (params, headers) for p, params, headers in self.requests if p == path and params["CallSid"] == call_sid
        ]

    async def handle(self, request: Request) -> Response:
        params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        if not RequestValidator(AUTH_TOKEN).validate(str(request.url), params, request.headers["X-Twilio-Signature"]):
            self.bad_signatures += 1
            return Response("bad signature", status_code=403)
        path = request.url.path
        self.requests.append((path, params, dict(request.headers)))
        queued = self.failures.get(path, [])
        if queued:
            return Response("not now", status_code=queued.pop(0))
        if path == "/fallback" and params["ErrorUrl"].startswith(str(request.base_url)):
            # Hold music, then the document that failed, once more.
            twiml = f"<Response><Play>/music.wav</Play><Redirect>{params['ErrorUrl']}</Redirect></Response>"
        elif path == "/fallback":
            twiml = "<Response><Say>请稍后再拨。</Say></Response>"
        else:
            twiml = "<Response><Say>您好</Say></Response>"
        return Response(twiml, media_type="application/xml")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FlakyApp, str]]:
    app = FlakyApp()
    app_sock, sandbox_sock, dead_sock = listening_socket(), listening_socket(), listening_socket()
    app_url, sandbox_url, dead_url = (
        f"http://127.0.0.1:{s.getsockname()[1]}" for s in (app_sock, sandbox_sock, dead_sock)
    )
    dead_sock.close()  # nothing listens there: connection refused
    numbers = {
        RETRIED: NumberConfig(app_url + "/ok", status_callback=app_url + "/status" + OVERRIDES),
        PLAIN: NumberConfig(app_url + "/ok", status_callback=app_url + "/status"),
        FALLING: NumberConfig(app_url + "/voice", voice_fallback_url=app_url + "/fallback"),
        UNREACHABLE: NumberConfig(dead_url + "/voice", voice_fallback_url=app_url + "/fallback"),
    }
    config = SandboxConfig(ACCOUNT_SID, AUTH_TOKEN, sandbox_url, numbers, Path(tmp_path_factory.mktemp("rec")))
    routes = [Route("/{name:path}", app.handle, methods=["GET", "POST"])]
    with ServerThread(Starlette(routes=routes), app_sock), ServerThread(create_sandbox_app(config), sandbox_sock):
        yield app, sandbox_url
    assert app.bad_signatures == 0


def _call(served: tuple[FlakyApp, str], to: str, **failures: list[int]) -> dict[str, Any]:
    """A call to `to`, finished, the app first answering each path (`status=[503]`) with those statuses."""
    app, sandbox_url = served
    app.failures.update({"/" + path: statuses for path, statuses in failures.items()})
    return wait_for_call(sandbox_url, place_call(sandbox_url, from_=CALLER, to=to), timeout=20)


def _status_callback(call: dict[str, Any]) -> dict[str, Any]:
    (callback,) = [e for e in events(call, "webhook") if e["kind"] == "status-callback"]
    return callback


def test_a_status_callback_answered_503_is_retried_as_its_overrides_say_signed_without_the_fragment(
    served: tuple[FlakyApp, str],
) -> None:
    call = _call(served, RETRIED, status=[503, 503])

    tries = served[0].received("/status", call["call_sid"])
    assert [params["CallStatus"] for params, _ in tries] == ["completed"] * 3  # two 503s, then it landed
    tokens = {headers["i-twilio-idempotency-token"] for _, headers in tries}
    assert len(tokens) == 1  # one delivery, tried three times
    callback = _status_callback(call)
    assert callback["status"] == 200 and callback["attempts"] == 3
    assert callback["url"].endswith("/status" + OVERRIDES)  # the URL as given; the request went without it


def test_a_status_callback_without_overrides_is_not_retried_on_a_5xx_as_twilio_by_default(
    served: tuple[FlakyApp, str],
) -> None:
    call = _call(served, PLAIN, status=[503])

    assert len(served[0].received("/status", call["call_sid"])) == 1
    assert _status_callback(call)["status"] == 503 and "attempts" not in _status_callback(call)


def test_a_voice_url_answering_500_goes_to_the_fallback_url_with_error_code_and_url_and_the_call_goes_on(
    served: tuple[FlakyApp, str],
) -> None:
    app = served[0]
    call = _call(served, FALLING, voice=[500])

    ((fallback, _),) = app.received("/fallback", call["call_sid"])
    assert fallback["ErrorCode"] == "11200" and fallback["ErrorUrl"].endswith("/voice")
    assert fallback["From"] == CALLER and fallback["CallStatus"] in ("ringing", "in-progress")
    assert len(app.received("/voice", call["call_sid"])) == 2  # failed, then asked again by the fallback's Redirect
    assert [e["text"] for e in events(call, "say")] == ["您好"]
    assert not events(call, "application-error") and call["status"] == "completed"


def test_a_voice_url_nobody_answers_goes_to_the_fallback_with_a_connection_error(
    served: tuple[FlakyApp, str],
) -> None:
    app = served[0]
    call = _call(served, UNREACHABLE)

    ((fallback, _),) = app.received("/fallback", call["call_sid"])
    assert fallback["ErrorCode"] == "11205" and fallback["ErrorUrl"].endswith("/voice")
    assert events(call, "fallback")[0]["error_code"] == "11205"
    assert [e["text"] for e in events(call, "say")] == ["请稍后再拨。"]
    assert not events(call, "application-error") and call["status"] == "completed"


def test_connection_overrides_are_read_within_twilios_limits() -> None:
    default = httpx.Timeout(10.0)
    url, overrides = split_overrides("https://cc.example/cb?x=1#rc=9&rp=all&ct=50&rt=20000&tt=3000&e=tokyo", default)
    assert url == "https://cc.example/cb?x=1"
    assert overrides.retries == 5 and overrides.policy == {"4xx", "5xx", "ct", "rt"}
    assert (overrides.connect_timeout, overrides.read_timeout, overrides.total_seconds) == (0.1, 15.0, 3.0)
    url, overrides = split_overrides("https://cc.example/cb", default)
    assert url == "https://cc.example/cb" and overrides.retries == 1 and overrides.policy == {"ct"}
    assert (overrides.connect_timeout, overrides.read_timeout, overrides.total_seconds) == (10.0, 10.0, 15.0)


def test_a_number_on_the_command_line_takes_a_fallback_url_after_its_status_callback() -> None:
    numbers = numbers_from(
        [[RETRIED, "https://cc/v", "https://cc/s#rc=2", "https://cc/f"], [PLAIN, "https://cc/v", "-", "https://cc/f"]]
    )
    assert numbers[RETRIED] == NumberConfig("https://cc/v", "https://cc/s#rc=2", "https://cc/f")
    assert numbers[PLAIN] == NumberConfig("https://cc/v", None, "https://cc/f")
