"""End-to-end tests of the Twilio sandbox against a fake hotline app, over real sockets."""

from __future__ import annotations

import io
import socket
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, Enqueue, Gather, VoiceResponse

from contactcenter.sandbox import (
    NumberConfig,
    SandboxClientError,
    SandboxConfig,
    create_sandbox_app,
    place_call,
    wait_for_call,
)

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "sandbox-test-token"
CALLER = "+8613800138000"
IVR = "+8657100000000"
DIRECT = "+8657100000001"
CLOSING = "+8657100000002"
BROKEN = "+8657100000009"


def _listening_socket() -> socket.socket:
    """A bound 127.0.0.1 socket on a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


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
        return response


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Hotline and sandbox, both served on 127.0.0.1."""
    hotline = Hotline()
    hotline_sock, sandbox_sock, dead_sock = (_listening_socket() for _ in range(3))
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
                (BROKEN, dead_url + "/voice"),
            )
        },
        recordings_dir=tmp_path_factory.mktemp("recordings"),
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


def events(call: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """Log entries of one kind."""
    return [entry for entry in call["log"] if entry["event"] == name]


def test_greeting_and_gather_digit_reach_the_action(env: dict[str, Any]) -> None:
    hotline = env["hotline"]
    sid = place_call(env["url"], from_=CALLER, to=IVR, digits=["3", "1234#"])
    call = wait_for_call(env["url"], sid, timeout=10)

    assert call["status"] == "completed"
    says = events(call, "say")
    assert says[0] == {**says[0], "text": "您好，欢迎致电。", "language": "zh-CN"}
    assert [g["digits"] for g in events(call, "gather")] == ["3", "1234"]
    voice = hotline.received("/voice", sid)[0]
    assert voice["CallStatus"] == "ringing"
    menu = hotline.received("/menu", sid)[0]
    assert menu["Digits"] == "3"
    assert menu["AccountSid"] == ACCOUNT_SID and menu["ApiVersion"] == "2010-04-01"
    assert menu["From"] == menu["Caller"] == CALLER and menu["To"] == menu["Called"] == IVR
    assert menu["Direction"] == "inbound" and menu["CallStatus"] == "in-progress"
    assert menu["FromCountry"] == "CN"
    assert hotline.received("/pin", sid)[0]["Digits"] == "1234"  # finishOnKey stripped
    # The /pin answer is empty: end of document ends the call, and the number is told.
    final = hotline.received("/status", sid)[0]
    assert final["CallStatus"] == "completed"
    assert final["CallbackSource"] == "call-progress-events"
    assert final["SequenceNumber"] == "0" and final["Timestamp"].endswith("+0000")
    assert int(final["CallDuration"]) >= 0


def test_gather_without_input_falls_through(env: dict[str, Any]) -> None:
    hotline = env["hotline"]
    sid = place_call(env["url"], from_=CALLER, to=IVR)
    call = wait_for_call(env["url"], sid, timeout=10)

    assert call["status"] == "completed"
    assert events(call, "gather")[0]["timed_out"] is True
    assert events(call, "say")[-1]["text"] == "未收到输入，再见。"
    assert events(call, "hangup")[-1]["by"] == "twiml"
    assert hotline.received("/menu", sid) == []


def test_queue_redirect_dial_recording_and_rest_hangup(env: dict[str, Any]) -> None:
    hotline, url = env["hotline"], env["url"]
    first = place_call(url, from_=CALLER, to=IVR, digits=["1"])
    wait_until(lambda: hotline.received("/hold", first))
    second = place_call(url, from_="+8613900139000", to=IVR, digits=["1"], hangup_after_queue=1.2)
    hold = wait_until(lambda: hotline.received("/hold", second))[0]
    assert hold["QueuePosition"] == "2" and hold["CurrentQueueSize"] == "2"
    assert hold["QueueSid"].startswith("QU") and len(hold["QueueSid"]) == 34
    assert hold["MaxQueueSize"] == "1000" and "QueueTime" in hold and "AvgQueueTime" in hold
    assert hotline.received("/hold", first)[0]["QueuePosition"] == "1"

    client = twilio_client(env)
    updated = client.calls(first).update(url=env["hotline_url"] + "/connect", method="POST")
    assert updated.sid == first and updated.direction == "inbound"
    wait_until(lambda: wait_for_bridge(url, first))
    time.sleep(0.3)
    assert client.calls(first).update(status="completed").status == "completed"
    call = wait_for_call(url, first, timeout=10)

    assert call["status"] == "completed" and call["bridged"] is True
    assert call["dialed_client"] == "agent-1"
    assert call["queue"] == "support" and call["queue_result"] == "redirected"
    action = hotline.received("/queue-action", first)[0]
    assert action["QueueResult"] == "redirected" and action["QueueSid"] == hold["QueueSid"]
    assert "QueueTime" in action
    assert hotline.received("/dial-action", first) == []  # REST hangup ends the whole call
    rec = hotline.received("/recording", first)[0]
    assert rec["RecordingSid"] == call["recording_sids"][0]
    assert rec["RecordingStatus"] == "completed" and rec["RecordingChannels"] == "2"
    assert rec["RecordingSource"] == "DialVerb" and rec["RecordingTrack"] == "both"
    assert rec["RecordingUrl"] == (f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{rec['RecordingSid']}")
    assert int(rec["RecordingDuration"]) >= 1 and rec["RecordingStartTime"]
    assert hotline.received("/status", first)[0]["CallStatus"] == "completed"

    media = httpx.get(rec["RecordingUrl"] + ".wav", auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert media.status_code == 200 and media.headers["content-type"] == "audio/x-wav"
    with wave.open(io.BytesIO(media.content)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        assert wav.getnframes() / wav.getframerate() >= 1.0

    # The second caller gave up while queued.
    abandoned = wait_for_call(url, second, timeout=10)
    assert abandoned["status"] == "completed" and abandoned["queue_result"] == "hangup"
    assert hotline.received("/queue-action", second)[0]["QueueResult"] == "hangup"
    assert events(abandoned, "hangup")[0]["by"] == "caller"
    assert hotline.received("/status", second)[0]["CallStatus"] == "completed"


def wait_for_bridge(url: str, sid: str) -> bool:
    """Whether the call is bridged to an agent yet."""
    return bool(httpx.get(f"{url}/sandbox/calls/{sid}").json()["bridged"])


def test_caller_hangs_up_during_bridge(env: dict[str, Any]) -> None:
    hotline = env["hotline"]
    sid = place_call(env["url"], from_=CALLER, to=DIRECT, talk_seconds=0.3)
    call = wait_for_call(env["url"], sid, timeout=10)

    assert call["status"] == "completed" and call["dialed_client"] == "agent-2"
    action = hotline.received("/dial-action", sid)[0]
    assert action["DialCallStatus"] == "completed" and action["DialBridged"] == "true"
    assert action["CallStatus"] == "completed" and action["DialCallSid"].startswith("CA")
    assert action["RecordingUrl"].endswith(call["recording_sids"][0])
    statuses = [r["RecordingStatus"] for r in hotline.received("/recording", sid)]
    assert statuses == ["in-progress", "completed"]
    assert hotline.received("/recording", sid)[1]["RecordingChannels"] == "1"


def test_leave_runs_the_enqueue_action(env: dict[str, Any]) -> None:
    hotline = env["hotline"]
    sid = place_call(env["url"], from_=CALLER, to=CLOSING)
    call = wait_for_call(env["url"], sid, timeout=10)

    assert call["queue_result"] == "leave"
    assert hotline.received("/closed-action", sid)[0]["QueueResult"] == "leave"
    assert [s["text"] for s in events(call, "say")] == ["We are closed.", "Goodbye (en)."]
    assert hotline.received("/bye", sid)[0]["CallStatus"] == "in-progress"  # signed GET


def test_agent_hangup_runs_the_dial_action(env: dict[str, Any]) -> None:
    hotline, url = env["hotline"], env["url"]
    sid = place_call(url, from_=CALLER, to=DIRECT)
    wait_until(lambda: wait_for_bridge(url, sid))
    assert httpx.post(f"{url}/sandbox/calls/{sid}/hangup", json={"side": "agent"}).is_success
    call = wait_for_call(url, sid, timeout=10)

    action = hotline.received("/dial-action", sid)[0]
    assert action["DialCallStatus"] == "completed" and action["CallStatus"] == "in-progress"
    assert events(call, "bridge-ended")[0]["by"] == "agent"
    assert events(call, "end-of-twiml")  # the action's empty TwiML ended the call


def test_rest_twiml_update_with_record(env: dict[str, Any]) -> None:
    hotline, url = env["hotline"], env["url"]
    sid = place_call(url, from_=CALLER, to=IVR, digits=["1"])
    wait_until(lambda: hotline.received("/hold", sid))
    twiml = VoiceResponse()
    twiml.record(max_length=2, action="/voicemail", recording_status_callback="/recording")
    twilio_client(env).calls(sid).update(twiml=str(twiml))
    call = wait_for_call(url, sid, timeout=10)

    assert call["queue_result"] == "redirected" and events(call, "twiml")
    voicemail = hotline.received("/voicemail", sid)[0]
    assert voicemail["Digits"] == "hangup" and voicemail["RecordingDuration"] == "2"
    assert voicemail["RecordingSid"] == call["recording_sids"][0]
    assert hotline.received("/recording", sid)[0]["RecordingSource"] == "RecordVerb"


def test_recording_media_and_fault_injection(env: dict[str, Any]) -> None:
    url = env["url"]
    sid = place_call(url, from_=CALLER, to=DIRECT, talk_seconds=0.1)
    recording_sid = wait_for_call(url, sid, timeout=10)["recording_sids"][0]
    base = f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}"
    auth = (ACCOUNT_SID, AUTH_TOKEN)

    meta = httpx.get(base + ".json", auth=auth).json()
    assert meta["sid"] == recording_sid and meta["call_sid"] == sid
    assert meta["channels"] == 1 and meta["status"] == "completed" and meta["duration"] == "1"
    fault = httpx.post(f"{url}/sandbox/faults", json={"recording_fetch_failures": 2})
    assert fault.json() == {"recording_fetch_failures": 2}
    assert httpx.get(base + ".wav", auth=auth).status_code == 500
    assert httpx.get(base, auth=auth).status_code == 500
    media = httpx.get(base, auth=auth)
    assert media.status_code == 200 and media.content[:4] == b"RIFF"
    assert httpx.get(base + ".wav", auth=("AC" + "f" * 32, AUTH_TOKEN)).status_code == 401
    missing = httpx.get(f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{'0' * 32}.wav", auth=auth)
    assert missing.status_code == 404


def test_rest_api_errors(env: dict[str, Any]) -> None:
    with pytest.raises(TwilioRestException) as bad_auth:
        twilio_client(env, token="wrong").calls("CA" + "0" * 32).fetch()
    assert bad_auth.value.status == 401 and bad_auth.value.code == 20003

    client = twilio_client(env)
    with pytest.raises(TwilioRestException) as unknown:
        client.calls("CA" + "0" * 32).fetch()
    assert unknown.value.status == 404 and unknown.value.code == 20404

    other = httpx.get(
        f"{env['url']}/2010-04-01/Accounts/AC{'1' * 32}/Calls/CA{'0' * 32}.json", auth=(ACCOUNT_SID, AUTH_TOKEN)
    )
    assert other.status_code == 404

    sid = place_call(env["url"], from_=CALLER, to=IVR, digits=["2"])
    wait_for_call(env["url"], sid, timeout=10)
    fetched = client.calls(sid).fetch()
    assert fetched.status == "completed" and fetched.direction == "inbound"
    with pytest.raises(TwilioRestException) as too_late:
        client.calls(sid).update(url=env["hotline_url"] + "/connect")
    assert too_late.value.status == 400 and too_late.value.code == 21220


def test_webhook_failure_ends_the_call(env: dict[str, Any]) -> None:
    sid = place_call(env["url"], from_=CALLER, to=BROKEN)
    call = wait_for_call(env["url"], sid, timeout=10)

    assert call["status"] == "completed"
    assert "error" in events(call, "webhook")[0]
    assert events(call, "application-error")
    assert env["hotline"].received("/status", sid)[0]["CallStatus"] == "completed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"from": CALLER, "to": "+8657199999999"}, "not a sandbox number"),
        ({"from": "13800138000", "to": IVR}, "E.164"),
        ({"from": CALLER, "to": IVR, "digits": "1"}, "digits"),
        ({"from": CALLER, "to": IVR, "talk_seconds": "soon"}, "talk_seconds"),
        ({"from": CALLER, "to": IVR, "hangup_after_queue": -1}, "negative"),
    ],
)
def test_place_call_rejects_bad_input(env: dict[str, Any], body: dict[str, Any], message: str) -> None:
    response = httpx.post(f"{env['url']}/sandbox/calls", json=body)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_config_rejects_bad_account_sid(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="account_sid"):
        SandboxConfig(account_sid="nope", auth_token="x", public_url="http://x", numbers={}, recordings_dir=tmp_path)


def test_client_reports_refusals_as_http_errors(env: dict[str, Any]) -> None:
    with pytest.raises(SandboxClientError, match="not a sandbox number") as refused:
        place_call(env["url"], from_=CALLER, to="+8657199999999")
    assert isinstance(refused.value, httpx.HTTPStatusError) and refused.value.response.status_code == 400
    with pytest.raises(TimeoutError):
        wait_for_call(
            env["url"], place_call(env["url"], from_=CALLER, to=IVR, digits=["1"], hangup_after_queue=1.0), timeout=0.2
        )
