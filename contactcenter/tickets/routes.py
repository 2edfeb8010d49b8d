"""The ticket desk over HTTP (contract: tickets/api.yml): the list, one ticket and everything done to it.

Handlers are thin: each reads its body (schemas.py), runs one service call in one transaction (`_act`),
and answers the ticket as its page shows it. Refusals are the services' APIErrors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import Policy, Scope, reach, route
from contactcenter.access.rules import STAFF_ROLES, TICKET_READ
from contactcenter.access.scopes import Reach, outside
from contactcenter.audit.access import Action, audited
from contactcenter.audit.service import record_event
from contactcenter.callbacks import service as callbacks
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.errors import Invalid, NotFound, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.tickets import desk, escalation, linking, schemas, service
from contactcenter.tickets.clocks import Clockwork, clockwork
from contactcenter.tickets.models import Notification, Ticket
from contactcenter.tickets.notifier import push_committed
from contactcenter.tickets.search import reindex
from contactcenter.tickets.timeline import family, ticket_view
from contactcenter.timeutil import utcnow
from contactcenter.users.auth import SUPERVISOR_ROLES, CurrentUser
from contactcenter.users.models import User

log = logging.getLogger(__name__)
DESK = Policy("user", STAFF_ROLES, note="the tickets of the views their role has (desk.views_for)")
TICKET_ACTION = Policy("user", STAFF_ROLES, Scope("ticket", "ticket_id"), note="a ticket in scope")
TICKET_SUPERVISE = Policy("user", SUPERVISOR_ROLES, Scope("ticket", "ticket_id"), note="a ticket in scope")
CONTACT_SPLIT = Policy("user", STAFF_ROLES, Scope("contact", "contact_id"), note="a contact in scope")
Action_ = Callable[[Session, Clockwork, Ticket], list[Notification] | None]


def _viewer(request: Request) -> tuple[CurrentUser, Reach]:
    scope = reach(request)
    return scope.user, scope


async def list_tickets(request: Request) -> Response:
    user, scope = _viewer(request)
    services: Services = request.app.state.services
    query = schemas.list_query(request.query_params, timezone=services.settings.timezone)
    filters = query.filters

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            return desk.list_tickets(session, reach=scope, filters=filters, limit=query.limit, after=query.after)

    page = await run_in_threadpool(read)
    detail = f"{len(page['tickets'])} of view {filters.view}" + (" (search)" if filters.q is not None else "")
    await audited(request, user, action=Action.LIST, object_type="ticket", detail=detail)
    return JSONResponse(page, viewer=user)


def _view(services: Services, ticket_id: int) -> dict[str, Any] | None:
    with services.db.reading() as session:  # a read: no writer's turn on SQLite
        ticket = session.get(Ticket, ticket_id)
        return ticket_view(session, ticket=ticket) if ticket else None


async def get_ticket(request: Request) -> Response:
    viewer = reach(request).user
    view = await run_in_threadpool(_view, request.app.state.services, path_id(request, "ticket_id"))
    if view is None:
        raise NotFound("No such ticket.")
    await audited(request, viewer, action=Action.READ, object_type="ticket", object_id=view["id"])
    return JSONResponse(view, viewer=viewer)


def _act(services: Services, ticket_id: int, action: Action_) -> dict[str, Any]:
    """Run one change of a ticket in one transaction, keep its search words current, push its notifications
    after the commit; the ticket as its page shows it."""
    with services.db.session() as session:
        ticket = service.get_ticket(session, ticket_id, for_update=True)
        sent = action(session, clockwork(services), ticket) or []
        session.flush()
        reindex(session, ticket_id=ticket.id)
        view = ticket_view(session, ticket=ticket)
    push_committed(services.redis, sent)
    return view


async def _answer(request: Request, action: Action_) -> Response:
    user = reach(request).user
    view = await run_in_threadpool(_act, request.app.state.services, path_id(request, "ticket_id"), action)
    await audited(request, user, action=Action.READ, object_type="ticket", object_id=view["id"])
    return JSONResponse(view, viewer=user)


async def change_status(request: Request) -> Response:
    body = parsed(schemas.StatusChange, await request.body())
    actor = f"user:{reach(request).user.id}"

    def action(session: Session, work: Clockwork, ticket: Ticket) -> None:
        service.move(session, work, ticket=ticket, to=body.status, actor=actor, why=body.why)

    return await _answer(request, action)


async def assign(request: Request) -> Response:
    body = parsed(schemas.Assignment, await request.body())
    user, scope = _viewer(request)

    def action(session: Session, work: Clockwork, ticket: Ticket) -> None:
        if body.assignee_id is not None and not scope.everything and body.assignee_id not in scope.agents:
            raise Invalid("You may give tickets to yourself or, as a team lead, to your team only.")
        service.assign(session, ticket=ticket, assignee_id=body.assignee_id, actor=f"user:{user.id}")

    return await _answer(request, action)


async def add_note(request: Request) -> Response:
    body = parsed(schemas.NewNote, await request.body())
    user = reach(request).user

    def action(session: Session, work: Clockwork, ticket: Ticket) -> None:
        author = session.get_one(User, user.id)
        service.add_note(session, work, ticket=ticket, body=body.body, author=author, contact_id=None, kind=body.kind)

    return await _answer(request, action)


async def change_fields(request: Request) -> Response:
    body = parsed(schemas.FieldChanges, await request.body())
    user = reach(request).user
    categories = request.app.state.services.settings.ticket_categories
    changes = body.changes()
    category = changes.pop("category", None)
    if category is not None and category not in categories:
        raise Invalid(f"category must be one of {', '.join(categories)}.")

    def action(session: Session, work: Clockwork, ticket: Ticket) -> None:
        service.update_fields(session, ticket=ticket, changes=changes, actor=f"user:{user.id}")
        if category is not None:
            service.categorize(session, work, ticket=ticket, category=category, actor=f"user:{user.id}")

    return await _answer(request, action)


async def escalate(request: Request) -> Response:
    body = parsed(schemas.Escalation, await request.body())
    user = reach(request).user

    def action(session: Session, work: Clockwork, ticket: Ticket) -> list[Notification]:
        service.writable(ticket)
        now = utcnow()
        level = body.level or ticket.escalation_level + 1
        why = "emergency" if level > ticket.escalation_level + 1 else "by_hand"
        actor = f"user:{user.id}"
        return escalation.escalate(
            session, work, ticket=ticket, at=now, now=now, actor=actor, why=why, to_level=level, reason=body.reason
        )

    return await _answer(request, action)


async def merge(request: Request) -> Response:
    body = parsed(schemas.MergeInto, await request.body())
    user, scope = _viewer(request)
    services: Services = request.app.state.services

    def action(session: Session, work: Clockwork, ticket: Ticket) -> None:
        with services.db.reader.connect() as connection:
            if outside(services, connection, scope, "ticket", str(body.into)) is not None:
                raise NotFound(f"There is no ticket {body.into} that you may see.")
        target = service.get_ticket(session, body.into, for_update=True)
        linking.merge(session, work, source=ticket, target=target, actor=f"user:{user.id}")

    return await _answer(request, action)


async def unmerge(request: Request) -> Response:
    user = reach(request).user

    def action(session: Session, work: Clockwork, ticket: Ticket) -> None:
        target = linking.unmerge(session, work, source=ticket, actor=f"user:{user.id}")
        reindex(session, ticket_id=target.id)

    return await _answer(request, action)


async def reapply(request: Request) -> Response:
    user = reach(request).user

    def action(session: Session, work: Clockwork, ticket: Ticket) -> None:
        service.reapply_policies(session, work, ticket=ticket, actor=f"user:{user.id}")

    return await _answer(request, action)


async def schedule_callback(request: Request) -> Response:
    body = parsed(schemas.CallbackRequest, await request.body())
    user = reach(request).user
    services: Services = request.app.state.services
    try:
        at = datetime.fromisoformat(body.at)
    except ValueError as exc:
        raise Invalid("at must be a date and time such as 2026-12-08T10:00.") from exc
    at = at if at.tzinfo else at.replace(tzinfo=ZoneInfo(services.settings.timezone))

    def action(session: Session, work: Clockwork, ticket: Ticket) -> None:
        service.writable(ticket)
        ids = family(session, ticket=ticket)
        contact = session.scalar(
            select(Contact)
            .where(Contact.ticket_id.in_(ids), Contact.from_number.startswith("+"))
            .order_by(Contact.id.desc())
            .limit(1)
        )
        if contact is None:
            raise Invalid("None of this ticket's calls or chats left a number to call back.")
        try:
            made = callbacks.schedule(
                services, session, contact=contact, kind=body.kind, at=at, note=body.note, agent_id=user.id
            )
        except ValueError as exc:
            raise Invalid(f"Cannot schedule it: {exc}.") from exc
        record_event(
            session,
            actor=f"user:{user.id}",
            subject_type="ticket",
            subject_id=ticket.id,
            kind="callback_scheduled",
            callback=made.id,
            callback_kind=body.kind,
        )

    return await _answer(request, action)


async def duplicates(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    ticket_id = path_id(request, "ticket_id")

    def read() -> list[dict[str, Any]]:
        with services.db.reading() as session:
            ticket = service.get_ticket(session, ticket_id)
            return [
                {"id": t.id, "number": t.number, "subject": t.subject, "status": t.status, "category": t.category}
                for t in linking.duplicates(session, ticket=ticket)
            ]

    found = await run_in_threadpool(read)
    await audited(request, user, action=Action.LIST, object_type="ticket", detail=f"{len(found)} like {ticket_id}")
    return JSONResponse({"tickets": found}, viewer=user)


async def split_contact(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    contact_id = path_id(request, "contact_id")

    def act() -> dict[str, Any]:
        with services.db.session() as session:
            contact = session.get(Contact, contact_id)
            if contact is None:
                raise NotFound("No such contact.")
            ticket = linking.split_contact(session, clockwork(services), contact=contact, actor=f"user:{user.id}")
            session.flush()
            reindex(session, ticket_id=ticket.id)
            return ticket_view(session, ticket=ticket)

    view = await run_in_threadpool(act)
    await audited(request, user, action=Action.READ, object_type="ticket", object_id=view["id"])
    return JSONResponse(view, status_code=201, viewer=user)


routes = [
    route("/api/tickets", list_tickets, methods=["GET"], policy=DESK),
    route("/api/tickets/{ticket_id:int}", get_ticket, methods=["GET"], policy=TICKET_READ),
    route("/api/tickets/{ticket_id:int}", change_fields, methods=["PATCH"], policy=TICKET_ACTION),
    route("/api/tickets/{ticket_id:int}/status", change_status, methods=["POST"], policy=TICKET_ACTION),
    route("/api/tickets/{ticket_id:int}/assign", assign, methods=["POST"], policy=TICKET_ACTION),
    route("/api/tickets/{ticket_id:int}/notes", add_note, methods=["POST"], policy=TICKET_ACTION),
    route("/api/tickets/{ticket_id:int}/escalate", escalate, methods=["POST"], policy=TICKET_ACTION),
    route("/api/tickets/{ticket_id:int}/merge", merge, methods=["POST"], policy=TICKET_ACTION),
    route("/api/tickets/{ticket_id:int}/unmerge", unmerge, methods=["POST"], policy=TICKET_ACTION),
    route("/api/tickets/{ticket_id:int}/reapply-policy", reapply, methods=["POST"], policy=TICKET_SUPERVISE),
    route("/api/tickets/{ticket_id:int}/callbacks", schedule_callback, methods=["POST"], policy=TICKET_ACTION),
    route("/api/tickets/{ticket_id:int}/duplicates", duplicates, methods=["GET"], policy=TICKET_ACTION),
    route("/api/contacts/{contact_id:int}/split", split_contact, methods=["POST"], policy=CONTACT_SPLIT),
]
