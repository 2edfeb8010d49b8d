"""SLA clocks on the in-process system's database (SQLite, or PostgreSQL with TEST_DATABASE_URL): business
hours across a weekend, a holiday and a make-up working day; pause and resume; a policy changed after the
start; the alarm through the outbox; a breach exactly at the due instant, also when the alarm was lost; and the
helpdesk bugs the issue names (update clock overriding first response, escalation after a reply, old SLAs after
a category change, clocks running after resolution)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import events_for
from contactcenter.context import Services
from contactcenter.errors import Conflict
from contactcenter.outbox.models import OutboxJob
from contactcenter.tickets import clocks, service
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.escalation import fire
from contactcenter.tickets.jobs import sweep
from contactcenter.tickets.models import Ticket, TicketClock
from contactcenter.tickets.policies import save_policy
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User
from ivr.calendar_file import load_calendars
from tests.conftest import StartInProcess, System
from tests.desk import make_ticket
from tests.hotline import wait_until

SHANGHAI = ZoneInfo("Asia/Shanghai")


def utc(at: datetime | None) -> datetime:
    assert at is not None
    return as_utc(at)


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def services(system: System) -> Services:
    built: Services = system.client.app.state.services  # type: ignore[attr-defined]
    return built


@pytest.fixture
def session(services: Services) -> Iterator[Session]:
    with services.db.session() as opened:
        yield opened


def clock_of(session: Session, ticket_id: int, target: str) -> TicketClock:
    return session.scalars(
        select(TicketClock)
        .where(TicketClock.ticket_id == ticket_id, TicketClock.target == target)
        .order_by(TicketClock.id.desc())
    ).first() or pytest.fail(f"no {target} clock on ticket {ticket_id}")


# The product's own calendars (the tests' system runs on tests/calendars.yaml, without make-up days).
PRODUCT_CALENDARS = load_calendars(Path(__file__).resolve().parent.parent / "ivr" / "calendars.yaml", "Asia/Shanghai")


def review_due(services: Services, session: Session, entered: datetime) -> datetime:
    """A return/exchange put under review at `entered`: its review clock's due time (2 working days)."""
    ticket_id = make_ticket(services, category="return_exchange", opened_at=entered - timedelta(minutes=5))
    ticket = session.get_one(Ticket, ticket_id)
    work = clocks.Clockwork(PRODUCT_CALENDARS)
    service.move(session, work, ticket=ticket, to="under_review", actor="test", at=entered)
    session.flush()
    due = clock_of(session, ticket_id, "review").due_at
    assert due is not None
    return as_utc(due).astimezone(SHANGHAI)


def test_two_working_days_from_friday_afternoon_end_on_tuesday_afternoon(services: Services, session: Session) -> None:
    # Fri 16:00-17:30 (1.5 h) + Mon 9 h + Tue 7.5 h from 08:30: the weekend does not count.
    assert review_due(services, session, local(2026, 12, 4, 16, 0)) == local(2026, 12, 8, 16, 0)


def test_the_national_day_break_does_not_count(services: Services, session: Session) -> None:
    # Wed 30 Sep 16:00 (1.5 h), 1-7 Oct closed, Thu 8 Oct 9 h, Fri 9 Oct 7.5 h.
    assert review_due(services, session, local(2026, 9, 30, 16, 0)) == local(2026, 10, 9, 16, 0)


def test_a_make_up_working_day_counts(services: Services, session: Session) -> None:
    # Fri 9 Oct 16:00 (1.5 h), Sat 10 Oct is a make-up working day (9 h), Sun closed, Mon 12 Oct 7.5 h.
    assert review_due(services, session, local(2026, 10, 9, 16, 0)) == local(2026, 10, 12, 16, 0)


