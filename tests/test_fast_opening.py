"""FastOpening hands every request it does not answer to the app unchanged, body included."""

from __future__ import annotations

import asyncio

from starlette.types import Message, Receive, Scope, Send

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
    pieces = [
        {"type": "http.request", "body": b"CallSid=CA1&Fr", "more_body": True},
        {"type": "http.request", "body": b"om=%2B8613912345678", "more_body": False},
    ]
    received, sent = run(http("/twilio/voice"), pieces)
    assert received == pieces and sent[0]["status"] == 204


def test_a_client_gone_before_its_body_reaches_the_route_as_a_disconnect() -> None:
    received, _ = run(http("/twilio/voice"), [{"type": "http.disconnect"}])
    assert received == [{"type": "http.disconnect"}]
