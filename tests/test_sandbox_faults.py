"""Failures the sandbox injects or meets: recording fetches that fail on request, and a hotline
that cannot be reached."""

from __future__ import annotations

from typing import Any

import httpx

from tests.hotline import ACCOUNT_SID, AUTH_TOKEN, BROKEN, CALLER, DIRECT, events
from twilio_sandbox import place_call, wait_for_call


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
    assert fault.json() == {
        "recording_fetch_failures": 2,
        "client_call_failures": 0,
        "slow_participant_answers": 0,
        "call_redirect_failures": 0,
        "slow_call_redirects": 0,
        "slow_recording_fetches": 0,
    }
    assert httpx.post(f"{url}/sandbox/faults", json={"nonsense": 1}).status_code == 400
    assert httpx.post(f"{url}/sandbox/faults", json={"client_call_failures": -1}).status_code == 400
    assert httpx.get(base + ".wav", auth=auth).status_code == 500
    assert httpx.get(base, auth=auth).status_code == 500
    media = httpx.get(base, auth=auth)
    assert media.status_code == 200 and media.content[:4] == b"RIFF"
    assert httpx.get(base + ".wav", auth=("AC" + "f" * 32, AUTH_TOKEN)).status_code == 401
    missing = httpx.get(f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{'0' * 32}.wav", auth=auth)
    assert missing.status_code == 404


def test_webhook_failure_ends_the_call(env: dict[str, Any]) -> None:
    sid = place_call(env["url"], from_=CALLER, to=BROKEN)
    call = wait_for_call(env["url"], sid, timeout=10)

    assert call["status"] == "completed"
    assert "error" in events(call, "webhook")[0]
    assert events(call, "application-error")
    assert env["hotline"].received("/status", sid)[0]["CallStatus"] == "completed"
