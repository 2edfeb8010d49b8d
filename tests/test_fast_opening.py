"""FastOpening answers a signed new call with the flow's opening itself, and hands every other
request to the app unchanged, body included."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from starlette.types import Message, Receive, Scope, Send
from twilio.request_validator import RequestValidator

from ivr.call import STARTED
from ivr.fast_opening import FastOpening


def run(scope: Scope, messages: list[Message]) -> tuple[list[Message], list[Message]]:
    """What the app behind the middleware received, and what was sent back."""
    received: list[Message] = []
    sent: list[Message] = []
    incoming = iter(messages)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while not received or received[-1].get("more_body"):
            received.append(await receive())
        await send({"type": "http.response.start", "status": 204, "headers": []})

    async def receive() -> Message:
        return next(incoming)

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(FastOpening(app)(scope, receive, send))
    return received, sent


def http(path: str, method: str = "POST") -> Scope:
    return {"type": "http", "path": path, "method": method, "headers": [], "query_string": b""}


def test_other_paths_and_methods_pass_untouched() -> None:
    for scope in (http("/twilio/voice/gather"), http("/twilio/voice", "GET")):
        received, sent = run(scope, [{"type": "http.request", "body": b"a=1", "more_body": False}])
        assert received == [{"type": "http.request", "body": b"a=1", "more_body": False}]
        assert sent[0]["status"] == 204


def test_a_body_in_pieces_reaches_the_route_whole_and_in_order() -> None:
    pieces: list[Message] = [
        {"type": "http.request", "body": b"CallSid=CA1&Fr", "more_body": True},
        {"type": "http.request", "body": b"om=%2B8613912345678", "more_body": False},
    ]
    received, sent = run(http("/twilio/voice"), pieces)
    assert received == pieces and sent[0]["status"] == 204


def test_a_client_gone_before_its_body_reaches_the_route_as_a_disconnect() -> None:
    received, _ = run(http("/twilio/voice"), [{"type": "http.disconnect"}])
    assert received == [{"type": "http.disconnect"}]


class OneFlow:
    """Flows whose opening is a fixed template (what FastOpening asks of the registry)."""

    def refresh_due(self) -> bool:
        return False

    def for_number(self, number: str) -> str:
        if number != HOTLINE:
            raise LookupError(number)
        return "hotline"

    def derived(self, flow: str, name: str, make: object) -> str:
        return f"<Response><Say>{flow}</Say><Gather action='/g?started={STARTED}'/></Response>"


TOKEN = "fast-opening-token"
HOTLINE = "+862180000000"
SERVICES = SimpleNamespace(
    flows=OneFlow(), settings=SimpleNamespace(public_base_url="https://hotline.example.com", twilio_auth_token=TOKEN)
)


def signed_call(*, to: str = HOTLINE, token: str = TOKEN, query: bytes = b"") -> tuple[Scope, list[Message]]:
    params = {"CallSid": "CA" + "1" * 32, "From": "+8613912345678", "To": to, "CallStatus": "ringing"}
    signature = RequestValidator(token).compute_signature("https://hotline.example.com/twilio/voice", params)
    scope = {
        **http("/twilio/voice"),
        "query_string": query,
        "app": SimpleNamespace(state=SimpleNamespace(services=SERVICES)),
        "headers": [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"x-twilio-signature", signature.encode()),
        ],
    }
    return scope, [{"type": "http.request", "body": urlencode(params).encode(), "more_body": False}]


def test_a_signed_new_call_hears_the_opening_without_the_app() -> None:
    before = int(time.time() * 1000)
    received, sent = run(*signed_call())
    assert received == []  # the app behind never saw it
    assert sent[0]["status"] == 200 and (b"content-type", b"application/xml") in sent[0]["headers"]
    body = sent[1]["body"].decode()
    assert body.startswith("<Response><Say>hotline</Say>")
    assert before <= int(body.split("started=")[1].split("'")[0]) <= int(time.time() * 1000)


@pytest.mark.parametrize(
    "call",
    [
        signed_call(token="another-token"),  # a bad signature: the route answers 403
        signed_call(to="+861000000000"),  # no flow for that number: the route answers 404
        signed_call(query=b"x=1"),  # not the URL Twilio calls for a new call
    ],
    ids=["bad signature", "unknown number", "query string"],
)
def test_anything_else_goes_to_the_app(call: tuple[Scope, list[Message]]) -> None:
    received, sent = run(*call)
    assert received == call[1] and sent[0]["status"] == 204
