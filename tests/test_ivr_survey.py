"""The survey after a call, through the sandbox: the agent ends the call, the caller still on the line is
asked to rate it 1-5 and keys a score; it is kept on the call's ticket. A caller who keys nothing, or a call
nobody answered, hears a plain goodbye and leaves no score."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.satisfaction.models import Survey
from tests.conftest import HOTLINE, System
from tests.console import AgentConsole, signed_in_console
from tests.hotline import wait_until
from tests.rooms import joined_labels, room_of
from twilio_sandbox import place_call, wait_for_call

MR_SUN = "+8613200132000"


@pytest.fixture
def agent1(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent1")


def services_of(system: System) -> Services:
    services: Services = system.client.app.state.services  # type: ignore[attr-defined]
    return services


def said(system: System, call_sid: str) -> str:
    log = httpx.get(f"{system.sandbox_url}/sandbox/calls/{call_sid}").json()["log"]
    return " ".join(e.get("text", "") for e in log if e["event"] == "say")


def ended_by_the_agent(system: System, agent: AgentConsole, digits: list[str]) -> tuple[str, str]:
    """A call the agent takes and ends while the caller is on the line; (CallSid, contact)."""
    agent.go("available")
    call_sid = place_call(system.sandbox_url, from_=MR_SUN, to=HOTLINE, digits=digits)
    offer = agent.next_event("offer.created")
    contact = str(offer["contact"])
    assert agent.accept(contact).status_code == 200
    agent.next_event("contact.joined", contact=contact)
    wait_until(lambda: "caller" in joined_labels(room_of(system.sandbox_url, contact)), timeout=15)
    assert agent.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    agent.next_event("contact.ended", contact=contact)
    assert wait_for_call(system.sandbox_url, call_sid, timeout=30)["status"] == "completed"
    agent.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})
    return call_sid, contact


def test_the_caller_rates_the_call_after_the_agent_ends_it(system: System, agent1: AgentConsole) -> None:
    call_sid, contact = ended_by_the_agent(system, agent1, ["1", "2", "4"])
    assert "请为本次服务评分" in said(system, call_sid) and "感谢您的评价" in said(system, call_sid)
    with services_of(system).db.session() as session:
        [survey] = session.scalars(select(Survey).where(Survey.contact_id == int(contact))).all()
        assert (survey.source, survey.satisfaction, survey.agent_id) == ("ivr", 4, agent1.id)


def test_no_key_means_no_score_and_a_plain_goodbye(system: System, agent1: AgentConsole) -> None:
    call_sid, contact = ended_by_the_agent(system, agent1, ["1", "2"])
    assert "请为本次服务评分" in said(system, call_sid) and "感谢您的来电" in said(system, call_sid)
    with services_of(system).db.session() as session:
        assert session.scalars(select(Survey).where(Survey.contact_id == int(contact))).all() == []


def test_the_caller_is_asked_even_when_the_agent_ends_before_sql_has_recorded_who_answered(
    system: System, agent1: AgentConsole
) -> None:
    """Routing tells the console the agent joined a moment before the room's join report reaches SQL; a loaded
    CI run ended the call in between and the caller heard only goodbye. The agent who ends it answered it."""
    agent1.go("available")
    call_sid = place_call(system.sandbox_url, from_=MR_SUN, to=HOTLINE, digits=["1", "2", "5"])
    contact = str(agent1.next_event("offer.created")["contact"])
    assert agent1.accept(contact).status_code == 200
    agent1.next_event("contact.joined", contact=contact)
    wait_until(lambda: "caller" in joined_labels(room_of(system.sandbox_url, contact)), timeout=15)
    with services_of(system).db.session() as session:
        session.get_one(Contact, int(contact)).agent_id = None  # as before the join report is handled
    assert agent1.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    assert wait_for_call(system.sandbox_url, call_sid, timeout=30)["status"] == "completed"
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "available"})
    assert "请为本次服务评分" in said(system, call_sid) and "感谢您的评价" in said(system, call_sid)
    with services_of(system).db.session() as session:
        [survey] = session.scalars(select(Survey).where(Survey.contact_id == int(contact))).all()
        assert (survey.satisfaction, survey.agent_id) == (5, agent1.id)