def test_waiting_on_the_customer_pauses_every_clock_and_the_wait_is_added_to_the_due_time(
    services: Services, session: Session
) -> None:
    work = clockwork(services)
    opened = utcnow() - timedelta(hours=1)
    ticket = session.get_one(Ticket, make_ticket(services, category="complaint", opened_at=opened))
    resolve = clock_of(session, ticket.id, "resolve")
    assert utc(resolve.due_at) == opened + timedelta(hours=48)
    service.move(session, work, ticket=ticket, to="acknowledged", actor="test")
    service.move(session, work, ticket=ticket, to="waiting_customer", actor="test", at=opened + timedelta(hours=2))
    assert resolve.state == clocks.PAUSED and resolve.due_at is None and resolve.consumed_seconds == 2 * 3600
    service.move(session, work, ticket=ticket, to="in_progress", actor="test", at=opened + timedelta(hours=5))
    assert resolve.state == clocks.RUNNING
    assert utc(resolve.due_at) == opened + timedelta(hours=48 + 3)  # the 3 hours waited are added
    kinds = [e.kind for e in events_for(session, subject_type="ticket", subject_id=ticket.id)]
    assert "clock_paused" in kinds and "clock_resumed" in kinds


def set_order_policy(services: Services, session: Session, *, minutes: int) -> None:
    save_policy(
        session,
        category="order",
        target="resolve",
        minutes=minutes,
        calendar=None,
        warn_percent=80,
        enabled=True,
        actor="user:manager",
        categories=tuple(services.settings.ticket_categories),
        calendars=services.flows.calendars.names() if services.flows.calendars else [],
    )


def test_a_policy_changed_after_the_start_applies_only_when_someone_reapplies_it(services: Services) -> None:
    work = clockwork(services)
    opened = utcnow() - timedelta(minutes=10)
    ticket_id = make_ticket(services, category="order", opened_at=opened)
    with services.db.session() as session:
        resolve = clock_of(session, ticket_id, "resolve")
        assert (resolve.budget_seconds, resolve.policy_version) == (48 * 3600, 0)
        set_order_policy(services, session, minutes=24 * 60)
    try:
        later = make_ticket(services, category="order")
        with services.db.session() as session:
            assert clock_of(session, later, "resolve").budget_seconds == 24 * 3600  # new tickets: the new version
            resolve = clock_of(session, ticket_id, "resolve")
            assert resolve.budget_seconds == 48 * 3600  # the running clock keeps the version it started with
            ticket = session.get_one(Ticket, ticket_id)
            assert service.reapply_policies(session, work, ticket=ticket, actor="user:lead") == ["resolve"]
            assert (resolve.budget_seconds, resolve.policy_version) == (24 * 3600, 1)
            assert abs((utc(resolve.due_at) - (opened + timedelta(hours=24))).total_seconds()) < 2
            events = events_for(session, subject_type="ticket", subject_id=ticket_id)
            reapplied = [e for e in events if e.kind == "policy_reapplied"]
            assert reapplied[0].actor == "user:lead" and reapplied[0].data["previous_version"] == 0
    finally:  # the other tests' orders get the default's 48 hours again (a third version)
        with services.db.session() as session:
            set_order_policy(services, session, minutes=48 * 60)


def test_starting_a_clock_schedules_its_warning_alarm_through_the_outbox(services: Services, session: Session) -> None:
    ticket_id = make_ticket(services, category="complaint")
    respond = clock_of(session, ticket_id, "respond")
    job = session.scalars(select(OutboxJob).where(OutboxJob.job_id == f"clock-{respond.id}-{respond.generation}")).one()
    assert job.job == clocks.ALARM_JOB and job.args == [respond.id, respond.generation]
    assert job.due_ms == int(utc(respond.warn_at).timestamp() * 1000)  # 80 % of 30 minutes: 24 minutes in
    assert utc(respond.warn_at) - utc(respond.started_at) == timedelta(minutes=24)


def test_the_breach_is_recorded_at_the_due_instant_and_not_a_moment_before(
    services: Services, session: Session
) -> None:
    work = clockwork(services)
    ticket = session.get_one(Ticket, make_ticket(services, category="complaint", queue="complaints"))
    respond = clock_of(session, ticket.id, "respond")
    due = utc(respond.due_at)
    fire(session, work, clock_id=respond.id, generation=respond.generation, now=due - timedelta(minutes=1))
    assert respond.warned_at is not None and respond.breached_at is None  # the warning came first
    generation = respond.generation
    assert fire(session, work, clock_id=respond.id, generation=generation, now=due - timedelta(seconds=1)) == []
    assert respond.breached_at is None
    generation = respond.generation
    sent = fire(session, work, clock_id=respond.id, generation=generation, now=due)
    assert utc(respond.breached_at) == due and respond.state == clocks.BREACHED
    assert ticket.escalation_level == 1
    lead = session.scalars(select(User.id).where(User.username == "supervisor")).one()
    assert [n.user_id for n in sent] == [lead] and sent[0].kind == "escalated"


