"""Finding customers by the number they call from."""

from __future__ import annotations

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.customers.models import Customer


def normalize_phone(raw: str, *, region: str = "CN") -> str | None:
    """E.164 form of a phone number, or None when it is withheld or not a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def find_or_create_by_phone(session: Session, *, phone: str, actor: str) -> Customer:
    """The customer with this E.164 number, created on first contact (safe under races)."""
    existing = session.scalar(select(Customer).where(Customer.phone == phone))
    if existing:
        return existing
    try:
        with session.begin_nested():
            customer = Customer(phone=phone)
            session.add(customer)
    except IntegrityError:
        return session.scalars(select(Customer).where(Customer.phone == phone)).one()
    record_event(session, actor=actor, subject_type="customer", subject_id=customer.id, kind="created", phone=phone)
    return customer
