"""Live callers (`"interactive": true`): each Gather waits for input a person sends, keys or speech;
input sent while a prompt plays is kept for the next Gather; the call's log streams as Server-Sent Events."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.hotline import events, wait_until
from tests.test_sandbox_callcenter import CUSTOMER, MENU, center  # noqa: F401  (the fixture)
from twilio_sandbox import place_call, wait_for_call


def log_of(url: str, sid: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{url}/sandbox/calls/{sid}").json()["log"])


def gathers_started(url: str, sid: str, count: int) -> bool:
    """Whether the call has reached its `count`-th live Gather."""
    return len([e for e in log_of(url, sid) if e["event"] == "gather-start"]) >= count


def send(url: str, sid: str, **body: str) -> httpx.Response:
    return httpx.post(f"{url}/sandbox/calls/{sid}/input", json=body)


def test_a_live_caller_presses_a_key_is_bridged_and_hangs_up(center: dict[str, Any]) -> None:  # noqa: F811
    app, url = center["app"], center["url"]
    sid = place_call(url, from_=CUSTOMER, to=MENU, interactive=True)
    wait_until(lambda: gathers_started(url, sid, 1))
    assert send(url, sid, digits="4").status_code == 202
    wait_until(lambda: httpx.get(f"{url}/sandbox/calls/{sid}").json()["bridged"])
    assert httpx.post(f"{url}/sandbox/calls/{sid}/hangup", json={"side": "caller"}).status_code == 202
    call = wait_for_call(url, sid, timeout=10)

    assert call["interactive"] is True and call["dialed_client"] == "agent-4"
    assert app.received("/menu", sid)[0]["Digits"] == "4"
    assert events(call, "hangup")[-1]["by"] == "caller"
    assert send(url, sid, digits="1").status_code == 409  # the call is over


def test_keys_pressed_during_the_greeting_are_kept_for_the_menu(center: dict[str, Any]) -> None:  # noqa: F811
    app, url = center["app"], center["url"]
    sid = place_call(url, from_=CUSTOMER, to=MENU, interactive=True)
    send(url, sid, digits="3")  # the greeting takes about a second to say to a live caller
    call = wait_for_call(url, sid, timeout=10)

    assert app.received("/menu", sid)[0]["Digits"] == "3"
    order = [e["event"] for e in call["log"] if e["event"] in ("input", "gather-start", "gather")]
    assert order == ["input", "gather-start", "gather"]


def test_speech_at_the_menu_and_keys_only_in_the_hold_loop(center: dict[str, Any]) -> None:  # noqa: F811
    app, url = center["app"], center["url"]
    sid = place_call(url, from_=CUSTOMER, to=MENU, interactive=True)
    wait_until(lambda: gathers_started(url, sid, 1))
    send(url, sid, speech="报修")
    wait_until(lambda: gathers_started(url, sid, 2))  # the hold loop's Gather takes keys only
    send(url, sid, speech="我要人工")
    send(url, sid, digits="9")
    call = wait_for_call(url, sid, timeout=15)

    menu = app.received("/menu", sid)[0]
    assert menu["SpeechResult"] == "报修" and menu["Confidence"] == "0.9" and "Digits" not in menu
    ignored = events(call, "input-ignored")
    assert ignored[0]["kind"] == "speech" and ignored[0]["value"] == "我要人工"
    assert app.received("/wait-key", sid)[-1]["Digits"] == "9"
    assert call["queue_result"] == "leave"


def test_input_requests_are_checked(center: dict[str, Any]) -> None:  # noqa: F811
    url = center["url"]
    scripted = place_call(url, from_=CUSTOMER, to=MENU, digits=["3"])
    assert send(url, scripted, digits="1").status_code == 409
    live = place_call(url, from_=CUSTOMER, to=MENU, interactive=True)
    for body in ({"digits": "12a"}, {"speech": ""}, {"digits": "1", "speech": "x"}, {}):
        refused = httpx.post(f"{url}/sandbox/calls/{live}/input", json=body)
        assert refused.status_code == 400 and refused.json()["error"]
    assert httpx.post(f"{url}/sandbox/calls/{live}/input", content=b"[").status_code == 400
    assert send(url, "CA" + "0" * 32, digits="1").status_code == 404
    both = {"from": CUSTOMER, "to": MENU, "interactive": True, "digits": ["1"]}
    mixed = httpx.post(f"{url}/sandbox/calls", json=both)
    assert mixed.status_code == 400 and "interactive" in mixed.json()["error"]
    httpx.post(f"{url}/sandbox/calls/{live}/hangup", json={"side": "caller"})


def test_the_call_log_streams_as_server_sent_events(center: dict[str, Any]) -> None:  # noqa: F811
    url = center["url"]
    sid = place_call(url, from_=CUSTOMER, to=MENU, digits=["3"])
    messages: list[tuple[str, Any]] = []
    with httpx.stream("GET", f"{url}/sandbox/calls/{sid}/events", timeout=15) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                messages.append((name, json.loads(line.removeprefix("data: "))))

    assert messages[-1] == ("end", {"status": "completed", "duration": messages[-1][1]["duration"]})
    logged = [data for name, data in messages if name == "log"]
    assert logged == wait_for_call(url, sid)["log"]
    assert [e["text"] for e in logged if e["event"] == "say"][0] == "欢迎致电。"
    resumed = httpx.get(f"{url}/sandbox/calls/{sid}/events", headers={"Last-Event-ID": str(len(logged) - 2)})
    assert resumed.text.count("event: log") == 1 and "event: end" in resumed.text
