"""A callback booked in the IVR waits in the queue; the agent who takes it joins the contact's room first,
then Twilio dials the customer into it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from agents.conference import live_key
from contactcenter.access.masking import mask_phone
from tests.conftest import HOTLINE, System
from tests.console import AgentConsole, signed_in_console
from tests.hotline import wait_until
from tests.ivr_caller import Caller
from tests.rooms import joined_labels, room_of
from twilio_sandbox.client import get_call

CUSTOMER = "+8613912340001"


@pytest.fixture
def agent2(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent2")  # general and repair only


def callback_row(system: System, phone: str) -> dict | None:
    engine = system.sql()
    try:
        with engine.connect() as conn:
            row = conn.execute(text("select * from callbacks where phone = :p order by id desc"), {"p": phone})
            found = row.mappings().first()
            return dict(found) if found else None
    finally:
        engine.dispose()


def callback_taken(system: System, agent: AgentConsole, number: str) -> tuple[int, dict[str, Any]]:
    """A callback booked by `number` in the IVR, taken by `agent`: the contact and the customer in its room."""
    httpx.post(f"{system.sandbox_url}/sandbox/phones/{number}", json={"answer": "answer"}).raise_for_status()
    caller = Caller(system, from_=number)
    caller.dial()
    for key in ("1", "5", "1"):
        caller.press(key)
    caller.status("completed")
    agent.go("available")
    contact = agent.next_event("offer.created")["contact"]
    assert agent.accept(contact).status_code == 200
    wait_until(lambda: "caller" in joined_labels(room_of(system.sandbox_url, contact)), timeout=15)
    [customer] = [p for p in room_of(system.sandbox_url, contact)["participants"] if p["label"] == "caller"]
    assert customer["call_sid"] != caller.contact()["provider_id"]  # a call of its own
    return contact, customer


def test_taking_a_callback_dials_the_customer_from_the_hotline_and_bridges_the_agent(
    system: System, agent2: AgentConsole
) -> None:
    phone = httpx.post(f"{system.sandbox_url}/sandbox/phones/{CUSTOMER}", json={"answer": "answer", "talk_seconds": 1})
    assert phone.status_code == 200, phone.text
    caller = Caller(system, from_=CUSTOMER)
    caller.dial()
    caller.press("1")
    caller.press("5")  # book a call back
    assert "尾号为0 0 0 1" in caller.heard()
    caller.press("1")
    assert "我们会按顺序尽快给您回电" in caller.heard() and caller.root.find("Hangup") is not None
    caller.status("completed")
    assert caller.contact()["status"] == "callback"

    agent2.go("available")
    offer = agent2.next_event("offer.created")
    assert offer["info"]["callback"] is True and offer["info"]["callback_phone"] == mask_phone(CUSTOMER)  # agents
    assert agent2.accept(offer["contact"]).status_code == 200

    def outbound() -> dict | None:
        listed = httpx.get(f"{system.sandbox_url}/sandbox/calls", timeout=10).json()
        calls = listed["calls"] if isinstance(listed, dict) else listed
        mine = [c for c in calls if c.get("direction") == "outbound-api" and c.get("to") == CUSTOMER]
        return mine[0] if mine else None

    dialled = wait_until(outbound)
    assert dialled["from"] == HOTLINE  # no TWILIO_CALLER_ID set: the number the customer rang
    final = wait_until(lambda: (c := get_call(system.sandbox_url, dialled["call_sid"]))["status"] == "completed" and c)
    # The agent was in the room first; the customer joined them there.
    assert joined_labels(room_of(system.sandbox_url, offer["contact"])) == [f"agent-{agent2.id}", "caller"]
    assert final["status"] == "completed"
    agent2.next_event("contact.ended", contact=offer["contact"])
    done = wait_until(lambda: (row := callback_row(system, CUSTOMER)) and row["status"] == "completed" and row)
    assert done["attempts"] == 1 and done["call_sid"] == dialled["call_sid"] and done["agent_id"] == agent2.id
    agent2.go("offline")


def test_a_callback_to_a_busy_line_is_tried_again_later(system: System, agent2: AgentConsole) -> None:
    number = "+8613912340002"
    assert httpx.post(f"{system.sandbox_url}/sandbox/phones/{number}", json={"answer": "busy"}).status_code == 200
    caller = Caller(system, from_=number)
    caller.dial()
    caller.press("1")
    caller.press("5")
    caller.press("1")
    caller.status("completed")
    agent2.go("available")
    offer = agent2.next_event("offer.created")
    assert agent2.accept(offer["contact"]).status_code == 200
    retry = wait_until(
        lambda: (row := callback_row(system, number)) and row["status"] == "scheduled" and row, timeout=30
    )
    assert retry["attempts"] == 1 and retry["scheduled_for"] is not None
    agent2.go("offline")


def test_a_called_back_customer_put_on_hold_and_taken_back_stays_on_the_line(
    system: System, agent2: AgentConsole
) -> None:
    """Before: hold took the customer out of the <Dial>, resume rang the agent again, and the customer the
    hotline had phoned was dropped and the callback marked completed. Now hold is a participant hold."""
    number = "+8613912340003"
    contact, _ = callback_taken(system, agent2, number)

    def customer() -> dict[str, Any]:
        return next(p for p in room_of(system.sandbox_url, contact)["participants"] if p["label"] == "caller")

    assert agent2.post(f"/api/agent/contacts/{contact}/hold").json()["state"] == "held"
    wait_until(lambda: customer()["hold"], timeout=5)
    assert agent2.post(f"/api/agent/contacts/{contact}/resume").json()["state"] == "resumed"
    wait_until(lambda: not customer()["hold"], timeout=5)
    assert customer()["hears"]  # talking to the agent again
    room = room_of(system.sandbox_url, contact)
    assert joined_labels(room) == [f"agent-{agent2.id}", "caller"]  # nothing rang the agent again
    talking = callback_row(system, number)
    assert talking is not None and talking["status"] == "connected"  # not "completed" while they talk

    assert agent2.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    done = wait_until(lambda: (row := callback_row(system, number)) and row["status"] == "completed" and row)
    assert done["attempts"] == 1
    agent2.go("offline")


def test_ending_a_callback_hangs_up_the_call_the_hotline_made_to_the_customer(
    system: System, agent2: AgentConsole
) -> None:
    """The contact's own CallSid is the call the customer made to book the callback, long over: ending the
    callback must hang up the hotline's call to them (the room's caller), or they stay on the line alone."""
    contact, customer = callback_taken(system, agent2, "+8613912340004")

    assert agent2.post(f"/api/agent/contacts/{contact}/end").status_code == 200

    wait_until(lambda: get_call(system.sandbox_url, customer["call_sid"])["status"] == "completed", timeout=10)
    agent2.next_event("contact.ended", contact=contact)
    agent2.go("offline")


@pytest.mark.parametrize("action", ["hold", "end"])
def test_a_callback_customer_is_held_or_hung_up_before_the_rooms_report_of_their_join_is_handled(
    system: System, agent2: AgentConsole, action: str
) -> None:
    """Twilio shows the customer in the room a moment before its participant-join webhook reaches us (a
    loaded CI run pressed hold in between: 502, the booking call's long-over CallSid was sent to Twilio).
    The hotline's call to them is known from the moment it was placed."""
    contact, customer = callback_taken(system, agent2, "+8613912340005" if action == "hold" else "+8613912340006")
    system.redis().hdel(live_key(contact), "caller")  # as before the room's join report is handled

    if action == "hold":
        held = agent2.post(f"/api/agent/contacts/{contact}/hold")
        assert held.status_code == 200 and held.json()["state"] == "held", held.text
        wait_until(lambda: room_of(system.sandbox_url, contact)["participants"][-1]["hold"], timeout=5)
        assert agent2.post(f"/api/agent/contacts/{contact}/resume").json()["state"] == "resumed"
    assert agent2.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    wait_until(lambda: get_call(system.sandbox_url, customer["call_sid"])["status"] == "completed", timeout=10)
    agent2.next_event("contact.ended", contact=contact)
    agent2.go("offline")
