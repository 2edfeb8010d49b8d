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


def mask_phone(number: str) -> str:
    """A number for people who need to recognise it, not to dial it: +86 138****8000.

    The country code and the first three and last four digits stay; anything not a phone number
    (client:agent-1, anonymous) is shown as it is, there being nothing to protect."""
    if not number.startswith("+"):
        return number
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number[:4] + "****"
    national = str(parsed.national_number)
    if len(national) <= 7:
        return f"+{parsed.country_code} {national[:2]}{'*' * max(len(national) - 4, 1)}{national[-2:]}"
    return f"+{parsed.country_code} {national[:3]}{'*' * (len(national) - 7)}{national[-4:]}"


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
