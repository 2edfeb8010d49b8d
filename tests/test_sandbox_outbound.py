"""Outbound calls over the sandbox's REST API, made with the official twilio Client: the call resource,
the simulated phone's answer, status callbacks for the requested events, and Twilio's refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException

from tests.hotline import ACCOUNT_SID, AUTH_TOKEN, IVR, events, twilio_client, wait_until
from twilio_sandbox import wait_for_call

ALL_EVENTS = ["initiated", "ringing", "answered", "completed"]


def phone(env: dict[str, Any], number: str, **behaviour: Any) -> dict[str, Any]:
    """Configure how the simulated phone at `number` behaves."""
    response = httpx.post(f"{env['url']}/sandbox/phones/{number}", json=behaviour)
    assert response.status_code == 200, response.text
    return dict(response.json())


def progress(env: dict[str, Any], sid: str) -> list[tuple[str, str]]:
    """(SequenceNumber, CallStatus) of the status callbacks one call sent, in order."""
    return [(p["SequenceNumber"], p["CallStatus"]) for p in env["hotline"].received("/progress", sid)]


def test_an_answered_outbound_call_runs_the_url_twiml_and_reports_every_event(env: dict[str, Any]) -> None:
    customer = "+8613911110001"
    phone(env, customer, talk_seconds=0.2)
    created = twilio_client(env).calls.create(
        to=customer,
        from_=IVR,
        url=env["hotline_url"] + "/direct",
        status_callback=env["hotline_url"] + "/progress",
        status_callback_event=ALL_EVENTS,
    )
    assert created.status == "queued" and created.direction == "outbound-api"
    assert created.sid.startswith("CA") and created.to == customer and created.from_formatted == IVR
    call = wait_for_call(env["url"], created.sid, timeout=10)

    assert call["direction"] == "outbound-api" and call["status"] == "completed"
    assert call["bridged"] is True and call["dialed_client"] == "agent-2"
    webhook = env["hotline"].received("/direct", created.sid)[0]
    assert webhook["Direction"] == "outbound-api" and webhook["CallStatus"] == "in-progress"
    assert webhook["From"] == IVR and webhook["To"] == customer
    reported = progress(env, created.sid)
    assert reported == [("0", "initiated"), ("1", "ringing"), ("2", "in-progress"), ("3", "completed")]
    completed = env["hotline"].received("/progress", created.sid)[-1]
    assert completed["CallbackSource"] == "call-progress-events" and "CallDuration" in completed
    listed = httpx.get(f"{env['url']}/sandbox/calls").json()["calls"]
    assert {c["call_sid"]: c["direction"] for c in listed}[created.sid] == "outbound-api"
    assert twilio_client(env).calls(created.sid).fetch().direction == "outbound-api"


@pytest.mark.parametrize(
    ("behaviour", "status", "reported"),
    [
        ({"answer": "busy"}, "busy", [("0", "initiated"), ("1", "busy")]),
        ({"answer": "failed"}, "failed", [("0", "initiated"), ("1", "failed")]),
        ({"answer": "no-answer"}, "no-answer", [("0", "initiated"), ("1", "ringing"), ("2", "no-answer")]),
        ({"ring_seconds": 5}, "no-answer", [("0", "initiated"), ("1", "ringing"), ("2", "no-answer")]),
    ],
)
def test_a_phone_that_does_not_answer_ends_the_call_without_twiml(
    env: dict[str, Any], behaviour: dict[str, Any], status: str, reported: list[tuple[str, str]]
) -> None:
    customer = "+8613911110002"
    phone(env, customer, **behaviour)
    created = twilio_client(env).calls.create(
        to=customer,
        from_=IVR,
        url=env["hotline_url"] + "/direct",
        timeout=1,
        status_callback=env["hotline_url"] + "/progress",
        status_callback_event=ALL_EVENTS,
    )
    call = wait_for_call(env["url"], created.sid, timeout=10)

    assert call["status"] == status and call["duration"] == 0
    assert progress(env, created.sid) == reported
    assert env["hotline"].received("/direct", created.sid) == []


def test_the_phone_script_answers_the_gathers_of_an_outbound_call(env: dict[str, Any]) -> None:
    customer = "+8613911110003"
    phone(env, customer, digits=["2"])
    created = twilio_client(env).calls.create(to=customer, from_=IVR, url=env["hotline_url"] + "/voice")
    call = wait_for_call(env["url"], created.sid, timeout=10)

    menu = env["hotline"].received("/menu", created.sid)[0]
    assert menu["Digits"] == "2" and menu["Direction"] == "outbound-api"
    assert events(call, "hangup")[-1]["by"] == "twiml"


def test_inline_twiml_and_cancelling_a_ringing_call(env: dict[str, Any]) -> None:
    client = twilio_client(env)
    spoken = client.calls.create(to="+8613911110004", from_=IVR, twiml="<Response><Say>Hi there</Say></Response>")
    assert events(wait_for_call(env["url"], spoken.sid, timeout=10), "say")[0]["text"] == "Hi there"

    customer = "+8613911110005"
    phone(env, customer, ring_seconds=30)
    ringing = client.calls.create(
        to=customer, from_=IVR, url=env["hotline_url"] + "/direct", status_callback=env["hotline_url"] + "/progress"
    )
    wait_until(lambda: client.calls(ringing.sid).fetch().status == "ringing")
    assert client.calls(ringing.sid).update(status="canceled").status == "canceled"
    assert wait_for_call(env["url"], ringing.sid, timeout=10)["status"] == "canceled"
    assert progress(env, ringing.sid) == [("0", "canceled")]  # only "completed" was asked for (the default)


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"From": IVR, "Url": "http://x.test/a"}, 21201),
        ({"To": "+8613911110006", "Url": "http://x.test/a"}, 21213),
        ({"To": "+8613911110006", "From": IVR}, 21205),
        ({"To": "+8613911110006", "From": IVR, "Url": "/relative"}, 21205),
        ({"To": "+8613911110006", "From": "+8613800000000", "Url": "http://x.test/a"}, 21210),
        ({"To": "13911110006", "From": IVR, "Url": "http://x.test/a"}, 21211),
        ({"To": "+8613911110006", "From": IVR, "Url": "http://x.test/a", "Timeout": "soon"}, 21208),
        ({"To": "+8613911110006", "From": IVR, "Url": "http://x.test/a", "Method": "PUT"}, 21209),
        ({"To": "+8613911110006", "From": IVR, "Url": "http://x.test/a", "StatusCallback": "nope"}, 21609),
        (
            {"To": "+8613911110006", "From": IVR, "Url": "http://x.test/a", "StatusCallback": "http://x.test/s"}
            | {"StatusCallbackEvent": "hung-up"},
            21626,
        ),
    ],
)
def test_create_call_refusals_use_twilio_codes(env: dict[str, Any], form: dict[str, str], code: int) -> None:
    response = httpx.post(
        f"{env['url']}/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json", data=form, auth=(ACCOUNT_SID, AUTH_TOKEN)
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and body["status"] == 400 and body["more_info"].endswith(str(code))
    assert body["message"]


def test_create_call_needs_credentials_and_the_client_raises_twilio_errors(env: dict[str, Any]) -> None:
    with pytest.raises(TwilioRestException) as denied:
        twilio_client(env, token="wrong").calls.create(to="+8613911110007", from_=IVR, url="http://x.test/a")
    assert denied.value.status == 401 and denied.value.code == 20003
    with pytest.raises(TwilioRestException) as unverified:
        twilio_client(env).calls.create(to="+8613911110007", from_="+8613800000000", url="http://x.test/a")
    assert unverified.value.code == 21210


def test_phone_settings_are_validated_shown_and_reset(env: dict[str, Any]) -> None:
    url = f"{env['url']}/sandbox/phones/+8613911110008"
    shown = phone(env, "+8613911110008", answer="busy", ring_seconds=2, digits=["1", {"speech": "hello"}])
    assert shown == {
        "number": "+8613911110008",
        "answer": "busy",
        "ring_seconds": 2.0,
        "digits": ["1", {"speech": "hello"}],
        "talk_seconds": None,
    }
    assert httpx.get(f"{env['url']}/sandbox/phones").json()["phones"]["+8613911110008"]["answer"] == "busy"
    assert httpx.delete(url).json()["answer"] == "answer"
    for bad, message in [
        ({"answer": "maybe"}, "answer"),
        ({"ring_seconds": -1}, "negative"),
        ({"digits": [{"speech": ""}]}, "speech"),
        ({"colour": "red"}, "unknown"),
    ]:
        refused = httpx.post(url, json=bad)
        assert refused.status_code == 400 and message in refused.json()["error"]
    assert httpx.post(f"{env['url']}/sandbox/phones/12345", json={}).status_code == 400
    assert httpx.post(url, content=b"{not json").status_code == 400
