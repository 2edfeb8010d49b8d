"""A small call center app driven through the sandbox: a menu that takes keys or speech, a queue whose
hold loop listens for a key, voicemail, and a callback the app places over the REST API. Its fixture
serves the scripted-caller, live-caller and load tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from tests.hotline import ACCOUNT_SID, AUTH_TOKEN, ServerThread, events, wait_until
from tests.serving import listening_socket
from twilio_sandbox import NumberConfig, SandboxConfig, create_sandbox_app, place_call, wait_for_call

MENU = "+8657100000100"
CUSTOMER = "+8613912345678"


class CallCenter:
    """The app: answers the sandbox's webhooks with TwiML and remembers every request's parameters."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.sandbox_url = ""
        self.url = ""
        self.app = Starlette(routes=[Route("/{name:path}", self.handle, methods=["GET", "POST"])])

    def received(self, path: str, call_sid: str | None = None) -> list[dict[str, str]]:
        """Params of the requests to `path` (optionally for one call)."""
        return [p for name, p in list(self.requests) if name == path and call_sid in (None, p.get("CallSid"))]

    async def handle(self, request: Request) -> Response:
        params = dict(parse_qsl((await request.body()).decode(), keep_blank_values=True)) or dict(request.query_params)
        path = "/" + request.path_params["name"]
        self.requests.append((path, params))
        if path == "/broken":
            return Response("boom", status_code=500)
        if path == "/queue-action" and params.get("QueueResult") == "leave":
            await self._call_back(params["From"])  # before answering, so the callback exists when the call ends
        return Response(str(self.twiml(path, params)), media_type="application/xml")

    def twiml(self, path: str, params: dict[str, str]) -> VoiceResponse:
        response = VoiceResponse()
        if path == "/voice":
            response.say("欢迎致电。", language="zh-CN")
            gather = Gather(input="dtmf speech", num_digits=1, action="/menu", timeout=2, language="zh-CN")
            gather.say("报修请按1或说报修，留言请按2。", language="zh-CN")
            response.append(gather)
            response.say("再见。", language="zh-CN")
        elif path == "/menu":
            self._menu(response, params.get("Digits") or params.get("SpeechResult", ""))
        elif path == "/wait":
            response.say(f"您前面还有{int(params['QueuePosition']) - 1}位。", language="zh-CN")
            response.append(Gather(num_digits=1, action="/wait-key", timeout=1))
        elif path == "/wait-key" and params.get("Digits") == "9":
            response.leave()
        elif path == "/queue-action" and params.get("QueueResult") == "leave":
            response.say("我们稍后回电。", language="zh-CN")
            response.hangup()
        elif path == "/callback-answer":
            response.say("这是您预约的回电。", language="zh-CN")
            dial = Dial(action="/callback-dial-action")
            dial.client("agent-9")
            response.append(dial)
        elif path == "/voicemail":
            response.say("谢谢留言。", language="zh-CN")
        return response

    def _menu(self, response: VoiceResponse, choice: str) -> None:
        if choice in ("1", "报修"):
            response.enqueue("repair", wait_url="/wait", action="/queue-action")
        elif choice == "2":
            response.say("请在提示音后留言。", language="zh-CN")
            response.record(max_length=5, action="/voicemail")
        elif choice == "4":
            dial = Dial()
            dial.client("agent-4")
            response.append(dial)
        elif choice == "5":
            response.redirect("/broken")
        else:
            response.say("再见。", language="zh-CN")
            response.hangup()

    async def _call_back(self, number: str) -> None:
        """Ask the sandbox's REST API to call the customer back."""
        async with httpx.AsyncClient(auth=(ACCOUNT_SID, AUTH_TOKEN), trust_env=False) as http:
            response = await http.post(
                f"{self.sandbox_url}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json",
                data={"To": number, "From": MENU, "Url": self.url + "/callback-answer"},
            )
            response.raise_for_status()


@pytest.fixture(scope="module")
def center(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The call center app and a sandbox whose number MENU points at it."""
    app = CallCenter()
    app_sock, sandbox_sock = listening_socket(), listening_socket()
    app.url, app.sandbox_url = (f"http://127.0.0.1:{sock.getsockname()[1]}" for sock in (app_sock, sandbox_sock))
    config = SandboxConfig(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        public_url=app.sandbox_url,
        numbers={MENU: NumberConfig(voice_url=app.url + "/voice", status_callback=app.url + "/status")},
        recordings_dir=tmp_path_factory.mktemp("recordings"),
        ring_seconds=0.1,
        http_timeout=5.0,
    )
    with ServerThread(app.app, app_sock), ServerThread(create_sandbox_app(config), sandbox_sock):
        yield {"app": app, "url": app.sandbox_url}


def test_a_scripted_caller_can_speak_at_a_gather_that_listens_for_speech(center: dict[str, Any]) -> None:
    app, url = center["app"], center["url"]
    sid = place_call(url, from_=CUSTOMER, to=MENU, digits=[{"speech": "报修"}], hangup_after_queue=0.1)
    call = wait_for_call(url, sid, timeout=10)

    menu = app.received("/menu", sid)[0]
    assert menu["SpeechResult"] == "报修" and menu["Confidence"] == "0.9"
    assert "Digits" not in menu
    assert events(call, "gather")[0]["speech"] == "报修"
    assert call["queue"] == "repair" and call["queue_result"] == "hangup"


def test_a_speech_entry_waits_for_a_gather_that_takes_speech(center: dict[str, Any]) -> None:
    app, url = center["app"], center["url"]
    # The hold loop's Gather takes keys only: the spoken entry stays unused and the caller gives up.
    sid = place_call(url, from_=CUSTOMER, to=MENU, digits=["1", {"speech": "人工"}], hangup_after_queue=1.5)
    call = wait_for_call(url, sid, timeout=10)

    assert app.received("/wait-key", sid) == []
    assert all(gather.get("timed_out") for gather in events(call, "gather")[1:])
    assert call["digits_left"] == [{"speech": "人工"}]


def test_a_key_held_for_queue_time_leaves_the_queue_and_the_app_calls_back(center: dict[str, Any]) -> None:
    app, url = center["app"], center["url"]
    caller = "+8613900000001"
    httpx.post(f"{url}/sandbox/phones/{caller}", json={"talk_seconds": 0.2}).raise_for_status()
    sid = place_call(url, from_=caller, to=MENU, digits=["1", {"digits": "9", "after_queue_seconds": 1.2}])
    call = wait_for_call(url, sid, timeout=15)

    gathers = events(call, "gather")
    assert gathers[0]["digits"] == "1"
    assert gathers[-1]["digits"] == "9"
    assert any(gather.get("timed_out") for gather in gathers[1:-1])  # hold-loop Gathers before it was due
    assert app.received("/queue-action", sid)[0]["QueueResult"] == "leave"
    assert int(app.received("/queue-action", sid)[0]["QueueTime"]) >= 1

    def callback() -> dict[str, Any] | None:
        calls = httpx.get(f"{url}/sandbox/calls").json()["calls"]
        return next((c for c in calls if c["direction"] == "outbound-api" and c["to"] == caller), None)

    back = wait_for_call(url, wait_until(callback)["call_sid"], timeout=15)
    assert back["from"] == MENU and back["status"] == "completed"
    assert back["bridged"] is True and back["dialed_client"] == "agent-9"
    answer = app.received("/callback-answer", back["call_sid"])[0]
    assert answer["Direction"] == "outbound-api" and answer["CallStatus"] == "in-progress"
    assert answer["From"] == MENU and answer["To"] == caller
