"""RQ jobs of the closed loop, each handed over by the outbox after the change it follows has committed."""

from __future__ import annotations

from contactcenter.context import Services
from contactcenter.satisfaction import flags, service
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.notifier import push_committed
from contactcenter.worker import worker_services


def plan_return_visit(ticket_id: int) -> None:
    """A ticket was resolved: plan its return visit."""
    plan(worker_services(), ticket_id=ticket_id)


def expire_return_visit(callback_id: int) -> None:
    """A return visit's time is up: give it up as not reached, unless it was made."""
    service.expire_visit(worker_services(), callback_id=callback_id)


def count_complaints(agent_id: int) -> None:
    """A substantiated complaint about an agent was resolved: count theirs."""
    count(worker_services(), agent_id=agent_id)


def plan(services: Services, *, ticket_id: int) -> None:
    """The work of `plan_return_visit`, in one transaction."""
    with services.db.session() as session:
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        if ticket is not None:
            service.plan_return_visit(services, session, ticket=ticket, actor="scheduler")


def count(services: Services, *, agent_id: int) -> None:
    """The work of `count_complaints`, in one transaction; the managers' notifications pushed after it."""
    with services.db.session() as session:
        sent = flags.count_complaints(services, session, agent_id=agent_id)
    push_committed(services.redis, sent)
