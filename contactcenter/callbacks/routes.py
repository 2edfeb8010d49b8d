"""Callbacks over HTTP: the list of a queue's callbacks, and calling one off."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contactcenter.audit.access import Action, audited
from contactcenter.callbacks import service
from contactcenter.callbacks.models import CallbackStatus
from contactcenter.errors import Invalid, path_id
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import require_user

STATUSES = {s.value for s in CallbackStatus}
CANCELERS = frozenset({"supervisor", "manager", "admin"})


async def list_callbacks(request: Request) -> Response:
    user = await require_user(request)
    status = request.query_params.get("status")
    if status and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(sorted(STATUSES))}")
    rows = await run_in_threadpool(service.listing, request.app.state.services, queues=list(user.queues), status=status)
    # Callers' numbers: a read of customer data, in the access log.
    detail = f"{len(rows)} of {','.join(user.queues) or 'no queue'}"
    await audited(request, user, action=Action.LIST, object_type="callback", detail=detail)
    return JSONResponse({"callbacks": rows}, viewer=user)


async def cancel_callback(request: Request) -> Response:
    user = await require_user(request, CANCELERS)
    view = await run_in_threadpool(
        service.cancel, request.app.state.services, callback_id=path_id(request, "callback_id"), actor=f"user:{user.id}"
    )
    return JSONResponse(view, viewer=user)


routes = [
    Route("/api/callbacks", list_callbacks, methods=["GET"]),
    Route("/api/callbacks/{callback_id:int}/cancel", cancel_callback, methods=["POST"]),
]
