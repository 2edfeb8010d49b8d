"""A new call hears the opening of its flow at once (no database on that webhook); the first answer
registers it once, however often Twilio retries, with its contact, ticket and customer; a caller who
hangs up during the opening is registered by the final status callback."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import Engine, text
from twilio.request_validator import RequestValidator

from contactcenter.timeutil import as_utc
from tests.conftest import HOTLINE, System
from tests.webhooks import (
    answer,
    call_params,
    contact_row,
    hang_up,
    incoming,
    new_call_sid,
    new_mobile,
    signed_post,
    table_counts,
    twiml,
)


def created_at(sql: Engine, call_sid: str) -> datetime:
    value = contact_row(sql, call_sid)["created_at"]  # SQLite hands back text, PostgreSQL a datetime
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return as_utc(moment)


def without_start_time(root: ET.Element) -> str:
    return re.sub(r"started=\d+", "started=…", ET.tostring(root, encoding="unicode"))


def test_the_opening_asks_the_first_question_and_writes_nothing(system: System, sql: Engine) -> None:
    before = table_counts(sql)
    calls = [new_call_sid(), new_call_sid()]
    openings = [twiml(incoming(system, call_sid, new_mobile())) for call_sid in calls]

    assert table_counts(sql) == before
    assert without_start_time(openings[0]) == without_start_time(openings[1])
    gather = openings[0].find("Gather")
    assert gather is not None
    action = gather.attrib["action"]
    assert "node=language" in action and "attempt=1" in action and "contact=" not in action
    started = int(re.search(r"started=(\d+)", action).group(1))  # type: ignore[union-attr]
    assert abs(started / 1000 - time.time()) < 30
    assert openings[0].find("Redirect").text == action  # type: ignore[union-attr]
    for call_sid in calls:
        hang_up(system, call_sid)


def test_the_first_answer_replayed_three_times_registers_the_call_once(system: System, sql: Engine) -> None:
    call_sid, caller = new_call_sid(), new_mobile()
    twiml(incoming(system, call_sid, caller))
    before = table_counts(sql)

    answers = [twiml(answer(system, call_sid, "language", 1, digits="2")) for _ in range(3)]

    after = table_counts(sql)
    assert after["contacts"] == before["contacts"] + 1
    assert after["tickets"] == before["tickets"] + 1
    assert after["customers"] == before["customers"] + 1
    assert all(root.find("Gather") is not None for root in answers)
    assert "For enquiries press 1" in ET.tostring(answers[0], encoding="unicode")
    contact = contact_row(sql, call_sid)
    assert contact["from_number"] == caller and contact["status"] == "ivr" and contact["language"] == "en"
    with sql.connect() as conn:
        assert conn.scalar(text("select count(*) from customers where phone = :p"), {"p": caller}) == 1
        assert (
            conn.scalar(text("select customer_id from tickets where id = :t"), {"t": contact["ticket_id"]})
            == contact["customer_id"]
        )
    hang_up(system, call_sid)


def test_the_contact_starts_when_the_call_reached_us_not_at_the_first_answer(system: System, sql: Engine) -> None:
    call_sid = new_call_sid()
    twiml(incoming(system, call_sid, new_mobile()))
    started = int(time.time() * 1000) - 8000  # the caller listened to the opening for 8 s
    params = {**call_params(system, call_sid), "CallStatus": "in-progress", "Digits": "1"}

    twiml(signed_post(system, f"/twilio/voice/gather?node=language&attempt=1&started={started}", params))

    assert abs(created_at(sql, call_sid).timestamp() - started / 1000) < 1
    hang_up(system, call_sid)


def test_the_first_answer_retried_concurrently_registers_the_call_once(system: System, sql: Engine) -> None:
    call_sid, caller = new_call_sid(), new_mobile()
    twiml(incoming(system, call_sid, caller))
    before = table_counts(sql)

    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = list(pool.map(lambda _: answer(system, call_sid, "language", 1, digits="1").status_code, range(5)))

    assert statuses == [200] * 5
    after = table_counts(sql)
    assert (after["contacts"], after["tickets"], after["customers"]) == (
        before["contacts"] + 1,
        before["tickets"] + 1,
        before["customers"] + 1,
    )
    hang_up(system, call_sid)


def test_a_withheld_caller_id_gets_a_contact_and_a_ticket_but_no_customer(system: System, sql: Engine) -> None:
    call_sid = new_call_sid()
    twiml(incoming(system, call_sid, "anonymous"))
    before = table_counts(sql)

    root = twiml(answer(system, call_sid, "language", 1, digits="1"))

    assert root.find("Gather") is not None
    after = table_counts(sql)
    assert after["contacts"] == before["contacts"] + 1
    assert after["tickets"] == before["tickets"] + 1
    assert after["customers"] == before["customers"]
    contact = contact_row(sql, call_sid)
    assert contact["customer_id"] is None and contact["ticket_id"] is not None
    with sql.connect() as conn:
        assert conn.scalar(text("select customer_id from tickets where id = :t"), {"t": contact["ticket_id"]}) is None
    hang_up(system, call_sid)


def test_a_caller_who_hangs_up_during_the_opening_is_registered_as_abandoned(system: System, sql: Engine) -> None:
    call_sid, caller = new_call_sid(), new_mobile()
    twiml(incoming(system, call_sid, caller))
    before = table_counts(sql)
    params = {**call_params(system, call_sid), "CallStatus": "completed", "CallDuration": "4"}

    assert signed_post(system, "/twilio/voice/status", params).status_code == 200
    assert signed_post(system, "/twilio/voice/status", params).status_code == 200  # Twilio may send it twice

    after = table_counts(sql)
    assert (after["contacts"], after["tickets"]) == (before["contacts"] + 1, before["tickets"] + 1)
    contact = contact_row(sql, call_sid)
    assert contact["status"] == "abandoned" and contact["from_number"] == caller and contact["ended_at"]
    assert 2 < datetime.now(UTC).timestamp() - created_at(sql, call_sid).timestamp() < 30


def test_a_status_callback_for_an_unknown_call_without_its_numbers_is_not_found(system: System, sql: Engine) -> None:
    before = table_counts(sql)
    response = signed_post(
        system,
        "/twilio/voice/status",
        {"CallSid": new_call_sid(), "AccountSid": system.credentials[0], "CallStatus": "completed"},
    )
    assert response.status_code == 404 and "was registered" in response.text
    assert table_counts(sql) == before


def test_an_incoming_call_whose_body_comes_in_pieces_hears_the_same_opening(system: System) -> None:
    """The fast answer needs the whole form in one message; otherwise the route answers it."""
    whole = twiml(incoming(system, new_call_sid(), new_mobile()))
    params = {
        "CallSid": new_call_sid(),
        "AccountSid": system.credentials[0],
        "From": new_mobile(),
        "To": HOTLINE,
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    body = urlencode(params).encode()
    signature = RequestValidator(system.credentials[1]).compute_signature(system.base_url + "/twilio/voice", params)

    response = httpx.post(
        system.base_url + "/twilio/voice",
        content=iter([body[:50], body[50:]]),  # sent chunked: the server receives it in pieces
        headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        timeout=15,
    )

    assert without_start_time(twiml(response)) == without_start_time(whole)


@pytest.mark.parametrize("started", ["", "soon", "9" * 30])
def test_a_first_answer_with_a_start_time_that_is_not_one_is_refused(system: System, sql: Engine, started: str) -> None:
    call_sid = new_call_sid()
    twiml(incoming(system, call_sid, new_mobile()))
    before = table_counts(sql)
    params = {**call_params(system, call_sid), "CallStatus": "in-progress", "Digits": "1"}

    response = signed_post(system, f"/twilio/voice/gather?node=language&attempt=1&started={started}", params)

    assert response.status_code == 400 and "'started'" in response.text
    assert table_counts(sql) == before
    hang_up(system, call_sid)
