"""Checking who is calling before account data is read out.

What proves it: the last 4 characters of the registered ID of the caller's customer (the record of the
number they call from), or an order number of that customer keyed from that number. An order number keyed
from any other number proves nothing by itself (anyone may know it: it is on the parcel), so the caller is
then asked for the ID's last 4 of the order's customer: only both together attach the call to that record.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select

from contactcenter.audit.service import record_event
from contactcenter.customers.models import Customer, Order
from contactcenter.tickets.models import Ticket
from ivr.call import IvrCall

Outcome = Literal["verified", "id_needed", "refused"]
CLAIM_SECONDS = 300  # how long an order number keyed from another number waits for the ID's last 4


def _claim_key(contact_id: int) -> str:
    return f"cc:ivr:claim:{contact_id}"


def verify(call: IvrCall, entered: str) -> Outcome:
    """Whether `entered` proves the caller is the customer (the contact is then marked verified), asks for the
    ID's last 4 (an order number keyed from a number not its customer's), or proves nothing."""
    code = entered.strip().replace("*", "X").upper()  # the X of a Chinese ID number is keyed as *
    contact, customer = call.contact, call.customer
    method = None
    if len(code) == 4:
        claimed = _claimed(call)
        if claimed is not None and _id_matches(claimed, code):
            _attach(call, claimed.id)
            method = "order_number+id_last4"
        elif customer is not None and _id_matches(customer, code):
            method = "id_last4"
    elif code.isdigit() and len(code) >= 6:
        order = call.session.scalar(select(Order).where(Order.number == code))
        if order and customer and order.customer_id == customer.id and customer.phone == contact.from_number:
            method = "order_number+caller_number"
        else:
            # The same answer whether or not the order exists: the question tells a stranger nothing.
            call.services.redis.set(_claim_key(contact.id), order.customer_id if order else 0, ex=CLAIM_SECONDS)
            _audit(call, "identity_id_asked", method="order_number", order_found=order is not None)
            return "id_needed"
    _audit(call, "identity_verified" if method else "identity_refused", method=method)
    if method is None:
        return "refused"
    contact.identity_verified = True
    call.services.redis.delete(_claim_key(contact.id))
    return "verified"


def _id_matches(customer: Customer, code: str) -> bool:
    return bool(customer.id_last4) and (customer.id_last4 or "").upper() == code


def _claimed(call: IvrCall) -> Customer | None:
    """The customer of the order this caller keyed from a number not theirs, while that claim is fresh."""
    raw = call.services.redis.get(_claim_key(call.contact.id))
    customer_id = int(raw) if raw else 0
    return call.session.get(Customer, customer_id) if customer_id else None


def _audit(call: IvrCall, kind: str, **data: object) -> None:
    record_event(call.session, actor="ivr", subject_type="contact", subject_id=call.contact.id, kind=kind, **data)


def _attach(call: IvrCall, customer_id: int) -> None:
    """The contact (and its ticket) belong to the customer the order names."""
    contact = call.contact
    if contact.customer_id == customer_id:
        return
    contact.customer_id = customer_id
    ticket = call.session.get(Ticket, contact.ticket_id) if contact.ticket_id else None
    if ticket is not None:
        ticket.customer_id = customer_id
    call.__dict__.pop("customer", None)  # the cached customer was the caller ID's
