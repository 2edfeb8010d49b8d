"""The agent's wrap-up is never lost: the form is kept as a draft while they type, filed by itself when the
wrap-up time runs out; and a refused wrap-up changes nothing at all."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from agents.wrap_up_drafts import file_draft, file_left_drafts
from contactcenter.app import reap_once
from contactcenter.context import Services
from queues.keys import PREFIX
from tests.conftest import System
from tests.console import AgentConsole, signed_in_console
from tests.hotline import wait_until
from tests.test_chat_web import ChatCustomer
from tests.test_console_wrap_up import handled_call, tomorrow_at_ten, wrap_up

DRAFT = {
    "note": "滚筒有异响 the drum rattles",
    "disposition": "follow_up",
    "category": "repair",
    "ticket_status": "waiting_customer",
}


@pytest.fixture
def agent1(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent1")


def services_of(system: System) -> Services:
    services: Services = system.client.app.state.services  # type: ignore[attr-defined]
    return services


def draft_path(contact: str | int) -> str:
    return f"/api/agent/contacts/{contact}/wrap-up/draft"


def save_draft(agent: AgentConsole, contact: str, **form: Any) -> Any:
    return agent.http.put(draft_path(contact), json=form)


def ticket_of(agent: AgentConsole, offer: dict[str, Any]) -> dict[str, Any]:
    """The offer's ticket, with the notes of this contact only: the module's calls are all Ms Zhao's, and a
    repeat call joins her open ticket (threading), so one ticket may hold several tests' notes."""
    ticket: dict[str, Any] = agent.http.get(f"/api/tickets/{offer['info']['ticket_id']}").json()
    ticket["notes"] = [n for n in ticket["notes"] if n["contact_id"] == int(offer["contact"])]
    return ticket


def mine(event: dict[str, Any], offer: dict[str, Any]) -> bool:
    """An event of the ticket's history about this offer's contact."""
    return bool(event["data"].get("contact_id") == int(offer["contact"]))


AUDIT_OF_THE_CONTACT = text(
    "select subject_type, kind from audit_events where subject_type = 'callback'"
    " or (subject_type = 'ticket' and subject_id = :ticket) or (subject_type = 'contact' and subject_id = :contact)"
    " order by id"
)


def what_sql_holds(system: System, offer: dict[str, Any]) -> dict[str, Any]:
    """What a write-up changes in SQL: the disposition, the ticket, its notes, callbacks, their audit trail."""
    engine = system.sql()
    try:
        with engine.connect() as sql:
            one = sql.execute
            ids = {"contact": int(offer["contact"]), "ticket": offer["info"]["ticket_id"]}
            return {
                "disposition": one(text("select disposition from contacts where id = :contact"), ids).scalar(),
                "ticket": tuple(one(text("select status, category from tickets where id = :ticket"), ids).one()),
                "notes": one(text("select count(*) from ticket_notes where ticket_id = :ticket"), ids).scalar(),
                "callbacks": one(text("select count(*) from callbacks where ticket_id = :ticket"), ids).scalar(),
                "audit": one(AUDIT_OF_THE_CONTACT, {k: str(v) for k, v in ids.items()}).all(),
                "drafts": one(text("select count(*) from wrap_up_drafts")).scalar(),
            }
    finally:
        engine.dispose()


def what_redis_holds(system: System, agent: AgentConsole) -> dict[str, Any]:
    with system.redis() as redis:
        return {"agent": redis.hgetall(f"{PREFIX}agent:{agent.id}"), "seq": redis.get(f"{PREFIX}seq")}


def time_runs_out(system: System, agent: AgentConsole) -> None:
    """The agent's wrap-up is due now, and the reaper runs (as every web process does twice a second)."""
    with system.redis() as redis:
        redis.zadd(f"{PREFIX}wrapups", {str(agent.id): 0}, xx=True)
    reap_once(services_of(system))
    agent.next_event("agent.state", state="available")


