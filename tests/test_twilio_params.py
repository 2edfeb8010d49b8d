"""The Twilio parameter builders match Twilio's documented names, values and examples, and what they
build is signed the way Twilio's RequestValidator checks it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import pytest
from twilio.request_validator import RequestValidator

from tests.twilio_params import (
    API_VERSION,
    CALL_STATUSES,
    QUEUE_RESULTS,
    Params,
    Place,
    call_status_callback,
    dial_action,
    enqueue_action,
    enqueue_wait,
    gather_action,
    incoming_call,
    new_sid,
    record_action,
    recording_status_callback,
    signed,
    twilio_time,
)

TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT = "AC" + "0" * 32
HOTLINE = "+862180000000"
MOBILE = "+8613800138000"
WHEN = datetime(2026, 11, 23, 8, 15, 0, tzinfo=UTC)
GEO = [f"{p}{f}" for p in ("Called", "Caller", "From", "To") for f in ("City", "Country", "State", "Zip")]


def a_call(**overrides: object) -> Params:
    values: dict[str, object] = {"account_sid": ACCOUNT, "call_sid": new_sid("CA"), "from_": MOBILE, "to": HOTLINE}
    return incoming_call(**(values | overrides))  # type: ignore[arg-type]


def test_the_signature_of_twilios_security_page_example() -> None:
    # https://www.twilio.com/docs/usage/webhooks/webhooks-security: token 12345, a URL with a query
    # string, and these five POST parameters.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signed(url, params, "12345") == {"X-Twilio-Signature": "0/KCTR6DLpKmkAf8muzZqo1nDgQ="}


def test_the_signature_of_the_twilio_helper_librarys_validation_example() -> None:
    # twilio-php docs/usage/validation.rst ("Validate Incoming Requests"): same URL, other numbers.
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signed(url, params, "12345")["X-Twilio-Signature"] == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_an_incoming_call_carries_every_documented_parameter() -> None:
    call = a_call(call_sid="CA" + "1" * 32, caller_name="ZHAO", forwarded_from="+8613911112222")

    assert call["AccountSid"] == ACCOUNT and len(call["AccountSid"]) == 34
    assert call["ApiVersion"] == API_VERSION == "2010-04-01"
    assert call["CallSid"] == "CA" + "1" * 32 and call["CallStatus"] == "ringing"
    assert call["Direction"] == "inbound"
    assert call["From"] == call["Caller"] == MOBILE and call["To"] == call["Called"] == HOTLINE
    assert call["CallerName"] == "ZHAO" and call["ForwardedFrom"] == "+8613911112222"
    # Outside North America Twilio knows only the country, and still sends the other keys blank.
    assert all(name in call for name in GEO)
    assert call["FromCountry"] == call["CallerCountry"] == call["ToCountry"] == call["CalledCountry"] == "CN"
    assert call["FromCity"] == call["ToZip"] == call["CallerState"] == ""
    assert "StirVerstat" not in call and "CallToken" not in call


def test_a_north_american_caller_gets_the_geography_twilio_looked_up() -> None:
    # The example number of Twilio's request docs (+16175551212) and a looked-up place.
    call = a_call(from_="+16175551212", from_place=Place("BOSTON", "MA", "02101", "US"))
    assert (call["FromCity"], call["FromState"], call["FromZip"], call["FromCountry"]) == (
        "BOSTON",
        "MA",
        "02101",
        "US",
    )
    assert call["CallerCity"] == "BOSTON" and call["CallerZip"] == "02101"


def test_first_request_only_parameters_are_not_repeated_later() -> None:
    call = a_call(stir_verstat="TN-Validation-Passed-A", call_token="%7B%22parentCallInfo%22%7D")
    assert call["StirVerstat"] == "TN-Validation-Passed-A" and "CallToken" in call
    menu = gather_action(call=call, digits="1")
    assert "StirVerstat" not in menu and "CallToken" not in menu
    assert menu["CallStatus"] == "in-progress" and menu["CallSid"] == call["CallSid"] and menu["FromCountry"] == "CN"


def test_gather_sends_digits_or_speech_with_its_confidence() -> None:
    call = a_call()
    assert gather_action(call=call, digits="1", finished_on_key="")["Digits"] == "1"
    speech = gather_action(call=call, speech_result="Okay.", confidence=0.97525406)
    assert (speech["SpeechResult"], speech["Confidence"]) == ("Okay.", "0.97525406")
    assert "Digits" not in speech
    with pytest.raises(ValueError):
        gather_action(call=call, speech_result="Okay.")


def test_enqueue_action_and_wait_url_parameters() -> None:
    call, queue = a_call(), new_sid("QU")
    left = enqueue_action(call=call, queue_result="hangup", queue_sid=queue, queue_time=42)
    assert (left["QueueResult"], left["QueueSid"], left["QueueTime"], left["CallStatus"]) == (
        "hangup",
        queue,
        "42",
        "completed",
    )
    full = enqueue_action(call=call, queue_result="queue-full")
    assert "QueueSid" not in full and "QueueTime" not in full and full["CallStatus"] == "in-progress"
    with pytest.raises(ValueError):
        enqueue_action(call=call, queue_result="queue-full", queue_sid=queue, queue_time=0)
    with pytest.raises(ValueError):
        enqueue_action(call=call, queue_result="abandoned")
    wait = enqueue_wait(
        call=call, queue_sid=queue, queue_position=3, queue_time=30, avg_queue_time=45, current_queue_size=5
    )
    assert {k: wait[k] for k in ("QueuePosition", "QueueTime", "AvgQueueTime", "CurrentQueueSize", "MaxQueueSize")} == {
        "QueuePosition": "3",
        "QueueTime": "30",
        "AvgQueueTime": "45",
        "CurrentQueueSize": "5",
        "MaxQueueSize": "100",
    }


def test_dial_action_reports_the_agent_leg() -> None:
    leg = new_sid("CA")
    done = dial_action(
        call=a_call(), dial_call_status="completed", dial_call_sid=leg, dial_call_duration=61, dial_bridged=True
    )
    assert (done["DialCallStatus"], done["DialCallSid"], done["DialCallDuration"], done["DialBridged"]) == (
        "completed",
        leg,
        "61",
        "true",
    )
    assert dial_action(call=a_call(), dial_call_status="no-answer")["DialBridged"] == "false"
    with pytest.raises(ValueError):
        dial_action(call=a_call(), dial_call_status="rejected")


@pytest.mark.parametrize("status", CALL_STATUSES)
def test_status_callbacks_for_every_call_status(status: str) -> None:
    duration = 75 if status == "completed" else None
    params = call_status_callback(call=a_call(), call_status=status, timestamp=WHEN, call_duration=duration)
    assert params["CallStatus"] == status and params["CallbackSource"] == "call-progress-events"
    assert params["SequenceNumber"] == "0" and params["Timestamp"] == "Mon, 23 Nov 2026 08:15:00 +0000"
    assert params.get("CallDuration") == (str(duration) if duration else None)


def test_status_callback_duration_comes_with_completed_only() -> None:
    with pytest.raises(ValueError):
        call_status_callback(call=a_call(), call_status="completed", timestamp=WHEN)
    with pytest.raises(ValueError):
        call_status_callback(call=a_call(), call_status="busy", timestamp=WHEN, call_duration=3)
    with pytest.raises(ValueError):
        call_status_callback(call=a_call(), call_status="hung-up", timestamp=WHEN)


def test_twilio_time_matches_the_documented_format() -> None:
    assert twilio_time(datetime(2010, 8, 16, 3, 45, 1, tzinfo=UTC)) == "Mon, 16 Aug 2010 03:45:01 +0000"


def test_recording_status_callback_carries_the_recording_not_the_call() -> None:
    call, sid = a_call(), new_sid("RE")
    params = recording_status_callback(
        call=call, recording_sid=sid, recording_status="completed", recording_start_time=WHEN, recording_duration=58
    )
    assert params == {
        "AccountSid": ACCOUNT,
        "CallSid": call["CallSid"],
        "RecordingSid": sid,
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid}",
        "RecordingStatus": "completed",
        "RecordingChannels": "1",
        "RecordingSource": "DialVerb",
        "RecordingStartTime": "Mon, 23 Nov 2026 08:15:00 +0000",
        "ErrorCode": "0",
        "RecordingDuration": "58",
    }
    for status in ("in-progress", "absent", "failed"):
        assert (
            recording_status_callback(call=call, recording_sid=sid, recording_status=status, recording_start_time=WHEN)[
                "RecordingStatus"
            ]
            == status
        )
    with pytest.raises(ValueError):
        recording_status_callback(call=call, recording_sid=sid, recording_status="completed", recording_start_time=WHEN)


def test_record_action_says_how_the_recording_ended() -> None:
    call, sid = a_call(), new_sid("RE")
    by_key = record_action(call=call, recording_sid=sid, recording_duration=12, digits="#")
    assert (by_key["RecordingSid"], by_key["RecordingDuration"], by_key["Digits"], by_key["CallStatus"]) == (
        sid,
        "12",
        "#",
        "in-progress",
    )
    assert by_key["RecordingUrl"].endswith(f"/Recordings/{sid}")
    assert (
        record_action(call=call, recording_sid=sid, recording_duration=3, digits="hangup")["CallStatus"] == "completed"
    )


BUILDERS: dict[str, Callable[[Params], Params]] = {
    "incoming": lambda call: call,
    "gather": lambda call: gather_action(call=call, digits="1", finished_on_key=""),
    "enqueue": lambda call: enqueue_action(call=call, queue_result="bridged", queue_sid=new_sid("QU"), queue_time=9),
    "wait": lambda call: enqueue_wait(
        call=call, queue_sid=new_sid("QU"), queue_position=1, queue_time=0, avg_queue_time=0, current_queue_size=1
    ),
    "dial": lambda call: dial_action(call=call, dial_call_status="busy"),
    "status": lambda call: call_status_callback(call=call, call_status="completed", timestamp=WHEN, call_duration=1),
    "recording": lambda call: recording_status_callback(
        call=call, recording_sid=new_sid("RE"), recording_status="absent", recording_start_time=WHEN, error_code=13617
    ),
    "record": lambda call: record_action(call=call, recording_sid=new_sid("RE"), recording_duration=4, digits="hangup"),
}


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize(
    "url",
    ["https://hotline.example.com/twilio/voice", "http://127.0.0.1:8000/twilio/voice/menu?node=main_menu&attempt=1"],
)
def test_every_builder_validates_after_a_form_round_trip(name: str, url: str) -> None:
    params = BUILDERS[name](a_call())
    signature = signed(url, params, TOKEN)["X-Twilio-Signature"]
    # What the app sees: the form body decoded again, blank values kept (they are signed too).
    received = dict(parse_qsl(urlencode(params), keep_blank_values=True))
    validator = RequestValidator(TOKEN)
    assert received == params
    assert validator.validate(url, received, signature)
    assert not validator.validate(url, received | {"CallSid": new_sid("CA")}, signature)
    assert not validator.validate(
        url.replace("127.0.0.1", "localhost").replace("hotline", "other"), received, signature
    )
    if any(value == "" for value in params.values()):
        dropped = {k: v for k, v in params.items() if v != ""}
        assert not validator.validate(url, dropped, signature)


def test_every_documented_queue_result_builds() -> None:
    call = a_call()
    for result in QUEUE_RESULTS:
        enqueued = result in ("bridged", "bridging-in-process", "hangup", "leave", "redirected")
        extra = {"queue_sid": new_sid("QU"), "queue_time": 5} if enqueued else {}
        assert enqueue_action(call=call, queue_result=result, **extra)["QueueResult"] == result  # type: ignore[arg-type]
