"""Callbacks over HTTP: the list of a queue's callbacks, and calling one off."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import queues_of, reach, route
from contactcenter.access.rules import CALLBACK_CANCEL, CALLBACKS
from contactcenter.audit.access import Action, audited
from contactcenter.callbacks import service
from contactcenter.callbacks.models import CallbackStatus
from contactcenter.errors import Invalid, path_id
from contactcenter.responses import JSONResponse

STATUSES = {s.value for s in CallbackStatus}


async def list_callbacks(request: Request) -> Response:
    status = request.query_params.get("status")
    if status and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(sorted(STATUSES))}")
    queues = await queues_of(request)
    rows = await run_in_threadpool(service.listing, request.app.state.services, queues=queues, status=status)
    # Callers' numbers: a read of customer data, in the access log.
    detail = f"{len(rows)} of {','.join(queues) or 'no queue'}"
    user = reach(request).user
    await audited(request, user, action=Action.LIST, object_type="callback", detail=detail)
    return JSONResponse({"callbacks": rows}, viewer=user)


async def cancel_callback(request: Request) -> Response:
    user = reach(request).user
    view = await run_in_threadpool(
        service.cancel, request.app.state.services, callback_id=path_id(request, "callback_id"), actor=f"user:{user.id}"
    )
    return JSONResponse(view, viewer=user)


routes = [
    route("/api/callbacks", list_callbacks, methods=["GET"], policy=CALLBACKS),
    route("/api/callbacks/{callback_id:int}/cancel", cancel_callback, methods=["POST"], policy=CALLBACK_CANCEL),
]
