"""Voicemails over HTTP: the list of a queue's messages, take one, mark it done."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contactcenter.audit.access import Action, audited
from contactcenter.errors import Forbidden, Invalid, path_id
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import require_user
from contactcenter.voicemails import service
from contactcenter.voicemails.models import VoicemailStatus

STATUSES = {s.value for s in VoicemailStatus}


async def list_voicemails(request: Request) -> Response:
    user = await require_user(request)
    status = request.query_params.get("status")
    if status and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(sorted(STATUSES))}")
    queues = list(user.queues)
    wanted = request.query_params.get("queue")
    if wanted:
        if wanted not in queues and user.role == "agent":
            raise Forbidden(f"You are not in queue {wanted!r}.")
        queues = [wanted]
    rows = await run_in_threadpool(service.listing, request.app.state.services, queues=queues, status=status)
    # Callers' numbers and their messages: a read of customer data, in the access log.
    detail = f"{len(rows)} of {','.join(queues) or 'no queue'}"
    await audited(request, user, action=Action.LIST, object_type="voicemail", detail=detail)
    return JSONResponse({"voicemails": rows}, viewer=user)


async def change_voicemail(request: Request) -> Response:
    user = await require_user(request)
    view = await run_in_threadpool(
        service.change,
        request.app.state.services,
        voicemail_id=path_id(request, "voicemail_id"),
        user_id=user.id,
        queues=list(user.queues),
        to=request.path_params["action"].replace("take", "taken"),
    )
    return JSONResponse(view, viewer=user)


routes = [
    Route("/api/voicemails", list_voicemails, methods=["GET"]),
    Route("/api/voicemails/{voicemail_id:int}/{action:str}", change_voicemail, methods=["POST"]),
]
