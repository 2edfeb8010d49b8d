"""The Twilio sandbox against a fake hotline app, both served over real sockets on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, Enqueue, Gather, VoiceResponse

from tests.serving import listening_socket
from twilio_sandbox import NumberConfig, SandboxConfig, create_sandbox_app

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "sandbox-test-token"
CALLER = "+8613800138000"
IVR = "+8657100000000"
DIRECT = "+8657100000001"
CLOSING = "+8657100000002"
CONFERENCE = "+8657100000003"
BROKEN = "+8657100000009"


class ServerThread:
    """Serve an ASGI app with uvicorn in a background thread."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        config = uvicorn.Config(app, log_level="warning", lifespan="on", loop="asyncio")
        self.server = uvicorn.Server(config)
        self.sock = sock
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll until predicate() is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


class Hotline:
    """A fake contact-center app: validates signatures, records params, returns TwiML."""

    def __init__(self) -> None:
        self.validator = RequestValidator(AUTH_TOKEN)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.bad_signatures = 0
        self.app = Starlette(routes=[Route("/{name:path}", self.handle, methods=["GET", "POST"])])

    def received(self, path: str, call_sid: str | None = None) -> list[dict[str, str]]:
        """Params of the requests to `path` (optionally for one call)."""
        return [
            params
            for p, params in list(self.requests)
            if p == path and (call_sid is None or params.get("CallSid") == call_sid)
        ]

    async def handle(self, request: Request) -> Response:
        """Check the signature, store the params, answer with TwiML."""
        body = (await request.body()).decode()
        params = dict(parse_qsl(body, keep_blank_values=True))
        signature = request.headers.get("X-Twilio-Signature", "")
        if not self.validator.validate(str(request.url), params, signature):
            self.bad_signatures += 1
            return Response("bad signature", status_code=403)
        if request.method == "GET":
            params = dict(request.query_params)
        path = "/" + request.path_params["name"]
        self.requests.append((path, params))
        return Response(str(self.twiml(path, params)), media_type="application/xml")

    def twiml(self, path: str, params: dict[str, str]) -> VoiceResponse:
        """The hotline's call flow."""
        response = VoiceResponse()
        if path == "/voice":
            response.say("您好，欢迎致电。", language="zh-CN")
            gather = Gather(num_digits=1, action="/menu", timeout=3)
            gather.say("咨询请按1，投诉请按2。", language="zh-CN")
            response.append(gather)
            response.say("未收到输入，再见。", language="zh-CN")
            response.hangup()
        elif path == "/menu":
            if params.get("Digits") == "1":
                response.say("正在为您转接。", language="zh-CN")
                response.enqueue("support", action="/queue-action", wait_url="/hold")
            elif params.get("Digits") == "3":
                response.gather(finish_on_key="#", action="/pin")
            else:
                response.say("再见。", language="zh-CN")
                response.hangup()
        elif path == "/hold":
            response.say("请稍候。", language="zh-CN")
            response.pause(length=1)
        elif path == "/connect":
            dial = Dial(record="record-from-answer-dual", recording_status_callback="/recording", action="/dial-action")
            dial.client("agent-1")
            response.append(dial)
        elif path == "/direct":
            dial = Dial(
                record="record-from-answer",
                recording_status_callback="/recording",
                recording_status_callback_event="in-progress completed",
                action="/dial-action",
            )
            dial.client("agent-2")
            response.append(dial)
        elif path == "/closing":
            response.append(Enqueue("after-hours", action="/closed-action", wait_url="/leave"))
            response.say("not reached: the action's TwiML replaces this")
        elif path == "/leave":
            response.leave()
        elif path == "/closed-action":
            response.say("We are closed.")
            response.redirect("/bye?lang=en", method="GET")
        elif path == "/bye":
            response.say(f"Goodbye ({params.get('lang')}).")
        else:
            self.conference_twiml(path, params, response)
        return response

    def conference_twiml(self, path: str, params: dict[str, str], response: VoiceResponse) -> None:
        """The conference-speaking number: the caller waits in a room named for the call, agents are added over REST."""
        if path == "/conference":
            dial = Dial(action="/conference-action")
            dial.conference(
                params["CallSid"],
                participant_label="customer",
                end_conference_on_exit=True,
                wait_url="/conference-wait",
                status_callback="/conference-events",
                status_callback_event="start end join leave mute hold modify announcement",
                record="record-from-start",
                recording_status_callback="/conference-recording",
                recording_status_callback_event="in-progress completed",
            )
            response.append(dial)
        elif path == "/conference-wait":
            response.say("坐席马上就来。", language="zh-CN")
            response.pause(length=5)
        elif path == "/hold-music":
            response.play("https://music.example.com/hold.mp3")
        elif path == "/announce":
            response.say("您的通话正在转接。", language="zh-CN")
        elif path == "/conference-action":
            response.say("Thank you for calling.")


@contextmanager
def running_sandbox(recordings_dir: Path) -> Iterator[dict[str, Any]]:
    """Hotline and sandbox, both served on 127.0.0.1; on exit, no request had a bad signature."""
    hotline = Hotline()
    hotline_sock, sandbox_sock, dead_sock = (listening_socket() for _ in range(3))
    hotline_url, sandbox_url, dead_url = (
        f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in (hotline_sock, sandbox_sock, dead_sock)
    )
    dead_sock.close()  # nothing listens there: connection refused
    status = hotline_url + "/status"
    config = SandboxConfig(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        public_url=sandbox_url,
        numbers={
            number: NumberConfig(voice_url=voice_url, status_callback=status)
            for number, voice_url in (
                (IVR, hotline_url + "/voice"),
                (DIRECT, hotline_url + "/direct"),
                (CLOSING, hotline_url + "/closing"),
                (CONFERENCE, hotline_url + "/conference"),
                (BROKEN, dead_url + "/voice"),
            )
        },
        recordings_dir=recordings_dir,
        ring_seconds=0.2,
        http_timeout=5.0,
    )
    app = create_sandbox_app(config)
    with ServerThread(hotline.app, hotline_sock), ServerThread(app, sandbox_sock):
        yield {"hotline": hotline, "hotline_url": hotline_url, "url": sandbox_url}
    assert hotline.bad_signatures == 0


class SandboxHttpClient(TwilioHttpClient):
    """Sends twilio-python's api.twilio.com requests to the sandbox instead."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        url = url.replace("https://api.twilio.com", self.base_url, 1)
        return super().request(method, url, *args, **kwargs)


def twilio_client(env: dict[str, Any], token: str = AUTH_TOKEN) -> Client:
    """The official twilio Client pointed at the sandbox."""
    return Client(ACCOUNT_SID, token, http_client=SandboxHttpClient(env["url"]))


@contextmanager
def registered_device(env: dict[str, Any], identity: str) -> Iterator[str]:
    """A client device (an agent's browser phone) registered while the block runs; yields its control URL."""
    base = f"{env['url']}/sandbox/clients/{identity}"
    httpx.post(f"{base}/register").raise_for_status()
    try:
        yield base
    finally:
        httpx.delete(f"{base}/register")


def events(call: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Log entries of one kind."""
    return [entry for entry in call["log"] if entry["event"] == name]


def wait_for_bridge(url: str, sid: str) -> bool:
    """Whether the call is bridged to an agent yet."""
    return bool(httpx.get(f"{url}/sandbox/calls/{sid}").json()["bridged"])