def test_an_alarm_of_an_older_generation_does_nothing(services: Services, session: Session) -> None:
    work = clockwork(services)
    ticket = session.get_one(Ticket, make_ticket(services, category="complaint"))
    respond = clock_of(session, ticket.id, "respond")
    old = respond.generation
    service.move(session, work, ticket=ticket, to="acknowledged", actor="test")  # met: a new generation
    assert fire(session, work, clock_id=respond.id, generation=old, now=utcnow() + timedelta(days=1)) == []
    assert respond.state == clocks.STOPPED and respond.breached_at is None


def test_the_minute_sweep_breaches_a_clock_whose_alarm_was_lost(services: Services) -> None:
    ticket_id = make_ticket(services, category="complaint", opened_at=utcnow() - timedelta(hours=1))
    with services.db.session() as session:
        respond = clock_of(session, ticket_id, "respond")
        # The worker that held the alarm died with it: nothing but the sweep knows.
        session.execute(OutboxJob.__table__.delete().where(OutboxJob.job_id.like(f"clock-{respond.id}-%")))
    assert sweep(services) >= 1
    with services.db.session() as session:
        respond = clock_of(session, ticket_id, "respond")
        assert respond.state == clocks.BREACHED and utc(respond.breached_at) == utc(respond.due_at)
        assert session.get_one(Ticket, ticket_id).escalation_level == 1
    sweep(services)
    with services.db.session() as session:
        assert session.get_one(Ticket, ticket_id).escalation_level == 1  # a second sweep escalates nothing more


def test_an_internal_note_does_not_count_as_the_first_response_but_a_reply_does(
    services: Services, session: Session
) -> None:
    work = clockwork(services)
    ticket = session.get_one(Ticket, make_ticket(services, category="complaint"))
    author = session.scalars(select(User).where(User.username == "agent1")).one()
    service.add_note(session, work, ticket=ticket, body="internal: check the order", author=author, contact_id=None)
    respond, reply = clock_of(session, ticket.id, "respond"), clock_of(session, ticket.id, "reply")
    assert respond.state == clocks.RUNNING and reply.state == clocks.RUNNING
    service.add_note(session, work, ticket=ticket, body="已电话答复客户", author=author, contact_id=None, kind="reply")
    assert respond.state == clocks.STOPPED and reply.state == clocks.STOPPED


def test_a_clock_met_by_a_reply_never_escalates_afterwards(services: Services, session: Session) -> None:
    work = clockwork(services)
    ticket = session.get_one(Ticket, make_ticket(services, category="complaint"))
    reply = clock_of(session, ticket.id, "reply")
    generation = reply.generation
    author = session.scalars(select(User).where(User.username == "agent1")).one()
    service.add_note(session, work, ticket=ticket, body="答复 replied", author=author, contact_id=None, kind="reply")
    later = utcnow() + timedelta(days=3)
    assert fire(session, work, clock_id=reply.id, generation=generation, now=later) == []
    assert fire(session, work, clock_id=reply.id, generation=None, now=later) == []  # the sweep's way too
    assert ticket.escalation_level == 0


def test_a_new_category_takes_its_own_targets_and_the_old_ones_stop(services: Services, session: Session) -> None:
    work = clockwork(services)
    ticket = session.get_one(Ticket, make_ticket(services, category="repair"))
    dispatch, resolve = clock_of(session, ticket.id, "dispatch"), clock_of(session, ticket.id, "resolve")
    service.categorize(session, work, ticket=ticket, category="consultation", actor="test")
    assert dispatch.state == clocks.SUPERSEDED  # a consultation has no dispatch target
    assert resolve.state == clocks.RUNNING and resolve.budget_seconds == 24 * 3600
    assert fire(session, work, clock_id=dispatch.id, generation=None, now=utcnow() + timedelta(days=9)) == []


