"""Identity before disclosure on the web chat: a visitor who types a customer's number is a stranger to the
agent (no history, no open tickets, no return visit to that number) until a one-time code sent by SMS
(through the Twilio sandbox's Messages API) or the agent's explicit check proves it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from tests.conftest import HOTLINE, StartInProcess, System
from tests.console import AgentConsole, signed_in_console
from tests.ivr_caller import Caller
from tests.test_chat_web import ChatCustomer
from tests.webhooks import open_sql

MS_ZHAO = "+8613800138000"  # a demo key account


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[System]:
    with start_in_process({"OFFER_TIMEOUT_SECONDS": "3", "SMS_FROM": HOTLINE}) as started:
        yield started


@pytest.fixture(scope="module")
def sql(system: System) -> Iterator[Engine]:
    yield from open_sql(system)


@pytest.fixture
def agent(system: System) -> Iterator[AgentConsole]:
    """agent1, the complaints queue's agent, available for chats."""
    for console in signed_in_console(system, "agent1"):
        console.go("available")
        yield console


def connected_chat(system: System, agent: AgentConsole, **form: Any) -> ChatCustomer:
    customer = ChatCustomer(system, **form)
    offer = agent.next_event("offer.created", contact=customer.contact)
    assert agent.accept(customer.contact).status_code == 200
    customer.offer = offer  # type: ignore[attr-defined]
    return customer


def pop(agent: AgentConsole, customer: ChatCustomer) -> dict[str, Any]:
    response = agent.http.get(f"/api/agent/contacts/{customer.contact}/screen-pop")
    assert response.status_code == 200, response.text
    return dict(response.json())


def end_and_wrap_up(agent: AgentConsole, customer: ChatCustomer, **form: Any) -> httpx.Response:
    agent.post(f"/api/agent/contacts/{customer.contact}/end")
    return agent.post(
        f"/api/agent/contacts/{customer.contact}/wrap-up", {"note": "", "next_state": "available", **form}
    )


def return_visit() -> dict[str, Any]:
    at = (datetime.now(UTC) + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0)
    return {"follow_up": {"kind": "return_visit", "at": at.isoformat(), "note": "回访"}}


def callbacks_to(sql: Engine, phone: str) -> int:
    with sql.connect() as conn:
        return int(conn.scalar(text("SELECT count(*) FROM callbacks WHERE phone = :p"), {"p": phone}) or 0)


def audit(sql: Engine, contact: str, kind: str) -> list[dict[str, Any]]:
    query = "SELECT actor, data FROM audit_events WHERE subject_type = 'contact' AND subject_id = :id AND kind = :k"
    with sql.connect() as conn:
        rows = conn.execute(text(query), {"id": str(int(contact)), "k": kind}).all()  # subject_id is text
    return [{"actor": actor, "data": json.loads(data) if isinstance(data, str) else data} for actor, data in rows]


def sent_sms(system: System, to: str) -> list[dict[str, Any]]:
    listed = httpx.get(system.sandbox_url + "/sandbox/messages", timeout=10)
    assert listed.status_code == 200, listed.text
    return [m for m in listed.json()["messages"] if m["to"] == to]


def send_code(system: System, customer: ChatCustomer) -> httpx.Response:
    return httpx.post(system.base_url + "/api/chat/verification", json={"token": customer.token}, timeout=15)


def check_code(system: System, customer: ChatCustomer, code: str) -> httpx.Response:
    body = {"token": customer.token, "code": code}
    return httpx.post(system.base_url + "/api/chat/verification/check", json=body, timeout=15)


def test_a_visitor_typing_a_key_accounts_number_is_unverified_sees_none_of_her_file_and_gets_no_return_visit(
    system: System, sql: Engine, agent: AgentConsole
) -> None:
    earlier = Caller(system, from_=MS_ZHAO)
    earlier.dial()  # her own earlier call left a contact and an open ticket
    earlier.press("1")
    earlier.status("completed")
    customer = connected_chat(system, agent, name="赵女士", phone="13800138000")
    info = customer.offer["info"]  # type: ignore[attr-defined]
    assert info["customer_id"] is None and info["grade"] is None and info["verified"] is False
    shown = pop(agent, customer)
    assert shown["customer"] is None and shown["recent_contacts"] == [] and shown["open_tickets"] == []
    assert shown["contact"]["verified"] is False
    assert shown["identity"] == {"verified": False, "method": None, "claimed_phone": "+86 138****8000"}
    on_console = agent.http.get(f"/api/agent/chats/{customer.contact}/messages").json()
    assert on_console["customer"]["verified"] is False
    refused = end_and_wrap_up(agent, customer, **return_visit())
    assert refused.status_code == 400 and "not verified" in refused.json()["error"]
    assert callbacks_to(sql, MS_ZHAO) == 0
    assert end_and_wrap_up(agent, customer).status_code == 200


