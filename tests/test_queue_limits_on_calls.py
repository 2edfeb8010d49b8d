"""A queue's maximum length and maximum wait as callers live them, and the routing settings a
supervisor sets over HTTP (overflow steps, aging, cross-queue weight)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from tests.conftest import HOTLINE, System
from tests.redis_replies import text_fields, texts
from twilio_sandbox import place_call, wait_for_call

REPAIR = ["1", "2"]  # the demo flow's keys for Mandarin, then the repair queue


def said(call: dict[str, Any]) -> str:
    return " ".join(entry["text"] for entry in call["log"] if entry["event"] == "say")


def wait_until_waiting(system: System, queue: str, count: int) -> None:
    routing, deadline = system.redis(), time.monotonic() + 15
    while routing.zcard(f"cc:{{rt}}:waiting:{queue}") < count:
        assert time.monotonic() < deadline, f"{queue} never had {count} waiting"
        time.sleep(0.1)


def test_a_supervisor_sets_overflow_steps_aging_and_weight_and_routing_gets_them(system: System) -> None:
    supervisor = system.login("supervisor")
    body = {
        "overflow": [
            {"after_seconds": 30, "lower_levels_by": 1},
            {"after_seconds": 90, "queues": ["general"]},
            {"after_seconds": 300, "any_agent": True},
        ],
        "aging_seconds_per_priority": 60,
        "weight": 2,
    }
    changed = supervisor.put("/api/queues/repair", json=body)
    assert changed.status_code == 200, changed.text
    assert changed.json()["overflow"][1] == {
        "after_seconds": 90,
        "lower_levels_by": 0,
        "queues": ["general"],
        "any_agent": False,
    }
    published = text_fields(system.redis().hgetall("cc:{rt}:queue:repair"))
    assert json.loads(published["overflow"])[2] == {
        "after_ms": 300_000,
        "lower_levels_by": 0,
        "queues": [],
        "any_agent": True,
    }
    assert published["priority_step_ms"] == "60000" and published["weight"] == "2"

    refused = supervisor.put("/api/queues/repair", json={"overflow": [{"after_seconds": 30, "queues": ["nowhere"]}]})
    assert refused.status_code == 400 and "no queue nowhere" in refused.json()["error"]
    unordered = [{"after_seconds": 60, "any_agent": True}, {"after_seconds": 30, "lower_levels_by": 1}]
    refused = supervisor.put("/api/queues/repair", json={"overflow": unordered})
    assert refused.status_code == 400 and "increasing" in refused.json()["error"]
    assert supervisor.put("/api/queues/repair", json={"weight": 0}).status_code == 400

    reset = supervisor.put(
        "/api/queues/repair", json={"overflow": [], "aging_seconds_per_priority": None, "weight": None}
    )
    assert reset.status_code == 200 and reset.json()["weight"] == 1
    assert "overflow" not in texts(system.redis().hkeys("cc:{rt}:queue:repair"))


def test_a_caller_who_finds_the_queue_full_is_told_so_and_nothing_waits(system: System) -> None:
    supervisor = system.login("supervisor")
    assert supervisor.put("/api/queues/repair", json={"max_length": 1}).status_code == 200
    try:
        first = place_call(system.sandbox_url, from_="+8613500135001", to=HOTLINE, digits=REPAIR, hangup_after_queue=60)
        wait_until_waiting(system, "repair", 1)
        second = place_call(system.sandbox_url, from_="+8613500135002", to=HOTLINE, digits=REPAIR)
        call = wait_for_call(system.sandbox_url, second, timeout=20)
        assert "排队人数已满" in said(call) and call["queue_result"] is None  # in the Mandarin the caller chose
        assert system.redis().zcard("cc:{rt}:waiting:repair") == 1
        with system.sql().connect() as sql:
            status = sql.exec_driver_sql(
                "SELECT status FROM contacts WHERE provider_id = ?"
                if "sqlite" in system.database_url
                else "SELECT status FROM contacts WHERE provider_id = %s",
                (second,),
            ).scalar_one()
        assert status == "abandoned"
        httpx.post(f"{system.sandbox_url}/sandbox/calls/{first}/hangup", json={"side": "caller"}).raise_for_status()
        assert wait_for_call(system.sandbox_url, first, timeout=20)["queue_result"] == "hangup"
    finally:
        supervisor.put("/api/queues/repair", json={"max_length": None})


def test_a_caller_still_waiting_at_the_maximum_wait_is_asked_to_leave_a_message(system: System) -> None:
    supervisor = system.login("supervisor")
    assert supervisor.put("/api/queues/repair", json={"max_wait_seconds": 10}).status_code == 200
    try:
        started = time.monotonic()
        call_sid = place_call(
            system.sandbox_url, from_="+8613500135003", to=HOTLINE, digits=REPAIR, hangup_after_queue=40
        )
        call = wait_for_call(system.sandbox_url, call_sid, timeout=30)
        assert 10 <= time.monotonic() - started < 25
        assert "让您久等了" in said(call) and "请在提示音后留言" in said(call)  # asked to leave a message
        assert any(entry["event"] == "beep" for entry in call["log"])
        assert call["status"] == "completed" and call["duration"] < 25
        stats = supervisor.get("/api/stats/queues/repair").json()
        assert stats["timed_out"] >= 1
    finally:
        supervisor.put("/api/queues/repair", json={"max_wait_seconds": None})
