"""What the agent sees of a contact (the screen pop) and what they write up about it (wrap-up)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import HOTLINE, System
from tests.console import AgentConsole, signed_in_console
from twilio_sandbox import place_call

MS_ZHAO = "+8613800138000"


@pytest.fixture
def agent1(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent1")


def handled_call(system: System, agent: AgentConsole) -> dict[str, Any]:
    """A call from Ms Zhao (a key account) that the agent takes and that ends: the offer event."""
    agent.go("available")
    place_call(system.sandbox_url, from_=MS_ZHAO, to=HOTLINE, digits=["1", "2"], talk_seconds=1)
    offer = agent.next_event("offer.created")
    assert agent.accept(offer["contact"]).status_code == 200
    agent.next_event("contact.ended", contact=offer["contact"], timeout=30)
    agent.next_event("agent.state", state="wrap_up")
    return offer


def wrap_up(agent: AgentConsole, contact: str, **form: Any) -> Any:
    return agent.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available", **form})


def tomorrow_at_ten() -> str:
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    return f"{day.isoformat()}T10:00"


def test_the_console_offers_the_lists_the_hotline_configured(agent1: AgentConsole) -> None:
    options = agent1.http.get("/api/agent/options").json()
    assert options["not_ready_reasons"] == ["break", "meal", "training", "meeting", "after_call_work"]
    assert "resolved" in options["disposition_codes"] and "repair" in options["ticket_categories"]
    assert options["ticket_statuses"] == ["in_progress", "dispatched", "waiting_customer", "waiting_parts", "resolved"]
    assert options["follow_up_kinds"] == ["callback", "return_visit"]


def test_the_console_options_name_every_queue_an_agent_may_see_in_words(agent1: AgentConsole) -> None:
    """The console shows queues by name, never by code: the agent's own, the ones a transfer may go to
    (any queue: the server checks only that it exists) and any in a customer's history."""
    options = agent1.http.get("/api/agent/options").json()
    assert options["queue_names"] == {
        "complaints": "投诉 Complaints",
        "general": "咨询 General enquiries",
        "repair": "报修 Repairs",
    }
    assert set(agent1.http.get("/api/me").json()["queues"]) <= set(options["queue_names"])
    assert options["timezone"] == "Asia/Shanghai"  # the console shows stored UTC times in it


def test_not_ready_needs_one_of_the_configured_reasons(agent1: AgentConsole) -> None:
    refused = agent1.post("/api/agent/state", {"state": "not_ready", "reason": "nap"})
    assert refused.status_code == 400 and "break, meal" in refused.json()["error"]
    assert agent1.post("/api/agent/state", {"state": "not_ready"}).status_code == 400
    assert agent1.post("/api/agent/state", {"state": "not_ready", "reason": "training"}).status_code == 200
    agent1.next_event("agent.state", state="not_ready", reason="training")


def test_the_screen_pop_shows_the_customer_history_and_masks_the_number_for_agents(
    system: System, agent1: AgentConsole
) -> None:
    first = handled_call(system, agent1)
    assert wrap_up(agent1, first["contact"], disposition="follow_up", note="first call").status_code == 200
    second = handled_call(system, agent1)

    pop = agent1.http.get(f"/api/agent/contacts/{second['contact']}/screen-pop").json()
    assert pop["customer"]["name"] == "赵女士 Ms Zhao" and pop["customer"]["grade"] == "key"
    assert pop["customer"]["phone"] == "+86 138****8000" and pop["contact"]["from"] == "+86 138****8000"
    assert pop["phone_masked"] is True
    assert MS_ZHAO not in json.dumps(pop)  # not in ticket subjects either
    assert "报修" in pop["contact"]["choice"] and pop["contact"]["waited_seconds"] >= 0
    earlier = [c for c in pop["recent_contacts"] if c["id"] == int(first["contact"])]
    assert earlier and earlier[0]["disposition"] == "follow_up" and earlier[0]["agent"] == "王芳 Wang Fang"
    assert len(pop["recent_contacts"]) <= 5
    assert second["info"]["ticket"] in [t["number"] for t in pop["open_tickets"]]

    supervisor = system.login("supervisor")
    seen_by_supervisor = supervisor.get(f"/api/agent/contacts/{second['contact']}/screen-pop").json()
    assert seen_by_supervisor["customer"]["phone"] == MS_ZHAO and seen_by_supervisor["phone_masked"] is False
    assert system.login("agent2").get(f"/api/agent/contacts/{second['contact']}/screen-pop").status_code == 403
    assert agent1.http.get("/api/agent/contacts/999999/screen-pop").status_code == 404
    assert wrap_up(agent1, second["contact"]).status_code == 200


