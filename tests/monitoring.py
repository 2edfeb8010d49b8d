"""Listening in to calls in the system tests (tests/test_monitoring*.py): a call an agent joined, the
monitoring requests, the room as the sandbox shows it, and the audit entries and console events."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from contactcenter.audit.models import AuditEvent
from contactcenter.db import Database
from tests.conftest import HOTLINE, System
from tests.console import AgentConsole
from tests.hotline import wait_until
from tests.rooms import joined_labels, room_of
from twilio_sandbox import place_call, wait_for_call

MONITOR_KINDS = ("monitor_joined", "monitor_mode_changed", "monitor_left")


def connected_call(system: System, agent: AgentConsole, caller: str = "+8613900139000") -> tuple[str, str]:
    """A call the agent accepted and joined; the caller stays until the app ends the call. (CallSid, contact)"""
    agent.go("available")
    call_sid = place_call(system.sandbox_url, from_=caller, to=HOTLINE, digits=["1", "1"])
    offer = agent.next_event("offer.created")
    assert agent.accept(offer["contact"]).status_code == 200
    agent.next_event("contact.joined", contact=offer["contact"])
    # Answered once the agent's leg is in; the caller may enter a moment later (their prompt first).
    wait_until(lambda: "caller" in joined_labels(room_of(system.sandbox_url, offer["contact"])), timeout=15)
    return call_sid, str(offer["contact"])


def end_call(system: System, agent: AgentConsole, contact: str, call_sid: str) -> None:
    assert agent.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    agent.next_event("contact.ended", contact=contact)
    assert wait_for_call(system.sandbox_url, call_sid, timeout=20)["status"] == "completed"
    agent.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})


def people(system: System, contact: str) -> dict[str, dict[str, Any]]:
    """The room's participants by label."""
    return {p["label"]: p for p in room_of(system.sandbox_url, contact)["participants"]}


def monitor_in_room(system: System, contact: str, label: str, **expected: Any) -> dict[str, Any]:
    """The monitor's participant once it is connected and as expected (muted, coaching…)."""

    def ready() -> dict[str, Any] | None:
        found = people(system, contact).get(label)
        if found and found["status"] == "connected" and all(found[k] == v for k, v in expected.items()):
            return found
        return None

    return dict(wait_until(ready, timeout=15))


def out_of_room(system: System, contact: str, label: str) -> bool:
    """Whether the participant has left the room (a kicked one is no longer listed)."""
    found = people(system, contact).get(label)
    return found is None or found["status"] == "complete"


def audit_of(system: System, contact: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The contact's monitoring audit entries: (kind, actor, data), oldest first."""
    db = Database(system.database_url)
    try:
        with db.session() as session:
            query = (
                select(AuditEvent)
                .where(AuditEvent.subject_type == "contact", AuditEvent.subject_id == contact)
                .where(AuditEvent.kind.in_(MONITOR_KINDS))
                .order_by(AuditEvent.id)
            )
            return [(e.kind, e.actor, dict(e.data)) for e in session.scalars(query)]
    finally:
        db.dispose()


def monitor(client: httpx.Client, contact: str, mode: str) -> httpx.Response:
    return client.post(f"/api/supervision/contacts/{contact}/monitor", json={"mode": mode})


def leave(client: httpx.Client, contact: str) -> httpx.Response:
    return client.delete(f"/api/supervision/contacts/{contact}/monitor")


def user_id(client: httpx.Client) -> int:
    return int(client.get("/api/me").json()["id"])


def monitored(agent: AgentConsole, contact: str, **fields: Any) -> dict[str, Any]:
    """A `contact.monitored` event the console got already (while waiting for another), or the next one."""
    for event in agent.seen:
        if event["type"] == "contact.monitored" and all(
            str(event.get(k)) == str(v) for k, v in {"contact": contact, **fields}.items()
        ):
            return event
    return agent.next_event("contact.monitored", contact=contact, **fields)
