"""Webhooks the system refuses without changing anything: a missing parameter, an unknown call, an
unknown queue result."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import HOTLINE, System
from tests.webhooks import Params, contact_row, signed_post, table_counts

MISSING_PARAMETER_CASES = [
    ("/twilio/voice", {"From": "+8613912345678", "To": HOTLINE, "CallStatus": "ringing"}, "CallSid"),
    ("/twilio/voice", {"CallSid": "{sid}", "To": HOTLINE, "CallStatus": "ringing"}, "From"),
    ("/twilio/voice", {"CallSid": "{sid}", "From": "+8613912345678", "CallStatus": "ringing"}, "To"),
    ("/twilio/voice/gather?contact={contact}&node=main_menu&attempt=1", {"Digits": "1"}, "CallSid"),
    ("/twilio/voice/callback?contact={contact}&step=confirmed&attempt=1", {"Digits": "1"}, "CallSid"),
    ("/twilio/voice/wait-key?contact={contact}", {"Digits": "1"}, "CallSid"),
    ("/twilio/voice/voicemail-done?contact={contact}", {"Digits": "#"}, "CallSid"),
    ("/twilio/voice/transfer-result?contact={contact}&node=x", {"CallSid": "{sid}"}, "DialCallStatus"),
    ("/twilio/voice/callback/status?callback=1", {"CallSid": "{sid}"}, "CallStatus"),
    ("/twilio/voice/wait?contact={contact}", {"QueuePosition": "1"}, "CallSid"),
    ("/twilio/voice/queue-result?contact={contact}", {"CallSid": "{sid}"}, "QueueResult"),
    ("/twilio/voice/connect?contact={contact}", {"CallStatus": "in-progress"}, "CallSid"),
    ("/twilio/voice/conference-done?contact={contact}", {"CallStatus": "in-progress"}, "CallSid"),
    ("/twilio/voice/conference?contact={contact}", {"StatusCallbackEvent": "conference-start"}, "ConferenceSid"),
    ("/twilio/voice/conference?contact={contact}", {"ConferenceSid": "CF" + "0" * 32}, "StatusCallbackEvent"),
    ("/twilio/voice/agent-leg?contact={contact}&agent=1", {"CallSid": "{sid}"}, "CallStatus"),
    ("/twilio/voice/agent-leg?contact={contact}&agent=1", {"CallStatus": "completed"}, "CallSid"),
    ("/twilio/voice/monitor-leg?contact={contact}&monitor=1", {"CallSid": "{sid}"}, "CallStatus"),
    ("/twilio/voice/monitor-leg?contact={contact}&monitor=1", {"CallStatus": "completed"}, "CallSid"),
    ("/twilio/voice/status", {"CallStatus": "completed"}, "CallSid"),
    ("/twilio/voice/status", {"CallSid": "{sid}"}, "CallStatus"),
    ("/twilio/recording?contact={contact}", {"CallSid": "{sid}", "RecordingStatus": "completed"}, "RecordingSid"),
    (
        "/twilio/recording?contact={contact}",
        {"RecordingSid": "RE" + "0" * 32, "RecordingStatus": "completed"},
        "CallSid or ConferenceSid",
    ),
    ("/twilio/recording?contact={contact}", {"CallSid": "{sid}", "RecordingSid": "RE" + "0" * 32}, "RecordingStatus"),
]


@pytest.mark.parametrize(
    ("path", "params", "missing"),
    MISSING_PARAMETER_CASES,
    ids=[f"{case[0].split('?')[0]}-{case[2]}" for case in MISSING_PARAMETER_CASES],
)
def test_a_webhook_without_a_required_parameter_is_refused_by_name_and_changes_nothing(
    system: System, sql: Engine, registered_call: tuple[str, int], path: str, params: Params, missing: str
) -> None:
    call_sid, contact_id = registered_call
    path = path.format(contact=contact_id)
    params = {"AccountSid": system.credentials[0], **{k: v.format(sid=call_sid) for k, v in params.items()}}
    before = table_counts(sql)
    seq_before = system.redis().get("cc:{rt}:seq")

    response = signed_post(system, path, params)

    assert response.status_code == 400, response.text
    assert "missing" in response.text and missing in response.text
    assert table_counts(sql) == before
    assert system.redis().get("cc:{rt}:seq") == seq_before
    assert contact_row(sql, call_sid)["status"] == "ivr"


def test_a_menu_webhook_for_a_call_never_registered_is_not_found(system: System, sql: Engine) -> None:
    before = table_counts(sql)
    params = {"CallSid": "CA" + "f" * 32, "AccountSid": system.credentials[0], "Digits": "1"}
    response = signed_post(system, "/twilio/voice/gather?contact=987654&node=main_menu&attempt=1", params)
    assert response.status_code == 404
    assert "no contact 987654" in response.text
    assert table_counts(sql) == before


def test_an_unknown_queue_result_is_refused(system: System, sql: Engine, registered_call: tuple[str, int]) -> None:
    call_sid, contact_id = registered_call
    before = table_counts(sql)
    response = signed_post(
        system,
        f"/twilio/voice/queue-result?contact={contact_id}",
        {
            "CallSid": call_sid,
            "AccountSid": system.credentials[0],
            "QueueResult": "teleported",
        },
    )
    assert response.status_code == 400
    assert "QueueResult" in response.text and "teleported" in response.text
    assert table_counts(sql) == before
    assert contact_row(sql, call_sid)["status"] == "ivr"


def test_a_form_body_that_is_not_utf8_is_refused(system: System, sql: Engine) -> None:
    before = table_counts(sql)
    response = httpx.post(
        system.base_url + "/twilio/voice",
        content=b"CallSid=CA1&From=\xff\xfe",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "x"},
        timeout=10,
    )
    assert response.status_code == 400 and "not UTF-8" in response.text
    assert table_counts(sql) == before
