"""The closed loop's end, on the in-process system: resolving plans the return visit for the next day, its
answers close or reopen the ticket, one not made in time is recorded as not reached, batches hand visits to
agents, a chat is rated by its customer, the month's figures, and agents flagged for complaints."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from contactcenter.callbacks.models import Callback, CallbackKind, CallbackStatus
from contactcenter.chats import service as chats
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.outbox.models import OutboxJob
from contactcenter.satisfaction import flags, jobs
from contactcenter.satisfaction import service as satisfaction
from contactcenter.satisfaction.models import AgentFlag, Survey
from contactcenter.tickets import clocks, service
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.models import Notification, Ticket
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User
from contactcenter.users.service import create_user
from tests.conftest import System
from tests.desk import make_ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def services(system: System) -> Services:
    built: Services = system.client.app.state.services  # type: ignore[attr-defined]
    return built


def anonymous(system: System) -> TestClient:
    """The app without a login (what the chat's customer is)."""
    client: TestClient = system.client  # type: ignore[attr-defined]
    return client


def resolved_call_ticket(services: Services, *, category: str = "repair", phone: str = "+8613300133001") -> int:
    """A ticket of a call from `phone` (a number to visit), resolved, its return visit planned."""
    ticket_id = make_ticket(services, category=category, phone=phone)
    with services.db.session() as session:
        ticket = session.get_one(Ticket, ticket_id)
        session.add(
            Contact(
                provider_id=f"CA{ticket_id}-test",
                channel="voice",
                direction="inbound",
                status="ended",
                from_number=phone,
                to_number="+861010000000",
                customer_id=ticket.customer_id,
                ticket_id=ticket_id,
                identity_verified=False,
            )
        )
        service.move_to(session, clockwork(services), ticket=ticket, to="resolved", actor="test", why="test")
    jobs.plan(services, ticket_id=ticket_id)  # what the outbox hands the worker after the commit
    return ticket_id


def visit_of(session: Session, ticket_id: int) -> Callback:
    return session.scalars(
        select(Callback).where(Callback.ticket_id == ticket_id, Callback.kind == CallbackKind.RETURN_VISIT)
    ).one()


def test_resolving_writes_the_plan_job_and_the_visit_is_for_the_next_morning(services: Services) -> None:
    before = utcnow()
    ticket_id = resolved_call_ticket(services)
    with services.db.session() as session:
        assert session.scalar(select(OutboxJob.id).where(OutboxJob.job_id.like(f"visit-plan-{ticket_id}-%")))
        ticket = session.get_one(Ticket, ticket_id)
        assert ticket.status == "return_visit"
        visit = visit_of(session, ticket_id)
        assert visit.scheduled_for is not None and visit.expires_at is not None
        when = as_utc(visit.scheduled_for).astimezone(SHANGHAI)
        tomorrow = as_utc(before).astimezone(SHANGHAI).date() + timedelta(days=1)
        assert (when.date(), when.hour, when.minute) == (tomorrow, 9, 0)
        assert as_utc(visit.expires_at) == as_utc(visit.scheduled_for) + timedelta(hours=48)
        assert session.scalar(select(OutboxJob.id).where(OutboxJob.job_id == f"visit-expiry-{visit.id}"))
        visit_clock = [c for c in clocks.live_clocks(session, ticket_id=ticket_id) if c.target == "return_visit"]
        assert visit_clock and visit_clock[0].calendar == "callbacks"
    jobs.plan(services, ticket_id=ticket_id)  # run twice (at least once delivery): still one visit
    with services.db.session() as session:
        visit_of(session, ticket_id)


def test_a_satisfied_return_visit_closes_the_ticket_and_meets_its_clock(services: Services, system: System) -> None:
    ticket_id = resolved_call_ticket(services, phone="+8613300133002")
    agent = system.login("agent1")
    answered = agent.post(
        f"/api/tickets/{ticket_id}/return-visit", json={"satisfaction": 5, "resolved": True, "comment": "很好"}
    )
    assert answered.status_code in (201, 404), answered.text  # the agent may not have it in scope
    if answered.status_code == 404:
        answered = system.login("manager").post(
            f"/api/tickets/{ticket_id}/return-visit", json={"satisfaction": 5, "resolved": True, "comment": "很好"}
        )
    assert answered.status_code == 201, answered.text
    assert answered.json()["ticket_status"] == "closed" and answered.json()["source"] == "return_visit"
    with services.db.session() as session:
        ticket = session.get_one(Ticket, ticket_id)
        assert (ticket.status, ticket.satisfaction) == ("closed", 5)
        assert [c.target for c in clocks.live_clocks(session, ticket_id=ticket_id)] == []


def test_an_unsatisfied_answer_reopens_the_ticket_and_its_resolve_clock_counts_again(
    services: Services, system: System
) -> None:
    ticket_id = resolved_call_ticket(services, phone="+8613300133003")
    manager = system.login("manager")
    answered = manager.post(f"/api/tickets/{ticket_id}/return-visit", json={"satisfaction": 2, "resolved": False})
    assert answered.status_code == 201 and answered.json()["ticket_status"] == "reopened"
    with services.db.session() as session:
        live = [c.target for c in clocks.live_clocks(session, ticket_id=ticket_id)]
        assert live == ["resolve"]
    refused = manager.post(f"/api/tickets/{ticket_id}/return-visit", json={"satisfaction": 6})
    assert refused.status_code == 400


def test_a_return_visit_not_made_in_time_is_recorded_as_not_reached_never_as_satisfied(services: Services) -> None:
    ticket_id = resolved_call_ticket(services, phone="+8613300133004")
    with services.db.session() as session:
        visit_id = visit_of(session, ticket_id).id
    assert satisfaction.expire_visit(services, callback_id=visit_id) is True
    assert satisfaction.expire_visit(services, callback_id=visit_id) is False  # once
    with services.db.session() as session:
        survey = session.scalars(select(Survey).where(Survey.ticket_id == ticket_id)).one()
        assert (survey.reached, survey.satisfaction, survey.resolved) == (False, None, None)
        assert session.get_one(Ticket, ticket_id).status == "closed"
        assert visit_of(session, ticket_id).status == CallbackStatus.CANCELED


def test_a_team_lead_hands_out_a_batch_of_return_visits_and_follows_its_progress(
    services: Services, system: System
) -> None:
    first = resolved_call_ticket(services, phone="+8613300133005")
    second = resolved_call_ticket(services, phone="+8613300133006")
    lead = system.login("supervisor")
    people = {p["username"]: p["id"] for p in lead.get("/api/desk").json()["people"]}
    agents = [people["agent1"], people["agent2"]]
    with services.db.session() as session:  # the team serves these queues: the lead may hand them out
        for ticket_id in (first, second):
            session.get_one(Ticket, ticket_id).queue = "repair"
    made = lead.post(
        "/api/return-visits/batches", json={"name": "上周维修回访", "ticket_ids": [first, second], "agent_ids": agents}
    )
    assert made.status_code == 201, made.text
    assert made.json()["planned"] == 2 and made.json()["skipped"] == []
    with services.db.session() as session:
        assert {visit_of(session, t).agent_id for t in (first, second)} == set(agents)
    progress = lead.get(f"/api/return-visits/batches/{made.json()['id']}").json()
    assert progress["total"] == 2 and progress["answered"] == 0
    assert (
        system.login("agent1")
        .post("/api/return-visits/batches", json={"ticket_ids": [first], "agent_ids": agents})
        .status_code
        == 403
    )


def test_the_chat_customer_rates_the_ended_chat_once(services: Services, system: System) -> None:
    form = chats.check_form(services, name="周先生", phone="13800138000", topic="repair", language="zh-CN")
    started = chats.start_chat(services, form=form)
    early = anonymous(system).post("/api/chat/rating", json={"token": started.token, "satisfaction": 4})
    assert early.status_code == 409
    chats.customer_leaves(services, contact_id=started.contact_id)
    rated = anonymous(system).post(
        "/api/chat/rating", json={"token": started.token, "satisfaction": 4, "comment": "快"}
    )
    assert rated.status_code == 201, rated.text
    again = anonymous(system).post("/api/chat/rating", json={"token": started.token, "satisfaction": 1})
    assert again.status_code == 409
    assert anonymous(system).post("/api/chat/rating", json={"token": "nope", "satisfaction": 3}).status_code == 401


def test_the_months_figures_count_answers_and_keep_not_reached_apart(services: Services, system: System) -> None:
    month = datetime.now(SHANGHAI).strftime("%Y-%m")
    before = system.login("manager").get("/api/satisfaction", params={"month": month}).json()
    for phone, score in (("+8613300133011", 5), ("+8613300133012", 4), ("+8613300133013", 1)):
        ticket_id = resolved_call_ticket(services, phone=phone)
        with services.db.session() as session:
            satisfaction.record(
                services,
                session,
                ticket=session.get_one(Ticket, ticket_id),
                source="return_visit",
                actor="test",
                satisfaction=score,
                resolved=True,
            )
    after = system.login("manager").get("/api/satisfaction", params={"month": month}).json()
    assert after["answers"] - before["answers"] == 3
    assert after["by_source"]["return_visit"]["answers"] >= 3 and after["target_percent"] == 90
    assert system.login("manager").get("/api/satisfaction", params={"month": "2026-13"}).status_code == 400
    assert system.login("agent1").get("/api/satisfaction").status_code == 403


def test_three_substantiated_complaints_about_an_agent_in_half_a_year_flag_them_to_the_managers(
    services: Services, system: System
) -> None:
    with services.db.session() as session:
        agent2 = session.scalars(select(User.id).where(User.username == "agent2")).one()
    old = utcnow() - timedelta(days=200)

    def complaint(*, substantiated: bool, opened: datetime | None = None) -> int:
        return make_ticket(
            services, category="complaint", about_agent_id=agent2, substantiated=substantiated, opened_at=opened
        )

    complaint(substantiated=True, opened=old)  # older than the window
    complaint(substantiated=False)  # not justified
    complaint(substantiated=True)
    complaint(substantiated=True)
    with services.db.session() as session:
        assert flags.count_complaints(services, session, agent_id=agent2) == []
    complaint(substantiated=True)
    with services.db.session() as session:
        sent = flags.count_complaints(services, session, agent_id=agent2)
        managers = session.scalars(select(User.id).where(User.role == "manager")).all()
        assert {n.user_id for n in sent} == set(managers) and sent[0].kind == "agent_flagged"
        assert sent[0].data["count"] == 3
    with services.db.session() as session:
        assert flags.count_complaints(services, session, agent_id=agent2) == []  # told once
        assert session.scalar(select(func.count(AgentFlag.id)).where(AgentFlag.agent_id == agent2)) == 1
    listed = system.login("manager").get("/api/agent-flags", params={"open": "1"}).json()["flags"]
    flag = next(f for f in listed if f["agent_id"] == agent2)
    assert flag["count"] == 3 and len(flag["tickets"]) == 3 and flag["agent"] == "李明 Li Ming"
    assert system.login("supervisor").get("/api/agent-flags").status_code == 403
    assert system.login("manager").post(f"/api/agent-flags/{flag['id']}/acknowledge").status_code == 200


def test_resolving_a_substantiated_complaint_about_an_agent_writes_the_counting_job(services: Services) -> None:
    with services.db.session() as session:
        agent2 = session.scalars(select(User.id).where(User.username == "agent2")).one()
    ticket_id = make_ticket(services, category="complaint", about_agent_id=agent2, substantiated=True)
    with services.db.session() as session:
        ticket = session.get_one(Ticket, ticket_id)
        service.move_to(session, clockwork(services), ticket=ticket, to="resolved", actor="test", why="test")
        job = session.scalars(
            select(OutboxJob).where(OutboxJob.job == "contactcenter.satisfaction.jobs.count_complaints")
        ).all()
        assert [agent2] in [j.args for j in job]
    assert Notification is not None


def test_a_batch_is_followed_by_its_team_and_not_by_another_teams_lead(services: Services, system: System) -> None:
    ticket_id = resolved_call_ticket(services, phone="+8613300133021")
    with services.db.session() as session:
        session.get_one(Ticket, ticket_id).queue = "repair"
        create_user(session, username="lead_north", password="north-lead-password-1", role="supervisor", team="north")
    lead = system.login("supervisor")
    agent1 = {p["username"]: p["id"] for p in lead.get("/api/desk").json()["people"]}["agent1"]
    made = lead.post("/api/return-visits/batches", json={"ticket_ids": [ticket_id], "agent_ids": [agent1]}).json()
    assert lead.get(f"/api/return-visits/batches/{made['id']}").status_code == 200
    other = system.login("lead_north", "north-lead-password-1")
    assert other.get(f"/api/return-visits/batches/{made['id']}").status_code == 404
    assert system.login("manager").get(f"/api/return-visits/batches/{made['id']}").status_code == 200
