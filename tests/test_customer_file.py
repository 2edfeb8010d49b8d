"""The customer file on the in-process system: what it shows (tickets, contacts, products, merged tickets
marked, numbers masked for agents), who reaches it, who may change the grade, and the audit of every read
and change; the migration that adds its table goes down and up again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import inspect, select

from contactcenter.audit.models import AccessEntry, AuditEvent
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.customers.models import Customer
from contactcenter.db import Database, alembic_config
from contactcenter.tickets.models import Ticket
from contactcenter.users.models import User
from tests.conftest import System
from tests.desk import make_ticket
from tests.test_ticket_desk_api import services_of


@pytest.fixture(scope="module")
def agent1(system: System) -> httpx.Client:
    return system.login("agent1")


@pytest.fixture(scope="module")
def lead(system: System) -> httpx.Client:
    return system.login("supervisor")


def a_customer(services: Services, phone: str, *, queue: str = "general", **fields: Any) -> tuple[int, int, int]:
    """A customer with a ticket of `queue` and a call agent1 answered on it: (customer, ticket, contact)."""
    ticket = make_ticket(services, category="repair", phone=phone, queue=queue, **fields)
    with services.db.session() as session:
        row = session.get_one(Ticket, ticket)
        agent = session.scalars(select(User.id).where(User.username == "agent1")).one()
        contact = Contact(
            provider_id=f"CA{phone[1:]}-{ticket}",
            from_number=phone,
            to_number="+862180000000",
            status="ended",
            queue=queue,
            customer_id=row.customer_id,
            ticket_id=ticket,
            agent_id=agent,
        )
        session.add(contact)
        session.flush()
        assert row.customer_id is not None
        return row.customer_id, ticket, contact.id


def events(services: Services, customer: int) -> list[tuple[str, str, dict[str, Any]]]:
    with services.db.reading() as session:
        rows = session.execute(
            select(AuditEvent.actor, AuditEvent.kind, AuditEvent.data)
            .where(AuditEvent.subject_type == "customer", AuditEvent.subject_id == str(customer))
            .order_by(AuditEvent.id)
        ).all()
    return [(actor, kind, data) for actor, kind, data in rows if kind != "created"]


def test_the_file_shows_the_customers_tickets_contacts_and_products_with_the_number_masked(
    system: System, agent1: httpx.Client
) -> None:
    services = services_of(system)
    customer, ticket, contact = a_customer(services, "+8613911112222", subject="空调不制冷 +8613911112222")
    merged = make_ticket(services, category="repair", phone="+8613911112222", queue="general")
    assert agent1.post(f"/api/tickets/{merged}/merge", json={"into": ticket}).status_code == 200
    added = agent1.post(
        f"/api/customers/{customer}/products",
        json={"product_model": "KFR-35GW", "serial_number": "SN123", "purchase_date": "2026-05-01"},
    )
    assert added.status_code == 201, added.text
    shown = agent1.get(f"/api/customers/{customer}")
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["phone"] == "+86 139****2222" and "13911112222" not in shown.text
    assert body["grade"] == "normal" and body["counts"] == {"tickets": 2, "contacts": 1}
    assert [(p["product_model"], p["serial_number"], p["purchase_date"]) for p in body["products"]] == [
        ("KFR-35GW", "SN123", "2026-05-01")
    ]
    tickets = {t["id"]: t for t in body["tickets"]}
    assert set(tickets) == {ticket, merged} and tickets[ticket]["subject"] == "空调不制冷 +86 139****2222"
    assert tickets[merged]["merged"] is True and tickets[merged]["merged_into"]["id"] == ticket
    assert tickets[ticket]["merged"] is False and tickets[ticket]["merged_into"] is None
    [call] = body["contacts"]
    assert call["id"] == contact and call["agent"] == "王芳 Wang Fang" and call["queue"] == "general"
    assert call["ticket_id"] == ticket and call["channel"] == "voice" and call["status"] == "ended"
    with services.db.reading() as session:
        reads = session.execute(
            select(AccessEntry.username, AccessEntry.action).where(
                AccessEntry.object_type == "customer", AccessEntry.object_id == str(customer)
            )
        ).all()
    assert [tuple(r) for r in reads] == [("agent1", "read")]
    assert system.login("manager").get(f"/api/customers/{customer}").json()["phone"] == "+8613911112222"


def test_an_agent_may_rename_a_customer_but_not_change_the_grade(system: System, agent1: httpx.Client) -> None:
    services = services_of(system)
    customer, _, _ = a_customer(services, "+8613922223333")
    refused = agent1.patch(f"/api/customers/{customer}", json={"name": "孙女士 Ms Sun", "grade": "key"})
    assert refused.status_code == 403 and refused.json()["code"] == "grade_refused"
    assert "team leads, managers and admins" in refused.json()["error"] and "name only" in refused.json()["error"]
    with services.db.reading() as session:
        assert session.get_one(Customer, customer).name is None  # nothing changed
    renamed = agent1.patch(f"/api/customers/{customer}", json={"name": "孙女士 Ms Sun", "grade": "normal"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "孙女士 Ms Sun"
    assert agent1.patch(f"/api/customers/{customer}", json={}).status_code == 400
    actor = f"user:{agent1.get('/api/me').json()['id']}"
    assert events(services, customer) == [(actor, "name_changed", {"from": None, "to": "孙女士 Ms Sun"})]


def test_a_team_lead_makes_a_key_account_and_the_change_is_audited(system: System, lead: httpx.Client) -> None:
    services = services_of(system)
    customer, _, _ = a_customer(services, "+8613933334444")
    changed = lead.patch(f"/api/customers/{customer}", json={"grade": "key"})
    assert changed.status_code == 200 and changed.json()["grade"] == "key"
    assert changed.json()["grade_label"] == "重点客户 Key account"
    actor = f"user:{lead.get('/api/me').json()['id']}"
    assert events(services, customer) == [(actor, "grade_changed", {"from": "normal", "to": "key"})]


def test_products_are_added_and_removed_each_an_audit_event(system: System, agent1: httpx.Client) -> None:
    services = services_of(system)
    customer, _, _ = a_customer(services, "+8613944445555")
    other, _, _ = a_customer(services, "+8613944446666")
    product = agent1.post(f"/api/customers/{customer}/products", json={"product_model": "XQG100"}).json()
    assert agent1.delete(f"/api/customers/{other}/products/{product['id']}").status_code == 404  # not theirs
    assert agent1.delete(f"/api/customers/{customer}/products/{product['id']}").json() == {"ok": True}
    assert agent1.delete(f"/api/customers/{customer}/products/{product['id']}").status_code == 404
    assert agent1.get(f"/api/customers/{customer}").json()["products"] == []
    assert [kind for _, kind, _ in events(services, customer)] == ["product_added", "product_removed"]
    for body in ({"product_model": ""}, {"product_model": "X", "purchase_date": "2999-01-01"}, {"model": "X"}):
        assert agent1.post(f"/api/customers/{customer}/products", json=body).status_code == 400


def test_a_customer_is_reached_through_their_tickets_and_contacts_only(
    system: System, agent1: httpx.Client, lead: httpx.Client
) -> None:
    services = services_of(system)
    customer, _, _ = a_customer(services, "+8613955556666", queue="orders")  # answered by agent1
    elsewhere = make_ticket(services, category="order", phone="+8613955557777", queue="orders")
    with services.db.reading() as session:
        stranger = session.get_one(Ticket, elsewhere).customer_id
    assert agent1.get(f"/api/customers/{customer}").status_code == 200  # their call, not their queue
    refused = agent1.get(f"/api/customers/{stranger}")
    assert refused.status_code == 404 and refused.json()["policy"] is True and "7777" not in refused.text
    # A ticket nobody has and no call brought: team leads hand it out, so they reach its customer too.
    assert lead.get(f"/api/tickets/{elsewhere}").status_code == lead.get(f"/api/customers/{stranger}").status_code
    assert agent1.patch(f"/api/customers/{stranger}", json={"name": "x"}).status_code == 404
    assert system.login("manager").get(f"/api/customers/{stranger}").status_code == 200
    assert system.login("qa").get(f"/api/customers/{customer}").status_code == 403
    assert agent1.get("/api/customers/999999").status_code == 404


def test_the_migration_goes_down_and_up_again(new_database: Callable[[], str]) -> None:
    db = Database(new_database())
    try:
        db.upgrade()
        command.downgrade(alembic_config(db.url), "0015")
        tables = set(inspect(db.engine).get_table_names())
        assert not {"ticket_attachments", "customer_products"} & tables and "tickets" in tables
        db.upgrade()
        inspector = inspect(db.engine)
        assert {"ticket_attachments", "customer_products"} <= set(inspector.get_table_names())
        assert {i["name"] for i in inspector.get_indexes("customer_products")} == {
            "ix_customer_products_customer_id",
            "ix_customer_products_serial_number",
        }
    finally:
        db.dispose()
