"""Checking who is calling before account data is read out: an order number or the ID's last 4."""

from __future__ import annotations

from sqlalchemy import select

from contactcenter.audit.service import record_event
from contactcenter.customers.models import Order
from contactcenter.tickets.models import Ticket
from ivr.call import IvrCall


def verify(call: IvrCall, entered: str) -> bool:
    """True (and the contact marked verified) if `entered` proves the caller is the customer."""
    code = entered.strip().replace("*", "X").upper()  # the X of a Chinese ID number is keyed as *
    contact, customer = call.contact, call.customer
    method = None
    if len(code) == 4 and customer and customer.id_last4 and customer.id_last4.upper() == code:
        method = "id_last4"
    elif code.isdigit() and len(code) >= 6:
        order = call.session.scalar(select(Order).where(Order.number == code))
        if order and (customer is None or order.customer_id == customer.id or not customer.name):
            # An order number also identifies a known customer calling from a number we do not know.
            _attach(call, order.customer_id)
            method = "order_number"
    record_event(
        call.session,
        actor="ivr",
        subject_type="contact",
        subject_id=contact.id,
        kind="identity_verified" if method else "identity_refused",
        method=method,
    )
    if method:
        contact.identity_verified = True
    return method is not None


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
