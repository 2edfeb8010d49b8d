"""The incoming-call webhook registers a call once (however often Twilio retries it) with its
contact, ticket and customer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, text

from tests.conftest import System
from tests.webhooks import contact_row, hang_up, incoming, new_call_sid, new_mobile, table_counts, twiml


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
