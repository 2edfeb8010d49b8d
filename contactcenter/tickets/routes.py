"""Reading tickets over HTTP."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import reach, route
from contactcenter.access.rules import TICKET_READ
from contactcenter.audit.access import Action, audited
from contactcenter.context import Services
from contactcenter.errors import NotFound, path_id
from contactcenter.responses import JSONResponse
from contactcenter.tickets.models import Ticket
from contactcenter.tickets.timeline import ticket_view


def _view(services: Services, ticket_id: int) -> dict[str, Any] | None:
    with services.db.session() as session:
        ticket = session.get(Ticket, ticket_id)
        return ticket_view(session, ticket=ticket) if ticket else None


async def get_ticket(request: Request) -> Response:
    viewer = reach(request).user
    view = await run_in_threadpool(_view, request.app.state.services, path_id(request, "ticket_id"))
    if view is None:
        raise NotFound("No such ticket.")
    await audited(request, viewer, action=Action.READ, object_type="ticket", object_id=view["id"])
    return JSONResponse(view, viewer=viewer)


routes = [route("/api/tickets/{ticket_id:int}", get_ticket, methods=["GET"], policy=TICKET_READ)]
