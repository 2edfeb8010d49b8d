"""Finding customers by the number they call from."""

from __future__ import annotations

from typing import Any

import phonenumbers
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from contactcenter.audit.service import event_row
from contactcenter.customers.models import Customer
from contactcenter.db import insert_or_ignore
from contactcenter.timeutil import utcnow


def normalize_phone(raw: str, *, region: str = "CN") -> str | None:
    """E.164 form of a phone number, or None when it is withheld or not a valid number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Built once: this runs on every incoming call.
_ID_BY_PHONE = select(Customer.id).where(Customer.phone == bindparam("phone"))


def customer_id_for_phone(session: Session, *, phone: str, actor: str, audit: list[dict[str, Any]]) -> int:
    """The id of the customer with this E.164 number, created on first contact (safe under races).

    A new customer's audit entry is appended to `audit` for the caller to write with its own."""
    found = session.scalar(_ID_BY_PHONE, {"phone": phone})
    if found is not None:
        return found
    now = utcnow()
    created: int | None = session.execute(
        insert_or_ignore(session, Customer), {"phone": phone, "grade": "normal", "created_at": now}
    ).scalar()
    if created is None:  # another call from the same new number won the race
        return session.scalars(_ID_BY_PHONE, {"phone": phone}).one()
    audit.append(
        event_row(actor=actor, subject_type="customer", subject_id=created, kind="created", at=now, phone=phone)
    )
    return created
