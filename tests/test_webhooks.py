"""Twilio's voice webhooks on a running system, posted and signed the way Twilio does it."""

from __future__ import annotations

import random
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text
from twilio.request_validator import RequestValidator

from tests.conftest import HOTLINE, System, start_system, stop_system

Params = dict[str, str]
TABLES = ("contacts", "tickets", "customers", "audit_events")


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def new_mobile() -> str:
    return "+86139" + "".join(random.choices("0123456789", k=8))


def signed_post(
    system: System,
    path_and_query: str,
    params: Params,
    *,
    signed_base: str | None = None,
    signed_path_and_query: str | None = None,
) -> httpx.Response:
    signed_url = (signed_base or system.base_url) + (signed_path_and_query or path_and_query)
    signature = RequestValidator(system.credentials[1]).compute_signature(signed_url, params)
    return httpx.post(
        system.base_url + path_and_query, data=params, headers={"X-Twilio-Signature": signature}, timeout=15
    )


def twiml(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    return root


def spoken(root: ET.Element) -> list[str]:
    return [say.text or "" for say in root.iter("Say")]


@pytest.fixture(scope="module")
def sql(system: System) -> Iterator[Engine]:
    engine = system.sql()
    yield engine
    engine.dispose()


def table_counts(sql: Engine) -> dict[str, int]:
    with sql.connect() as conn:
        return {table: int(conn.scalar(text(f"select count(*) from {table}")) or 0) for table in TABLES}


def contact_row(sql: Engine, call_sid: str) -> dict[str, object]:
    with sql.connect() as conn:
        row = conn.execute(text("select * from contacts where provider_id = :sid"), {"sid": call_sid}).mappings().one()
    return dict(row)


def incoming(system: System, call_sid: str, from_number: str) -> httpx.Response:
    return signed_post(
        system,
        "/twilio/voice",
        {
            "CallSid": call_sid,
            "AccountSid": system.credentials[0],
            "From": from_number,
            "To": HOTLINE,
            "CallStatus": "ringing",
            "Direction": "inbound",
        },
    )


def menu(system: System, call_sid: str, attempt: int, digits: str | None = None) -> httpx.Response:
    params = {"CallSid": call_sid, "AccountSid": system.credentials[0], "CallStatus": "in-progress"}
    if digits is not None:
        params["Digits"] = digits
    return signed_post(system, f"/twilio/voice/menu?node=main_menu&attempt={attempt}", params)


def hang_up(system: System, call_sid: str) -> None:
    response = signed_post(
        system,
        "/twilio/voice/status",
        {
            "CallSid": call_sid,
            "AccountSid": system.credentials[0],
            "CallStatus": "completed",
        },
    )
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def registered_call(system: System, sql: Engine) -> tuple[str, int]:
    call_sid = new_call_sid()
    assert incoming(system, call_sid, new_mobile()).status_code == 200
    return call_sid, int(contact_row(sql, call_sid)["id"])  # type: ignore[call-overload]


MISSING_PARAMETER_CASES = [
    ("/twilio/voice", {"From": "+8613912345678", "To": HOTLINE, "CallStatus": "ringing"}, "CallSid"),
    ("/twilio/voice", {"CallSid": "{sid}", "To": HOTLINE, "CallStatus": "ringing"}, "From"),
    ("/twilio/voice", {"CallSid": "{sid}", "From": "+8613912345678", "CallStatus": "ringing"}, "To"),
    ("/twilio/voice/menu?node=main_menu&attempt=1", {"Digits": "1"}, "CallSid"),
    ("/twilio/voice/wait?contact={contact}", {"QueuePosition": "1"}, "CallSid"),
    ("/twilio/voice/queue-result?contact={contact}", {"CallSid": "{sid}"}, "QueueResult"),
    ("/twilio/voice/connect?contact={contact}", {"CallStatus": "in-progress"}, "CallSid"),
    ("/twilio/voice/dial-result?contact={contact}", {"CallSid": "{sid}"}, "DialCallStatus"),
    ("/twilio/voice/status", {"CallStatus": "completed"}, "CallSid"),
    ("/twilio/voice/status", {"CallSid": "{sid}"}, "CallStatus"),
    ("/twilio/recording?contact={contact}", {"CallSid": "{sid}", "RecordingStatus": "completed"}, "RecordingSid"),
    (
        "/twilio/recording?contact={contact}",
        {"RecordingSid": "RE" + "0" * 32, "RecordingStatus": "completed"},
        "CallSid",
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
    response = menu(system, "CA" + "f" * 32, attempt=1, digits="1")
    assert response.status_code == 404
    assert "CA" + "f" * 32 in response.text
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


def test_a_signed_url_with_a_query_string_validates_and_the_same_request_with_another_query_is_refused(
    system: System, registered_call: tuple[str, int]
) -> None:
    call_sid, contact_id = registered_call
    params = {"CallSid": call_sid, "AccountSid": system.credentials[0], "QueuePosition": "1"}

    assert signed_post(system, f"/twilio/voice/wait?contact={contact_id}", params).status_code == 200
    changed = signed_post(
        system,
        f"/twilio/voice/wait?contact={contact_id + 1}",
        params,
        signed_path_and_query=f"/twilio/voice/wait?contact={contact_id}",
    )
    assert changed.status_code == 403
    unsigned_query = signed_post(
        system, f"/twilio/voice/wait?contact={contact_id}", params, signed_path_and_query="/twilio/voice/wait"
    )
    assert unsigned_query.status_code == 403


def test_a_signature_made_for_another_base_url_is_refused(system: System, sql: Engine) -> None:
    before = table_counts(sql)
    call_sid = new_call_sid()
    params = {"CallSid": call_sid, "AccountSid": system.credentials[0], "From": new_mobile(), "To": HOTLINE}
    response = signed_post(system, "/twilio/voice", params, signed_base="https://hotline.example.com")
    assert response.status_code == 403
    assert table_counts(sql) == before


def test_the_incoming_call_webhook_replayed_three_times_registers_the_call_once(system: System, sql: Engine) -> None:
    call_sid, caller = new_call_sid(), new_mobile()
    before = table_counts(sql)

    answers = [twiml(incoming(system, call_sid, caller)) for _ in range(3)]

    after = table_counts(sql)
    assert after["contacts"] == before["contacts"] + 1
    assert after["tickets"] == before["tickets"] + 1
    assert after["customers"] == before["customers"] + 1
    assert all(answer.find("Gather") is not None for answer in answers)
    assert ET.tostring(answers[0]) == ET.tostring(answers[2])
    contact = contact_row(sql, call_sid)
    assert contact["from_number"] == caller and contact["status"] == "ivr"
    with sql.connect() as conn:
        assert conn.scalar(text("select count(*) from customers where phone = :p"), {"p": caller}) == 1
        assert (
            conn.scalar(text("select customer_id from tickets where id = :t"), {"t": contact["ticket_id"]})
            == contact["customer_id"]
        )
    hang_up(system, call_sid)


def test_the_incoming_call_webhook_retried_concurrently_registers_the_call_once(system: System, sql: Engine) -> None:
    call_sid, caller = new_call_sid(), new_mobile()
    before = table_counts(sql)

    with ThreadPoolExecutor(max_workers=5) as pool:
        statuses = list(pool.map(lambda _: incoming(system, call_sid, caller).status_code, range(5)))

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
    before = table_counts(sql)

    root = twiml(incoming(system, call_sid, "anonymous"))

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


def test_an_invalid_digit_says_so_and_asks_again(system: System, sql: Engine) -> None:
    call_sid = new_call_sid()
    twiml(incoming(system, call_sid, new_mobile()))

    root = twiml(menu(system, call_sid, attempt=1, digits="7"))

    said = spoken(root)
    assert "Sorry, that is not a valid choice." in said and "对不起,您的输入无效。" in said
    gather = root.find("Gather")
    assert gather is not None
    assert "node=main_menu" in gather.attrib["action"] and "attempt=2" in gather.attrib["action"]
    assert any("press 1" in line for line in spoken(gather))
    assert root.find("Enqueue") is None
    assert contact_row(sql, call_sid)["status"] == "ivr"
    hang_up(system, call_sid)


def test_silence_in_the_menu_asks_again_without_the_invalid_message(system: System) -> None:
    call_sid = new_call_sid()
    twiml(incoming(system, call_sid, new_mobile()))

    root = twiml(menu(system, call_sid, attempt=1))

    assert "Sorry, that is not a valid choice." not in spoken(root)
    gather = root.find("Gather")
    assert gather is not None and "attempt=2" in gather.attrib["action"]
    hang_up(system, call_sid)


def test_three_silences_in_the_menu_fall_back_to_the_operator_queue(system: System, sql: Engine) -> None:
    call_sid = new_call_sid()
    first = twiml(incoming(system, call_sid, new_mobile()))
    action = first.find("Gather").attrib["action"]  # type: ignore[union-attr]
    assert first.find("Redirect").text == action  # type: ignore[union-attr]

    for attempt in (1, 2):
        again = twiml(menu(system, call_sid, attempt=attempt))
        assert again.find("Gather") is not None and again.find("Enqueue") is None
    last = twiml(menu(system, call_sid, attempt=3))

    assert last.find("Gather") is None
    enqueue = last.find("Enqueue")
    assert enqueue is not None and enqueue.text == "general"
    contact = contact_row(sql, call_sid)
    assert contact["status"] == "queued" and contact["queue"] == "general"
    assert "Operator" in str(contact["menu_choice"])
    assert f"contact={contact['id']}" in enqueue.attrib["waitUrl"]
    routing = system.redis()
    assert routing.zscore("cc:{rt}:waiting:general", str(contact["id"])) is not None
    hang_up(system, call_sid)


def test_a_valid_digit_queues_the_caller_in_the_chosen_queue(system: System, sql: Engine) -> None:
    call_sid = new_call_sid()
    twiml(incoming(system, call_sid, new_mobile()))

    root = twiml(menu(system, call_sid, attempt=1, digits="3"))

    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == "complaints"
    contact = contact_row(sql, call_sid)
    assert contact["status"] == "queued" and contact["queue"] == "complaints"
    with sql.connect() as conn:
        assert (
            conn.scalar(text("select category from tickets where id = :t"), {"t": contact["ticket_id"]}) == "complaint"
        )
    record = system.redis().hgetall(f"cc:{{rt}}:contact:{contact['id']}")
    assert record[b"state"] == b"waiting" and record[b"priority"] == b"3"
    hang_up(system, call_sid)


def test_a_status_callback_ending_a_queued_call_marks_it_abandoned(system: System, sql: Engine) -> None:
    call_sid = new_call_sid()
    twiml(incoming(system, call_sid, new_mobile()))
    twiml(menu(system, call_sid, attempt=1, digits="2"))
    contact_id = str(contact_row(sql, call_sid)["id"])
    routing = system.redis()
    assert routing.zscore("cc:{rt}:waiting:repair", contact_id) is not None

    hang_up(system, call_sid)

    contact = contact_row(sql, call_sid)
    assert contact["status"] == "abandoned" and contact["ended_at"] is not None
    assert routing.zscore("cc:{rt}:waiting:repair", contact_id) is None
    assert routing.hget(f"cc:{{rt}}:contact:{contact_id}", "state") == b"abandoned"
    hang_up(system, call_sid)
    assert contact_row(sql, call_sid)["status"] == "abandoned"


def test_a_menu_choice_arriving_after_the_caller_hung_up_does_not_queue_the_call(system: System, sql: Engine) -> None:
    call_sid = new_call_sid()
    twiml(incoming(system, call_sid, new_mobile()))
    hang_up(system, call_sid)
    assert contact_row(sql, call_sid)["status"] == "abandoned"

    late = menu(system, call_sid, attempt=1, digits="2")

    assert late.status_code < 500
    if late.status_code == 200:
        assert twiml(late).find("Enqueue") is None
    contact = contact_row(sql, call_sid)
    assert contact["status"] == "abandoned"
    routing = system.redis()
    assert routing.zscore("cc:{rt}:waiting:repair", str(contact["id"])) is None
    assert routing.hget(f"cc:{{rt}}:contact:{contact['id']}", "state") in (None, b"abandoned")


def test_behind_a_proxy_signatures_are_checked_against_the_public_base_url(
    tmp_path: Path,
    new_database,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.delenv("TEST_REDIS_URL", raising=False)  # its own Redis: flushing the shared one would disturb others
    proxied = start_system(tmp_path, new_database(), {"PUBLIC_BASE_URL": "https://hotline.example.com"})
    try:
        params = {
            "CallSid": new_call_sid(),
            "AccountSid": proxied.credentials[0],
            "From": new_mobile(),
            "To": HOTLINE,
            "CallStatus": "ringing",
        }
        root = twiml(signed_post(proxied, "/twilio/voice", params, signed_base="https://hotline.example.com"))
        gather = root.find("Gather")
        assert gather is not None
        assert gather.attrib["action"].startswith("https://hotline.example.com/twilio/voice/menu?")
        assert signed_post(proxied, "/twilio/voice", params).status_code == 403
    finally:
        stop_system(proxied)
