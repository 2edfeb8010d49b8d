"""The escalation ladder and the threading of contacts onto open tickets, on the in-process system: a breach
moves a ticket up one level and starts that level's clock, the team lead and then the managers hear of it
(live and as a row), an emergency may skip a level with a reason and the skipped level is told; a repeat call
joins the customer's open ticket of its category, and can be split off again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.models import AuditEvent
from contactcenter.audit.service import events_for
from contactcenter.callbacks import service as callbacks
from contactcenter.callbacks.models import Callback
from contactcenter.chats.hub import channel_of
from contactcenter.contacts.models import Contact
from contactcenter.contacts.service import by_provider_id
from contactcenter.context import Services
from contactcenter.errors import Invalid
from contactcenter.tickets import clocks, escalation, linking
from contactcenter.tickets.clocks import clockwork
from contactcenter.tickets.escalation import fire
from contactcenter.tickets.jobs import fire_and_tell
from contactcenter.tickets.models import Notification, Ticket, TicketClock
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User
from tests.conftest import HOTLINE, System
from tests.desk import make_ticket
from tests.hotline import wait_until
from twilio_sandbox import place_call

MR_QIAN = "+8613600136000"
LEAK = "燃气泄漏 gas leak"


@pytest.fixture
def services(system: System) -> Services:
    built: Services = system.client.app.state.services  # type: ignore[attr-defined]
    return built


@pytest.fixture
def session(services: Services) -> Iterator[Session]:
    with services.db.session() as opened:
        yield opened


def user_id(session: Session, username: str) -> int:
    return session.scalars(select(User.id).where(User.username == username)).one()


def live(session: Session, ticket_id: int, target: str) -> TicketClock:
    found = [c for c in clocks.live_clocks(session, ticket_id=ticket_id) if c.target == target]
    assert found, f"no live {target} clock"
    return found[0]


def utc(at: datetime | None) -> datetime:
    assert at is not None
    return as_utc(at)


def breach(session: Session, services: Services, clock: TicketClock) -> list[Notification]:
    """The clock's warning, then its breach; the notifications of the breach."""
    if clock.warn_at is not None:
        fire(session, clockwork(services), clock_id=clock.id, generation=None, now=utc(clock.warn_at))
    return fire(session, clockwork(services), clock_id=clock.id, generation=None, now=utc(clock.due_at))


def test_each_breach_moves_the_ticket_up_exactly_one_level_and_starts_that_levels_clock(
    services: Services, session: Session
) -> None:
    ticket = session.get_one(Ticket, make_ticket(services, category="complaint", queue="complaints"))
    lead, managers = user_id(session, "supervisor"), [user_id(session, "manager")]
    sent = breach(session, services, live(session, ticket.id, "respond"))
    assert ticket.escalation_level == 1 and [(n.user_id, n.kind) for n in sent] == [(lead, "escalated")]
    level1 = live(session, ticket.id, "escalation:1")
    assert level1.level == 1 and level1.budget_seconds == 4 * 3600
    # The reply clock breaching too is no reason to skip the team lead: still one level at a time.
    sent = breach(session, services, level1)
    assert ticket.escalation_level == 2 and [n.user_id for n in sent] == managers
    assert level1.state == clocks.STOPPED  # the level's clock ended with the level
    level2 = live(session, ticket.id, "escalation:2")
    sent = breach(session, services, level2)
    assert ticket.escalation_level == 2 and [n.user_id for n in sent] == managers  # at the top: told again
    kinds = [e.kind for e in escalation_events(session, ticket.id)]
    assert kinds.count("escalated") == 2 and "breach_at_top" in kinds


def escalation_events(session: Session, ticket_id: int) -> list[AuditEvent]:
    events = events_for(session, subject_type="ticket", subject_id=ticket_id)
    return [e for e in events if "breach" in e.kind or e.kind == "escalated"]


def test_an_emergency_skips_a_level_only_with_a_reason_and_the_skipped_level_is_told(
    services: Services, session: Session
) -> None:
    work = clockwork(services)
    ticket = session.get_one(Ticket, make_ticket(services, category="repair", queue="repair"))
    now = utcnow()
    with pytest.raises(Invalid, match="give the reason"):
        escalation.escalate(session, work, ticket=ticket, at=now, now=now, actor="user:1", why="x", to_level=2)
    assert ticket.escalation_level == 0
    sent = escalation.escalate(
        session,
        work,
        ticket=ticket,
        at=now,
        now=now,
        actor="user:1",
        why="emergency",
        to_level=2,
        reason="燃气泄漏 gas leak",
    )
    told = {(n.user_id, n.kind) for n in sent}
    assert (user_id(session, "manager"), "escalated") in told
    assert (user_id(session, "supervisor"), "level_skipped") in told
    skipped = next(n for n in sent if n.kind == "level_skipped")
    assert skipped.data["reason"] == LEAK and skipped.data["skipped_level"] == 1


def test_a_ticket_nobody_leads_goes_to_the_managers_at_level_one(services: Services, session: Session) -> None:
    ticket = session.get_one(Ticket, make_ticket(services, category="complaint", queue=None))
    sent = breach(session, services, live(session, ticket.id, "respond"))
    assert ticket.escalation_level == 1 and sent and sent[0].data.get("nobody_at_level") is True
    assert {n.user_id for n in sent} == {user_id(session, "manager")}


