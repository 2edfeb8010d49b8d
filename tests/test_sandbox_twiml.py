"""The sandbox plays a hotline's TwiML: Say, Gather, Enqueue and Leave, Redirect, Dial with recording,
and signs every webhook and status callback the way Twilio does."""

from __future__ import annotations

from typing import Any

import httpx

from tests.hotline import (
    ACCOUNT_SID,
    CALLER,
    CLOSING,
    DIRECT,
    IVR,
    events,
    wait_for_bridge,
    wait_until,
)
from twilio_sandbox import place_call, wait_for_call


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
