"""The sandbox's copy of Twilio's REST API, driven by the official twilio Client: redirecting a
queued call, TwiML updates, hanging up, the recording it made, and Twilio's error codes."""

from __future__ import annotations

import io
import time
import wave
from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.twiml.voice_response import VoiceResponse

from tests.hotline import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALLER,
    IVR,
    events,
    twilio_client,
    wait_for_bridge,
    wait_until,
)
from twilio_sandbox import place_call, wait_for_call


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
    media = f"{url}/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{voicemail['RecordingSid']}.wav"
    refused = httpx.get(media, params={"RequestedChannels": "2"}, auth=(ACCOUNT_SID, AUTH_TOKEN))
    assert refused.status_code == 400 and refused.json()["code"] == 16113  # two channels of a mono recording
    assert httpx.get(media, auth=(ACCOUNT_SID, AUTH_TOKEN)).status_code == 200


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