def test_a_bad_wrap_up_is_refused_with_a_reason_and_changes_nothing(system: System, agent1: AgentConsole) -> None:
    offer = handled_call(system, agent1)
    contact = offer["contact"]
    past = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"disposition": "shrug"}, "disposition must be one of"),
        ({"category": "weather"}, "category must be one of"),
        ({"ticket_status": "done"}, "ticket_status must be one of"),
        ({"next_state": "not_ready", "reason": "nap"}, "Not ready needs a reason"),
        ({"follow_up": {"kind": "return_visit", "at": "tomorrow"}}, "is not a date and time"),
        ({"follow_up": {"kind": "return_visit", "at": past}}, "must be in the future"),
        ({"follow_up": {"kind": "visit", "at": tomorrow_at_ten()}}, "kind must be one of"),
        ({"follow_up": "soon"}, "follow_up must be"),
        ({"note": 5}, "note must be text"),
    ]
    ticket_url = f"/api/tickets/{offer['info']['ticket_id']}"
    before = agent1.http.get(ticket_url).json()
    for form, message in refusals:
        response = wrap_up(agent1, contact, **form)
        assert response.status_code == 400, (form, response.text)
        assert message in response.json()["error"], (form, response.json())
    ticket = agent1.http.get(ticket_url).json()
    assert (ticket["status"], ticket["notes"], ticket["updated_at"]) == (
        before["status"],
        before["notes"],
        before["updated_at"],
    )
    callbacks = agent1.http.get("/api/callbacks").json()["callbacks"]
    assert [c for c in callbacks if c["contact_id"] == int(contact)] == []
    assert wrap_up(agent1, contact).status_code == 200  # still in wrap-up: the good form goes through
    agent1.next_event("agent.state", state="available")


def test_wrap_up_codes_the_contact_updates_the_ticket_and_plans_the_return_visit(
    system: System, agent1: AgentConsole
) -> None:
    offer = handled_call(system, agent1)
    ticket_url = f"/api/tickets/{offer['info']['ticket_id']}"
    before_notes = [n["id"] for n in agent1.http.get(ticket_url).json()["notes"]]
    response = wrap_up(
        agent1,
        offer["contact"],
        note="洗衣机已修好 fixed",
        disposition="resolved",
        category="repair",
        ticket_status="resolved",
        follow_up={"kind": "return_visit", "at": tomorrow_at_ten(), "note": "ask if the drum is quiet"},
        next_state="not_ready",
        reason="meal",
    )
    assert response.status_code == 200, response.text
    agent1.next_event("agent.state", state="not_ready", reason="meal")

    ticket = agent1.http.get(f"/api/tickets/{offer['info']['ticket_id']}").json()
    assert ticket["status"] == "resolved" and ticket["category"] == "repair"
    # The module's earlier calls were the same customer's: this one joined their open ticket (threading).
    assert [n["body"] for n in ticket["notes"] if n["id"] > max(before_notes, default=0)] == ["洗衣机已修好 fixed"]
    callbacks = agent1.http.get("/api/callbacks", params={"status": "scheduled"}).json()["callbacks"]
    [visit] = [c for c in callbacks if c["contact_id"] == int(offer["contact"])]
    assert visit["kind"] == "return_visit" and visit["note"] == "ask if the drum is quiet"
    assert visit["phone"] == "+86 138****8000" and visit["ticket_id"] == offer["info"]["ticket_id"]  # masked: an agent
    due = datetime.fromisoformat(visit["scheduled_for"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert due.strftime("%H:%M") >= "10:00" and due.date() >= datetime.now(ZoneInfo("Asia/Shanghai")).date()
    pop = agent1.http.get(f"/api/agent/contacts/{offer['contact']}/screen-pop").json()
    assert pop["contact"]["ticket"]["status"] == "resolved"


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("+8613800138000", "+86 138****8000"),
        ("+862180000000", "+86 218***0000"),
        ("+14155550100", "+1 415***0100"),
        ("client:agent-1", "client:agent-1"),
        ("anonymous", "anonymous"),
    ],
)
def test_masked_numbers_keep_what_recognises_them(number: str, shown: str) -> None:
    from contactcenter.access.masking import mask_phone

    assert mask_phone(number) == shown
