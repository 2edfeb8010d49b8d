"""The customer file (客户档案): who the customer is, their grade, the products they own, and every ticket
and contact of theirs; the changes staff make to it, each an audit event on the customer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.contacts.models import Contact
from contactcenter.customers.models import Customer, CustomerProduct
from contactcenter.errors import Forbidden, NotFound
from contactcenter.tickets.lifecycle import both_labels
from contactcenter.tickets.models import Ticket
from contactcenter.timeutil import as_utc
from contactcenter.users.models import User

SHOWN = 200  # the newest tickets and contacts the file lists (`counts` says how many there are)
GRADE_LABELS = {"normal": "普通客户 Normal", "key": "重点客户 Key account"}
GRADE_REFUSED = (
    "只有组长、经理和管理员可以更改客户等级;坐席只能修改姓名。"
    "Only team leads, managers and admins may change a customer's grade; agents may change the name only."
)


def _iso(value: datetime | None) -> str | None:
    value = as_utc(value)
    return value.isoformat() if value else None


def _status_label(status: str) -> str:
    try:
        return both_labels(status)
    except ValueError:  # a status of an older version
        return status


def _tickets_of(customer_id: int) -> Select[int]:
    """The ids of the customer's tickets: theirs, or opened by a contact of theirs."""
    by_contact = select(Contact.ticket_id).where(Contact.customer_id == customer_id, Contact.ticket_id.is_not(None))
    return select(Ticket.id).where(or_(Ticket.customer_id == customer_id, Ticket.id.in_(by_contact)))


def _contacts_of(customer_id: int) -> Any:
    """Which contacts are the customer's: theirs, or of one of their tickets."""
    return or_(Contact.customer_id == customer_id, Contact.ticket_id.in_(_tickets_of(customer_id)))


def product_view(product: CustomerProduct) -> dict[str, Any]:
    return {
        "id": product.id,
        "product_model": product.product_model,
        "serial_number": product.serial_number,
        "purchase_date": product.purchase_date.isoformat() if product.purchase_date else None,
        "note": product.note,
        "created_at": _iso(product.created_at),
    }


def customer_file(session: Session, *, customer_id: int) -> dict[str, Any] | None:
    """The whole file as JSON-ready data (numbers whole: responses mask them for the viewer), or None."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return None
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.id.in_(_tickets_of(customer_id)))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(SHOWN)
    ).all()
    targets = {t.merged_into_id for t in tickets} - {None}
    numbers = {i: n for i, n in session.execute(select(Ticket.id, Ticket.number).where(Ticket.id.in_(targets)))}
    contacts = session.execute(
        select(Contact, User.display_name, Ticket.number)
        .outerjoin(User, User.id == Contact.agent_id)
        .outerjoin(Ticket, Ticket.id == Contact.ticket_id)
        .where(_contacts_of(customer_id))
        .order_by(Contact.created_at.desc(), Contact.id.desc())
        .limit(SHOWN)
    ).all()
    products = session.scalars(
        select(CustomerProduct).where(CustomerProduct.customer_id == customer_id).order_by(CustomerProduct.id)
    ).all()
    return {
        "id": customer.id,
        "name": customer.name,
        "phone": customer.phone,
        "grade": customer.grade,
        "grade_label": GRADE_LABELS.get(customer.grade, customer.grade),
        "created_at": _iso(customer.created_at),
        "products": [product_view(p) for p in products],
        "tickets": [
            {
                "id": t.id,
                "number": t.number,
                "status": t.status,
                "status_label": _status_label(t.status),
                "category": t.category,
                "subject": t.subject,
                "created_at": _iso(t.created_at),
                "updated_at": _iso(t.updated_at),
                "merged": t.merged_into_id is not None,
                "merged_into": {"id": t.merged_into_id, "number": numbers.get(t.merged_into_id)}
                if t.merged_into_id
                else None,
            }
            for t in tickets
        ],
        "contacts": [
            {
                "id": c.id,
                "channel": c.channel,
                "direction": c.direction,
                "from": c.from_number,
                "status": c.status,
                "queue": c.queue,
                "agent": agent,
                "ticket_id": c.ticket_id,
                "ticket": number,
                "created_at": _iso(c.created_at),
                "queued_at": _iso(c.queued_at),
                "answered_at": _iso(c.answered_at),
                "ended_at": _iso(c.ended_at),
            }
            for c, agent, number in contacts
        ],
        "counts": {
            "tickets": session.scalar(select(func.count()).select_from(_tickets_of(customer_id).subquery())) or 0,
            "contacts": session.scalar(select(func.count(Contact.id)).where(_contacts_of(customer_id))) or 0,
        },
    }


def change_customer(
    session: Session, *, customer_id: int, changes: dict[str, Any], actor: str, may_grade: bool
) -> list[str]:
    """Apply the changes (name, grade) that change something, each an audit event on the customer
    (`name_changed`, `grade_changed`: from, to); the fields changed. Forbidden when the grade would change
    and `may_grade` is false: nothing is changed then."""
    customer = session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        raise NotFound("No such customer.")
    changed = {field: value for field, value in changes.items() if getattr(customer, field) != value}
    if "grade" in changed and not may_grade:
        raise Forbidden(GRADE_REFUSED, code="grade_refused")
    for field, value in changed.items():
        record_event(
            session,
            actor=actor,
            subject_type="customer",
            subject_id=customer.id,
            kind=f"{field}_changed",
            **{"from": getattr(customer, field), "to": value},
        )
        setattr(customer, field, value)
    return list(changed)


def add_product(session: Session, *, customer_id: int, fields: dict[str, Any], actor: str) -> dict[str, Any]:
    """A product the customer owns, noted (`product_added` on the customer)."""
    if session.get(Customer, customer_id) is None:
        raise NotFound("No such customer.")
    product = CustomerProduct(customer_id=customer_id, **fields)
    session.add(product)
    session.flush()
    _product_event(session, product, kind="product_added", actor=actor)
    return product_view(product)


def remove_product(session: Session, *, customer_id: int, product_id: int, actor: str) -> None:
    """Take a product off the customer's list (`product_removed` on the customer keeps what it was)."""
    product = session.get(CustomerProduct, product_id, with_for_update=True)
    if product is None or product.customer_id != customer_id:
        raise NotFound("This customer has no such product.")
    purchased = product.purchase_date.isoformat() if product.purchase_date else None
    _product_event(session, product, kind="product_removed", actor=actor, purchase_date=purchased)
    session.delete(product)


def _product_event(session: Session, product: CustomerProduct, *, kind: str, actor: str, **more: Any) -> None:
    """An audit event on the product's customer naming the product."""
    record_event(
        session,
        actor=actor,
        subject_type="customer",
        subject_id=product.customer_id,
        kind=kind,
        product_id=product.id,
        product_model=product.product_model,
        serial_number=product.serial_number,
        **more,
    )
