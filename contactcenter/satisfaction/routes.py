"""The customer's word over HTTP (contract: satisfaction/api.yml): a return visit's answers, a chat's rating,
batches of return visits, the monthly summary, the agents flagged for complaints, and the desk's page of them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from contactcenter.access import Policy, Scope, reach, route
from contactcenter.access.rules import CHAT_CUSTOMER, STAFF_ROLES
from contactcenter.chats import service as chats
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.errors import Conflict, Invalid, NotFound, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.satisfaction import flags, service
from contactcenter.satisfaction.models import Survey
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.service import get_ticket
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.auth import SUPERVISOR_ROLES
from contactcenter.users.teams import EVERYONE_ROLES

STATIC = Path(__file__).resolve().parent.parent / "tickets" / "static"  # the desk's pages share their look
PAGE = Policy(
    "user",
    SUPERVISOR_ROLES,
    page=True,
    page_text=(
        "满意度页面只供组长、经理和管理员使用。",
        "The satisfaction page is for team leads, managers and admins.",
    ),
    note="team leads, managers, admins (a page)",
)
VISIT = Policy("user", STAFF_ROLES, Scope("ticket", "ticket_id"), note="a ticket in scope")
BATCHES = Policy("user", SUPERVISOR_ROLES, note="team leads (their team's tickets), managers, admins")
SUMMARY = Policy("user", SUPERVISOR_ROLES, note="team leads, managers, admins")
FLAGS = Policy("user", EVERYONE_ROLES, forbidden="Complaint flags are for managers", note="managers, admins")
Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class VisitAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reached: bool = True
    satisfaction: Annotated[int, Field(ge=1, le=5)] | None = None
    resolved: bool | None = None
    comment: Comment = ""


class ChatRating(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(max_length=200)]
    satisfaction: Annotated[int, Field(ge=1, le=5)]
    resolved: bool | None = None
    comment: Comment = ""


class NewBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] = ""
    ticket_ids: Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]], Field(min_length=1, max_length=500)]
    agent_ids: Annotated[list[Annotated[int, Field(ge=1, le=2**31 - 1)]], Field(min_length=1, max_length=100)]


def _survey_view(survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.id,
        "ticket_id": survey.ticket_id,
        "source": survey.source,
        "reached": survey.reached,
        "satisfaction": survey.satisfaction,
        "resolved": survey.resolved,
        "comment": survey.comment,
        "created_at": as_utc(survey.created_at).isoformat(),
    }


async def satisfaction_page(request: Request) -> Response:
    """The month's figures, return-visit batches and (managers) complaint flags: its data from the API below."""
    return FileResponse(STATIC / "satisfaction.html")


async def record_visit(request: Request) -> Response:
    body = parsed(VisitAnswers, await request.body())
    user = reach(request).user
    services: Services = request.app.state.services
    ticket_id = path_id(request, "ticket_id")

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            ticket = get_ticket(session, ticket_id, for_update=True)
            if ticket.status not in service.VISITED:
                raise Conflict("A return visit follows a resolution; this ticket is not resolved.")
            visit = service.open_visit(session, ticket=ticket)
            survey = service.record(
                services,
                session,
                ticket=ticket,
                source="return_visit",
                actor=f"user:{user.id}",
                satisfaction=body.satisfaction,
                resolved=body.resolved,
                comment=body.comment,
                reached=body.reached,
                callback_id=visit.id if visit else None,
            )
            return {**_survey_view(survey), "ticket_status": ticket.status}

    return JSONResponse(await run_in_threadpool(write), status_code=201, viewer=user)