def test_a_merged_tickets_clock_never_escalates(services: Services, session: Session) -> None:
    work = clockwork(services)
    first_id = make_ticket(services, category="complaint", phone="+8613500135001")
    second_id = make_ticket(services, category="complaint", phone="+8613500135001")
    first, second = session.get_one(Ticket, first_id), session.get_one(Ticket, second_id)
    linking.merge(session, work, source=second, target=first, actor="test")
    aside = [c for c in session.scalars(select(TicketClock).where(TicketClock.ticket_id == second.id))]
    assert aside and all(c.state == clocks.SUPERSEDED for c in aside)  # the earlier ticket's clocks count
    for clock in aside:
        assert fire(session, work, clock_id=clock.id, generation=None, now=utcnow() + timedelta(days=9)) == []
    assert second.escalation_level == 0


def test_merge_keeps_the_earliest_clock_and_unmerge_puts_each_back(services: Services, session: Session) -> None:
    work = clockwork(services)
    older = utcnow() - timedelta(hours=5)
    early_id = make_ticket(services, category="repair", phone="+8613500135002", opened_at=older)
    late_id = make_ticket(services, category="repair", phone="+8613500135002")
    early, late = session.get_one(Ticket, early_id), session.get_one(Ticket, late_id)
    early_resolve, late_resolve = live(session, early.id, "resolve"), live(session, late.id, "resolve")
    linking.merge(session, work, source=early, target=late, actor="test")  # the older one merged into the newer
    assert early_resolve.ticket_id == late.id and early_resolve.state == clocks.RUNNING
    assert late_resolve.state == clocks.SUPERSEDED
    assert live(session, late.id, "resolve").id == early_resolve.id
    linking.unmerge(session, work, source=early, actor="test")
    assert early_resolve.ticket_id == early.id and late_resolve.state == clocks.RUNNING
    assert (early.status, early.merged_into_id) == ("new", None)


def test_a_notification_reaches_the_persons_sockets_live_after_the_commit(services: Services) -> None:
    ticket_id = make_ticket(services, category="complaint", queue="complaints", opened_at=utcnow() - timedelta(hours=1))
    with services.db.session() as session:
        respond = live(session, ticket_id, "respond")
        lead = user_id(session, "supervisor")
    pubsub = services.redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel_of(services.redis))
    try:
        fire_and_tell(services, clock_id=respond.id, generation=None)
        items = []
        for _ in range(50):
            message = pubsub.get_message(timeout=0.2)
            if message:
                items.append(json.loads(message["data"]))
            if any(i.get("type") == "ticket.notification" for i in items):
                break
    finally:
        pubsub.close()
    item = next(i for i in items if i.get("type") == "ticket.notification")
    assert item["agent"] == lead and item["notification"]["kind"] == "escalated"
    assert item["notification"]["ticket_id"] == ticket_id


def test_a_repeat_call_about_the_same_complaint_joins_the_open_ticket_and_can_be_split_off(
    system: System, services: Services
) -> None:
    first = place_call(system.sandbox_url, from_=MR_QIAN, to=HOTLINE, digits=["1", "3"], hangup_after_queue=0.5)

    def ticket_of(sid: str) -> tuple[int, str | None]:
        found = contact_ticket(services, sid)
        return found if found is not None else (0, None)

    wait_until(lambda: ticket_of(first)[1] == "complaint", timeout=15)
    second = place_call(system.sandbox_url, from_=MR_QIAN, to=HOTLINE, digits=["1", "3"], hangup_after_queue=0.5)
    wait_until(lambda: ticket_of(second)[1] == "complaint", timeout=15)
    assert ticket_of(second)[0] == ticket_of(first)[0]
    other = place_call(system.sandbox_url, from_=MR_QIAN, to=HOTLINE, digits=["1", "2"], hangup_after_queue=0.5)
    wait_until(lambda: ticket_of(other)[1] == "repair", timeout=15)
    assert ticket_of(other)[0] != ticket_of(first)[0]  # another category: another request
    with services.db.session() as session:
        contact = by_provider_id(session, second)
        assert contact is not None
        split = linking.split_contact(session, clockwork(services), contact=contact, actor="test")
        assert contact.ticket_id == split.id != ticket_of(first)[0] and split.category == "complaint"


def contact_ticket(services: Services, call_sid: str) -> tuple[int, str | None] | None:
    with services.db.reading() as session:
        row = session.execute(
            select(Ticket.id, Ticket.category)
            .join(Contact, Contact.ticket_id == Ticket.id)
            .where(Contact.provider_id == call_sid)
        ).first()
    return (row[0], row[1]) if row else None


def test_a_callback_booked_on_a_ticket_merged_since_rings_on_the_ticket_it_went_into(services: Services) -> None:
    phone = "+8613500135009"
    source_id = make_ticket(services, category="repair", phone=phone)
    target_id = make_ticket(services, category="repair", phone=phone)
    with services.db.session() as session:
        source = session.get_one(Ticket, source_id)
        contact = Contact(
            provider_id=f"CA-merged-{source_id}",
            channel="voice",
            direction="inbound",
            status="ended",
            from_number=phone,
            to_number=HOTLINE,
            customer_id=source.customer_id,
            ticket_id=source_id,
            identity_verified=False,
        )
        session.add(contact)
        session.flush()
        booked = callbacks.schedule(
            services, session, contact=contact, kind="callback", at=utcnow() + timedelta(hours=1), note="", agent_id=0
        )
        callback_id = booked.id
    with services.db.session() as session:
        linking.merge(
            session,
            clockwork(services),
            source=session.get_one(Ticket, source_id),
            target=session.get_one(Ticket, target_id),
            actor="test",
        )
    callbacks.release(services, callback_id=callback_id)
    with services.db.session() as session:
        released = session.get_one(Callback, callback_id)
        assert session.get_one(Contact, released.contact_id).ticket_id == target_id
