"""Self-service: account data read out to a caller who has proved who they are."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from contactcenter.customers.models import Order
from contactcenter.tickets.lifecycle import State
from contactcenter.tickets.models import Ticket
from contactcenter.timeutil import as_utc, utcnow
from ivr import prompts
from ivr.call import IvrCall
from ivr.flow import Prompt

ORDER_STATUS_NAMES = {
    "paid": {"zh-CN": "已付款,待发货", "en": "paid and waiting to ship"},
    "shipped": {"zh-CN": "已发货,运输中", "en": "shipped and on its way"},
    "delivered": {"zh-CN": "已签收", "en": "delivered"},
    "returned": {"zh-CN": "已退货", "en": "returned"},
}


def read(call: IvrCall, what: str) -> Prompt:
    """What self-service says: the status of the caller's latest ticket (or order)."""
    customer_id = call.contact.customer_id
    if what == "latest_order":
        order = call.session.scalar(
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(1)
        )
        if order is None:
            return prompts.NO_TICKET
        names = ORDER_STATUS_NAMES.get(order.status, {"zh-CN": order.status, "en": order.status})
        return {lang: prompts.order_status(order.number, order.product, names[lang])[lang] for lang in names}
    ticket = call.session.scalar(
        select(Ticket)
        .where(
            Ticket.customer_id == customer_id,
            Ticket.id != (call.contact.ticket_id or 0),
            Ticket.status != State.MERGED,
        )
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(1)
    )
    if ticket is None or customer_id is None:
        return prompts.NO_TICKET
    updated = (as_utc(ticket.updated_at) or utcnow()).astimezone(ZoneInfo(call.services.settings.timezone))
    return prompts.ticket_status(ticket.number or str(ticket.id), ticket.category, ticket.status, updated)