async def rate_chat(request: Request) -> Response:
    body = parsed(ChatRating, await request.body())
    services: Services = request.app.state.services

    def write() -> dict[str, Any]:
        contact_id = chats.contact_of_token(services, token=body.token)
        with services.db.session() as session:
            contact = session.get_one(Contact, contact_id)
            if contact.ended_at is None or contact.ticket_id is None:
                raise Conflict("A chat is rated once it has ended.")
            if session.scalar(select(Survey.id).where(Survey.contact_id == contact_id, Survey.source == "chat")):
                raise Conflict("This chat is rated already; thank you.")
            ticket = session.get_one(Ticket, contact.ticket_id)
            while ticket.merged_into_id is not None:
                ticket = session.get_one(Ticket, ticket.merged_into_id)
            survey = service.record(
                services,
                session,
                ticket=ticket,
                source="chat",
                actor="chat_customer",
                satisfaction=body.satisfaction,
                resolved=body.resolved,
                comment=body.comment,
                contact_id=contact_id,
                agent_id=contact.agent_id,
            )
            return {"thanks": True, "satisfaction": survey.satisfaction}

    return JSONResponse(await run_in_threadpool(write), status_code=201, whole=True)


rate_chat.checks_chat_token = True  # type: ignore[attr-defined]  # chats.contact_of_token, first thing


async def create_batch(request: Request) -> Response:
    body = parsed(NewBatch, await request.body())
    scope = reach(request)
    services: Services = request.app.state.services
    if not scope.everything and not set(body.agent_ids) <= scope.agents:
        raise Invalid("Hand return visits to agents of your team only.")

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            if not scope.everything:
                inside = session.scalars(
                    select(Ticket.id).where(
                        Ticket.id.in_(body.ticket_ids),
                        (Ticket.assignee_id.in_(sorted(scope.agents))) | Ticket.queue.in_(sorted(scope.queues)),
                    )
                ).all()
                if set(inside) != set(body.ticket_ids):
                    raise NotFound("Some of these tickets are not your team's.")
            return service.create_batch(
                services,
                session,
                name=body.name,
                ticket_ids=body.ticket_ids,
                agent_ids=body.agent_ids,
                by=scope.user.id,
            )

    return JSONResponse(await run_in_threadpool(write), status_code=201, viewer=scope.user)


async def batch_progress(request: Request) -> Response:
    scope = reach(request)
    user = scope.user
    services: Services = request.app.state.services
    batch_id = path_id(request, "batch_id")

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            progress = service.batch_progress(session, batch_id=batch_id)
            # A team lead follows their team's batches (made by them or a colleague who leads it); not others'.
            if not scope.everything and progress["created_by"] not in scope.agents | {user.id}:
                raise NotFound(f"No batch {batch_id} of your team's.")
            return progress

    return JSONResponse(await run_in_threadpool(read), viewer=user)


async def monthly(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    zone = ZoneInfo(services.settings.timezone)  # this month is the hotline's, not UTC's (1 a.m. on the 1st)
    month = request.query_params.get("month") or utcnow().astimezone(zone).strftime("%Y-%m")

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            return service.monthly_summary(services, session, month=month)

    return JSONResponse(await run_in_threadpool(read), viewer=user)


async def list_flags(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    open_only = request.query_params.get("open") == "1"

    def read() -> list[dict[str, Any]]:
        with services.db.reading() as session:
            return flags.flags(session, open_only=open_only)

    return JSONResponse({"flags": await run_in_threadpool(read)}, viewer=user)


async def acknowledge_flag(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    flag_id = path_id(request, "flag_id")

    def write() -> None:
        with services.db.session() as session:
            flags.acknowledge(session, flag_id=flag_id, by=user.id)

    await run_in_threadpool(write)
    return JSONResponse({"acknowledged": flag_id}, viewer=user)


routes = [
    route("/desk/satisfaction", satisfaction_page, methods=["GET"], policy=PAGE),
    route("/api/tickets/{ticket_id:int}/return-visit", record_visit, methods=["POST"], policy=VISIT),
    route("/api/chat/rating", rate_chat, methods=["POST"], policy=CHAT_CUSTOMER),
    route("/api/return-visits/batches", create_batch, methods=["POST"], policy=BATCHES),
    route("/api/return-visits/batches/{batch_id:int}", batch_progress, methods=["GET"], policy=BATCHES),
    route("/api/satisfaction", monthly, methods=["GET"], policy=SUMMARY),
    route("/api/agent-flags", list_flags, methods=["GET"], policy=FLAGS),
    route("/api/agent-flags/{flag_id:int}/acknowledge", acknowledge_flag, methods=["POST"], policy=FLAGS),
]