def test_an_sms_code_through_the_sandbox_proves_the_number_and_links_the_chat_to_her_record(
    system: System, sql: Engine, agent: AgentConsole
) -> None:
    customer = connected_chat(system, agent, name="赵女士", phone="13800138000")
    customer.open()
    sent = send_code(system, customer)
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"sent": True, "to": "+86 138****8000", "expires_in": 300}
    [sms] = sent_sms(system, MS_ZHAO)[:1]
    assert sms["from"] == HOTLINE and sms["sid"].startswith("SM") and sms["status"] in ("queued", "sent", "delivered")
    code = re.search(r"\b(\d{6})\b", sms["body"])
    assert code is not None and "验证码" in sms["body"] and "code" in sms["body"]
    with sql.connect() as conn:
        stored = conn.execute(
            text("SELECT * FROM identity_codes WHERE contact_id = :id"), {"id": int(customer.contact)}
        )
        [row] = [dict(r._mapping) for r in stored]
    assert code.group(1) not in str(row) and len(row["code_hash"]) == 64  # hashed at rest
    wrong = check_code(system, customer, str((int(code.group(1)) + 1) % 10**6).zfill(6))
    assert wrong.status_code == 400 and "4" in wrong.json()["error"] and wrong.json()["code"] == "wrong_code"
    assert pop(agent, customer)["customer"] is None
    right = check_code(system, customer, code.group(1))
    assert right.status_code == 200 and right.json() == {"verified": True}
    assert customer.next("verified")["verified"] is True
    shown = pop(agent, customer)
    assert shown["customer"]["name"] == "赵女士 Ms Zhao" and shown["contact"]["verified"] is True
    assert shown["identity"]["method"] == "sms_code" and shown["identity"]["verified"] is True
    [event] = audit(sql, customer.contact, "identity_verified")
    assert event["actor"] == "webchat" and event["data"]["method"] == "sms_code"
    assert check_code(system, customer, code.group(1)).status_code == 409  # verified already
    assert end_and_wrap_up(agent, customer, **return_visit()).status_code == 200
    assert callbacks_to(sql, MS_ZHAO) == 1
    customer.close()


def test_codes_expire_allow_five_tries_and_sends_are_limited_per_chat_and_per_number(
    system: System, sql: Engine
) -> None:
    number, e164 = "13700137001", "+8613700137001"
    first = ChatCustomer(system, phone=number, topic="repair")
    assert send_code(system, first).status_code == 202
    code = re.findall(r"\b\d{6}\b", sent_sms(system, e164)[0]["body"])[0]
    wrong = str((int(code) + 1) % 10**6).zfill(6)
    for left in (4, 3, 2, 1, 0):
        refused = check_code(system, first, wrong)
        assert refused.status_code == 400 and f"{left}" in refused.json()["error"]
    spent = check_code(system, first, code)  # even the right code: its tries are spent
    assert spent.status_code == 429 and spent.json()["code"] == "too_many_tries"
    assert send_code(system, first).status_code == 202
    with sql.begin() as conn:
        conn.execute(text("UPDATE identity_codes SET expires_at = :t"), {"t": datetime.now(UTC) - timedelta(seconds=1)})
    code = re.findall(r"\b\d{6}\b", sent_sms(system, e164)[0]["body"])[0]
    expired = check_code(system, first, code)
    assert (
        expired.status_code == 410 and expired.json()["code"] == "code_expired" and "expired" in expired.json()["error"]
    )
    assert send_code(system, first).status_code == 202
    per_chat = send_code(system, first)
    assert per_chat.status_code == 429 and "Retry-After" in per_chat.headers
    second = ChatCustomer(system, phone=number, topic="repair")
    assert [send_code(system, second).status_code for _ in range(3)] == [202, 202, 429]  # 5 an hour per number
    assert len(sent_sms(system, e164)) == 5
    racing = ChatCustomer(system, phone="13700137002", topic="repair")  # guesses sent side by side
    assert send_code(system, racing).status_code == 202
    sent = re.findall(r"\b\d{6}\b", sent_sms(system, "+8613700137002")[0]["body"])[0]
    guess = str((int(sent) + 1) % 10**6).zfill(6)
    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(lambda _: check_code(system, racing, guess).status_code, range(8)))
    assert statuses == [400] * 5 + [429] * 3
    no_phone = ChatCustomer(system, phone="", topic="repair")
    assert send_code(system, no_phone).status_code == 400
    assert check_code(system, no_phone, "123456").status_code == 400
    assert httpx.post(system.base_url + "/api/chat/verification", json={"token": "nope"}).status_code == 401
    for customer in (first, second, racing, no_phone):
        customer.open()
        customer.send(type="leave")
        customer.next("ended")
        customer.close()


def test_the_agent_on_the_chat_may_verify_the_customer_and_the_audit_says_who(
    system: System, sql: Engine, agent: AgentConsole
) -> None:
    customer = connected_chat(system, agent, name="赵女士", phone="13800138000")
    for other in signed_in_console(system, "agent2"):
        refused = other.post(f"/api/agent/chats/{customer.contact}/verify", {"note": "asked her"})
        assert refused.status_code in (403, 404)  # 404: the policy, when they serve none of its queues
    sent = agent.post(f"/api/agent/chats/{customer.contact}/verification")
    assert sent.status_code == 202 and sent.json()["to"] == "+86 138****8000"
    verified = agent.post(f"/api/agent/chats/{customer.contact}/verify", {"note": "证件后四位和订单号核对一致"})
    assert verified.status_code == 200 and verified.json()["verified"] is True
    [event] = audit(sql, customer.contact, "identity_verified")
    assert event["actor"] == f"user:{agent.id}" and event["data"]["method"] == "agent"
    assert event["data"]["note"] == "证件后四位和订单号核对一致"
    shown = pop(agent, customer)
    assert shown["customer"]["name"] == "赵女士 Ms Zhao" and shown["identity"]["method"] == "agent"
    assert end_and_wrap_up(agent, customer).status_code == 200


def test_the_console_says_verified_and_unverified_in_both_languages(system: System) -> None:
    words = httpx.get(system.base_url + "/static/agents/console-i18n.js").text
    for said in (
        "未验证",
        "unverified",
        "已验证",
        "verified",
        "发送验证码",
        "Send code",
        "确认身份",
        "Confirm identity",
    ):
        assert said in words
