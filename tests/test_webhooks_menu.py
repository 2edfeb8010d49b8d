"""The IVR menu over webhooks: invalid digits and silence ask again, a valid digit or three silences
queue the caller, and a hang-up before or after the menu leaves the call abandoned."""

from __future__ import annotations

from sqlalchemy import Engine, text

from tests.conftest import System
from tests.webhooks import contact_row, hang_up, incoming, menu, new_call_sid, new_mobile, spoken, twiml


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