def test_a_refused_wrap_up_changes_nothing_in_sql_or_routing(system: System, agent1: AgentConsole) -> None:
    """Before: the write-up was committed (callback, ticket closed, note) before routing refused it with 409."""
    offer = handled_call(system, agent1)
    contact = offer["contact"]
    assert agent1.post("/api/agent/state", {"state": "not_ready", "reason": "break"}).status_code == 200
    agent1.next_event("agent.state", state="not_ready")
    sql_before, redis_before = what_sql_holds(system, offer), what_redis_holds(system, agent1)
    full_form = {
        **DRAFT,
        "ticket_status": "resolved",
        "follow_up": {"kind": "callback", "at": tomorrow_at_ten(), "note": "call back"},
    }

    late = wrap_up(agent1, contact, **full_form)
    not_theirs = system.login("agent2").post(f"/api/agent/contacts/{contact}/wrap-up", json=full_form)
    bad = wrap_up(agent1, contact, **{**full_form, "disposition": "shrug"})

    assert (late.status_code, late.json()["code"]) == (409, "not_in_wrap_up"), late.text
    assert not_theirs.status_code == 403 and bad.status_code == 400
    assert what_sql_holds(system, offer) == sql_before
    assert what_redis_holds(system, agent1) == redis_before
    assert save_draft(agent1, contact, **DRAFT).status_code == 409  # no draft after the wrap-up either


def test_the_draft_is_kept_as_the_agent_types_and_shown_again(system: System, agent1: AgentConsole) -> None:
    offer = handled_call(system, agent1)
    contact = offer["contact"]
    assert agent1.http.get(draft_path(contact)).json() == {"draft": None, "updated_at": None}

    assert save_draft(agent1, contact, note="滚筒").status_code == 200
    follow_up = {"kind": "return_visit", "at": tomorrow_at_ten(), "note": "is it quiet?"}
    saved = save_draft(agent1, contact, **DRAFT, follow_up=follow_up, next_state="not_ready")
    assert saved.status_code == 200, saved.text

    shown = agent1.http.get(draft_path(contact)).json()  # what a reload fills the form with
    assert shown["draft"] == {**DRAFT, "follow_up": follow_up} and shown["updated_at"]
    # A draft saved before lifecycles says "pending": it reads as waiting on the customer.
    assert save_draft(agent1, contact, **{**DRAFT, "ticket_status": "pending"}).status_code == 200
    assert agent1.http.get(draft_path(contact)).json()["draft"]["ticket_status"] == "waiting_customer"
    assert save_draft(agent1, contact, **DRAFT, follow_up=follow_up, next_state="not_ready").status_code == 200
    assert system.login("agent2").get(draft_path(contact)).status_code == 403
    assert system.login("agent2").put(draft_path(contact), json=DRAFT).status_code == 403
    refused = save_draft(agent1, contact, disposition="shrug")
    assert refused.status_code == 400 and "disposition must be one of" in refused.json()["error"]
    assert agent1.http.get(draft_path(contact)).json()["draft"]["disposition"] == "follow_up"
    assert agent1.http.get(draft_path(999999)).status_code == 404

    assert wrap_up(agent1, contact, note="修好了 fixed", ticket_status="resolved").status_code == 200
    agent1.next_event("agent.state", state="available")
    ticket = ticket_of(agent1, offer)
    assert [n["body"] for n in ticket["notes"]] == ["修好了 fixed"]  # the submitted form, not the draft too
    assert ticket["status"] == "resolved"
    assert what_sql_holds(system, offer)["drafts"] == 0


def test_when_wrap_up_time_runs_out_the_draft_is_filed_as_the_agent_would_have(
    system: System, agent1: AgentConsole
) -> None:
    """Before: the form disappeared, what the agent had typed was lost and the ticket stayed open."""
    offer = handled_call(system, agent1)
    follow_up = {"kind": "callback", "at": tomorrow_at_ten(), "note": "bring the part"}
    assert save_draft(agent1, offer["contact"], **DRAFT, follow_up=follow_up).status_code == 200

    time_runs_out(system, agent1)

    ticket = ticket_of(agent1, offer)
    assert [(n["body"], n["author"]) for n in ticket["notes"]] == [(DRAFT["note"], "王芳 Wang Fang")]
    assert (ticket["status"], ticket["category"]) == ("waiting_customer", "repair")
    [filed] = [e for e in ticket["history"] if e["kind"] == "wrap_up_filed_automatically" and mine(e, offer)]
    assert filed["data"] == {"why": "wrap_up_time_ran_out", "contact_id": int(offer["contact"]), "agent_id": agent1.id}
    held = what_sql_holds(system, offer)
    assert held["disposition"] == "follow_up" and held["callbacks"] == 1 and held["drafts"] == 0
    assert agent1.http.get(draft_path(offer["contact"])).json()["draft"] is None
    reap_once(services_of(system))  # nothing more to file
    assert len(ticket_of(agent1, offer)["notes"]) == 1