def test_clocks_stop_at_resolution_and_the_return_visit_clock_starts(services: Services, session: Session) -> None:
    work = clockwork(services)
    ticket = session.get_one(Ticket, make_ticket(services, category="consultation"))
    service.move_to(session, work, ticket=ticket, to="resolved", actor="test", why="test")
    resolve = clock_of(session, ticket.id, "resolve")
    assert resolve.state == clocks.STOPPED and resolve.breached_at is None
    visit = clock_of(session, ticket.id, "return_visit")
    assert visit.state == clocks.RUNNING and visit.calendar == "callbacks"
    assert fire(session, work, clock_id=resolve.id, generation=None, now=utcnow() + timedelta(days=30)) == []
    service.move(session, work, ticket=ticket, to="reopened", actor="test")
    assert visit.state == clocks.STOPPED
    assert [c.state for c in clocks.live_clocks(session, ticket_id=ticket.id)] == [clocks.RUNNING]  # resolve again


def test_a_dispatched_ticket_gives_its_group_the_resolution_deadline(services: Services, session: Session) -> None:
    work = clockwork(services)
    ticket = session.get_one(Ticket, make_ticket(services, category="repair", queue="repair"))
    service.move_to(session, work, ticket=ticket, to="dispatched", actor="test", why="test")
    assert ticket.routed_deadline is not None
    assert utc(ticket.routed_deadline) == utc(clock_of(session, ticket.id, "resolve").due_at)


@pytest.mark.parametrize(("purchased", "accepted"), [(date(2026, 9, 25), True), (date(2026, 9, 21), False)])
def test_a_return_is_accepted_within_seven_working_days_of_the_purchase(
    services: Services, session: Session, purchased: date, accepted: bool
) -> None:
    # Applied on Mon 12 Oct 2026. Working days after Fri 25 Sep: 28, 29, 30 Sep, 8, 9, 10 (make-up), 12 Oct = 7,
    # the last allowed; after Mon 21 Sep: 22-25 Sep too = 11 (the National Day break, 1-7 Oct, does not count).
    work = clocks.Clockwork(PRODUCT_CALENDARS, "Asia/Shanghai")
    ticket_id = make_ticket(
        services, category="return_exchange", opened_at=local(2026, 10, 12, 10, 0), purchase_date=purchased
    )
    ticket = session.get_one(Ticket, ticket_id)
    service.move(session, work, ticket=ticket, to="under_review", actor="test")
    if accepted:
        service.move(session, work, ticket=ticket, to="pickup", actor="test")
        assert ticket.status == "pickup"
        return
    with pytest.raises(Conflict, match="past the 7 allowed") as refused:
        service.move(session, work, ticket=ticket, to="pickup", actor="test")
    assert refused.value.code == "return_window_passed" and ticket.status == "under_review"
    service.move(session, work, ticket=ticket, to="resolved", actor="test", why="refused: applied too late")


def test_a_return_without_its_purchase_date_is_not_accepted(services: Services, session: Session) -> None:
    ticket = session.get_one(Ticket, make_ticket(services, category="return_exchange"))
    work = clockwork(services)
    service.move(session, work, ticket=ticket, to="under_review", actor="test")
    with pytest.raises(Conflict, match="purchase date"):
        service.move(session, work, ticket=ticket, to="pickup", actor="test")


def test_the_web_process_sweeps_on_its_own_every_period(start_in_process: StartInProcess) -> None:
    with start_in_process({"SLA_SWEEP_SECONDS": "5"}) as running:
        services: Services = running.client.app.state.services  # type: ignore[attr-defined]
        ticket_id = make_ticket(services, category="complaint", opened_at=utcnow() - timedelta(hours=1))
        with services.db.session() as session:  # its alarm lost: only the sweep can see it
            session.execute(OutboxJob.__table__.delete().where(OutboxJob.job.like("%clock_alarm")))

        def breached() -> bool:
            with services.db.reading() as session:
                return clock_of(session, ticket_id, "respond").breached_at is not None

        wait_until(breached, timeout=20)
