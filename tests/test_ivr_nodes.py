"""The demo hotline's nodes over webhooks: greeting, language, menu by key or word, lookup, identity, self-service."""

from __future__ import annotations

from redis import Redis
from sqlalchemy import text as sql_text

from tests.conftest import System
from tests.ivr_caller import Caller
from tests.redis_replies import text

MS_ZHAO = "+8613800138000"  # a demo key account: ID ends 123X, order 20261101001 (shipped)


def ms_zhao_id(system: System) -> int:
    engine = system.sql()
    try:
        with engine.connect() as conn:
            return int(conn.execute(sql_text("SELECT id FROM customers WHERE phone = :p"), {"p": MS_ZHAO}).scalar_one())
    finally:
        engine.dispose()


def routing_field(system: System, contact_id: int, field: str) -> str | None:
    value = Redis.from_url(system.redis_url).hget(f"cc:{{rt}}:contact:{contact_id}", field)
    return text(value) if value else None


def test_the_greeting_speaks_mandarin_first_then_english_and_asks_for_a_language(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    languages = [lang for lang, _ in caller.said()]
    assert languages[:2] == ["zh-CN", "en"]
    assert "示例电器" in caller.said()[0][1] and "Example Appliances" in caller.said()[1][1]
    assert "node=language" in caller.gather_url()
    caller.press("1")  # the first answer registers the call
    assert caller.contact()["status"] == "ivr"


def test_choosing_english_makes_the_rest_of_the_call_english_only(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    caller.press("2")
    assert caller.contact()["language"] == "en"
    assert {lang for lang, _ in caller.said()} == {"en"}
    assert "For enquiries press 1" in caller.heard()


def test_silence_at_the_language_question_keeps_mandarin(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    caller.stay_silent()
    assert caller.contact()["language"] == "zh-CN"
    assert {lang for lang, _ in caller.said()} == {"zh-CN"}
    assert "咨询请按1" in caller.heard()


def test_a_wrong_key_at_the_language_question_asks_again(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    caller.press("7")
    assert "Sorry, that is not a valid choice." in caller.heard()
    assert "node=language" in caller.gather_url() and "attempt=2" in caller.gather_url()


def test_saying_a_keyword_in_mandarin_chooses_repairs(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    caller.press("1")
    assert caller.root.find("Gather").attrib["input"] == "dtmf speech"  # type: ignore[union-attr]
    caller.say("我的洗衣机坏了,要报修")
    assert caller.root.find("Enqueue").text == "repair"  # type: ignore[union-attr]
    assert caller.contact()["queue"] == "repair"
    caller.status("completed")


def test_saying_a_keyword_in_english_chooses_complaints(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    caller.press("2")
    assert caller.root.find("Gather").attrib["language"] == "en-US"  # type: ignore[union-attr]
    caller.say("I would like to make a Complaint.")
    assert caller.root.find("Enqueue").text == "complaints"  # type: ignore[union-attr]
    caller.status("completed")


def test_words_matching_no_option_count_as_a_wrong_answer(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    caller.press("2")
    caller.say("what is the weather like")
    assert "Sorry, that is not a valid choice." in caller.heard()
    assert "node=main_menu" in caller.gather_url() and "attempt=2" in caller.gather_url()


def test_a_known_key_account_is_greeted_by_name_and_queued_with_priority(system: System) -> None:
    caller = Caller(system, from_=MS_ZHAO)
    caller.dial()
    caller.press("1")
    assert "赵女士 Ms Zhao,您好,欢迎再次来电。" in caller.heard()
    caller.press("1")
    contact_id = caller.contact()["id"]
    assert routing_field(system, contact_id, "priority") == "5"
    caller.status("completed")


def test_an_order_number_proves_identity_and_self_service_reads_the_order(system: System) -> None:
    caller = Caller(system, from_=MS_ZHAO)
    caller.dial()
    caller.press("2")  # English
    caller.press("4")  # orders and delivery
    assert "order number" in caller.heard() and "node=orders" in caller.gather_url()
    assert caller.root.find("Gather").attrib["finishOnKey"] == "#"  # type: ignore[union-attr]
    caller.press("20261101001")
    assert caller.contact()["identity_verified"] in (True, 1)
    caller.press("1")
    assert "Your latest order, number 2 0 2 6 1 1 0 1 0 0 1" in caller.heard()
    assert "shipped and on its way" in caller.heard()
    assert "node=order_menu" in caller.gather_url()  # and the menu again


def test_the_last_four_of_the_id_with_star_for_x_proves_identity_and_reads_the_latest_ticket(system: System) -> None:
    earlier = Caller(system, from_=MS_ZHAO)
    earlier.dial()  # an earlier call left a ticket
    earlier.status("completed")
    caller = Caller(system, from_=MS_ZHAO)
    caller.dial()
    caller.press("1")
    caller.press("4")
    caller.press("123*")
    caller.press("2")
    assert "您最近的工单" in caller.heard() and "已受理" in caller.heard()


def test_an_unknown_caller_keying_someone_elses_order_number_hears_no_status_and_is_offered_an_agent(
    system: System,
) -> None:
    caller = Caller(system)
    caller.dial()
    caller.press("2")
    caller.press("4")
    caller.press("9999")
    assert "could not verify" in caller.heard() and "attempt=2" in caller.gather_url()
    caller.press("20261101001")  # Ms Zhao's order, keyed in from a number that is not hers
    assert "shipped" not in caller.heard() and "washing machine" not in caller.heard()
    assert "last four characters of the ID registered for this order" in caller.heard()
    assert caller.contact()["identity_verified"] in (False, 0) and "node=orders" in caller.gather_url()
    caller.press("0000")  # not her ID
    assert "cannot give you the status" in caller.heard() and "agent" in caller.heard()
    assert caller.root.find("Enqueue").text == "general"  # type: ignore[union-attr]
    contact = caller.contact()
    assert contact["identity_verified"] in (False, 0) and contact["customer_id"] != ms_zhao_id(system)
    caller.status("completed")


def test_an_order_number_from_another_number_and_the_ids_last_four_prove_identity(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    caller.press("1")
    caller.press("4")
    caller.press("20261101001")
    assert "证件号码的后四位" in caller.heard()
    caller.press("123*")  # her ID's last four: now she has proved who she is
    contact = caller.contact()
    assert contact["identity_verified"] in (True, 1) and contact["customer_id"] == ms_zhao_id(system)
    caller.press("1")
    assert "已发货" in caller.heard()


def test_a_wrong_code_three_times_queues_for_orders_unverified(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    caller.press("1")
    caller.press("4")
    for _ in range(3):
        caller.press("0000")
    assert caller.root.find("Enqueue").text == "general"  # type: ignore[union-attr]
    contact = caller.contact()
    assert contact["identity_verified"] in (False, 0) and "订单和物流" in contact["menu_choice"]
    caller.status("completed")


def test_no_usable_answer_to_the_callback_offer_three_times_queues_for_the_flows_fallback(system: System) -> None:
    caller = Caller(system)
    caller.dial()
    caller.press("1")
    caller.press("5")  # book a call back: confirm the caller ID, 1 yes or 2 another number
    for _ in range(3):
        caller.press("9")
    assert caller.root.find("Enqueue").text == "general"  # type: ignore[union-attr]
    assert "人工服务" in caller.contact()["menu_choice"]  # the flow's fallback: the operator
    caller.status("completed")