def test_when_wrap_up_time_runs_out_without_a_draft_nothing_is_filed(system: System, agent1: AgentConsole) -> None:
    offer = handled_call(system, agent1)
    # contact.ended is routing's word; SQL notes the end in the same step, committed a moment later
    wait_until(lambda: ("contact", "ended") in what_sql_holds(system, offer)["audit"], timeout=10)
    before = what_sql_holds(system, offer)
    time_runs_out(system, agent1)
    assert file_left_drafts(services_of(system)) == 0
    ticket = ticket_of(agent1, offer)
    assert ticket["notes"] == []
    assert not [e for e in ticket["history"] if e["kind"] == "wrap_up_filed_automatically" and mine(e, offer)]
    assert what_sql_holds(system, offer) == before


def test_a_draft_is_filed_once_however_many_processes_file_it(system: System, agent1: AgentConsole) -> None:
    offer = handled_call(system, agent1)
    assert save_draft(agent1, offer["contact"], **DRAFT).status_code == 200
    assert agent1.post("/api/agent/state", {"state": "not_ready", "reason": "break"}).status_code == 200
    services, results = services_of(system), []

    def file() -> None:
        results.append(file_draft(services, contact_id=int(offer["contact"]), agent_id=agent1.id, why="test"))

    threads = [threading.Thread(target=file) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, True]
    assert [n["body"] for n in ticket_of(agent1, offer)["notes"]] == [DRAFT["note"]]


def test_a_draft_left_when_the_agent_leaves_wrap_up_another_way_is_filed_by_the_sweep(
    system: System, agent1: AgentConsole
) -> None:
    offer = handled_call(system, agent1)
    assert save_draft(agent1, offer["contact"], **DRAFT).status_code == 200
    assert file_left_drafts(services_of(system)) == 0  # still wrapping it up: the draft stays a draft
    assert agent1.post("/api/agent/state", {"state": "not_ready", "reason": "break"}).status_code == 200

    file_left_drafts(services_of(system))  # the background sweep may have been first: filed once either way

    ticket = ticket_of(agent1, offer)
    assert [n["body"] for n in ticket["notes"]] == [DRAFT["note"]]
    [filed] = [e for e in ticket["history"] if e["kind"] == "wrap_up_filed_automatically" and mine(e, offer)]
    assert filed["data"]["why"] == "wrap_up_ended"


def test_a_chats_draft_is_filed_when_its_wrap_up_time_runs_out(system: System, agent1: AgentConsole) -> None:
    agent1.go("available")
    customer = ChatCustomer(system)
    customer.open()
    offer = agent1.next_event("offer.created", contact=customer.contact)
    assert agent1.accept(customer.contact).status_code == 200
    assert agent1.post(f"/api/agent/contacts/{customer.contact}/end").status_code == 200
    agent1.next_event("contact.ended", contact=customer.contact)
    past = "2020-01-01T10:00"  # kept as typed; scheduling it is refused when it is filed
    follow_up = {"kind": "callback", "at": past}
    assert save_draft(agent1, customer.contact, **DRAFT, follow_up=follow_up).status_code == 200

    with system.redis() as redis:
        redis.zadd(f"{PREFIX}chat-wrapups", {customer.contact: 0}, xx=True)
    reap_once(services_of(system))
    agent1.next_event("contact.wrapped_up", contact=customer.contact)

    ticket = ticket_of(agent1, offer)
    assert DRAFT["note"] in [n["body"] for n in ticket["notes"]] and ticket["status"] == "waiting_customer"
    kinds = [e["kind"] for e in ticket["history"]]
    assert "wrap_up_filed_automatically" in kinds and "follow_up_not_scheduled" in kinds
    assert what_sql_holds(system, offer)["callbacks"] == 0
    customer.close()
