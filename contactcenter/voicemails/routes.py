"""Voicemails over HTTP: the list of a queue's messages, take one, mark it done."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import queues_of, reach, route
from contactcenter.access.rules import VOICEMAIL_ACTION, VOICEMAILS
from contactcenter.audit.access import Action, audited
from contactcenter.errors import Invalid, path_id
from contactcenter.responses import JSONResponse
from contactcenter.voicemails import service
from contactcenter.voicemails.models import VoicemailStatus

STATUSES = {s.value for s in VoicemailStatus}


async def list_voicemails(request: Request) -> Response:
    status = request.query_params.get("status")
    if status and status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(sorted(STATUSES))}")
    wanted = request.query_params.get("queue")  # the policy let only a queue in the user's scope through
    queues = [wanted] if wanted else await queues_of(request)
    rows = await run_in_threadpool(service.listing, request.app.state.services, queues=queues, status=status)
    # Callers' numbers and their messages: a read of customer data, in the access log.
    detail = f"{len(rows)} of {','.join(queues) or 'no queue'}"
    user = reach(request).user
    await audited(request, user, action=Action.LIST, object_type="voicemail", detail=detail)
    return JSONResponse({"voicemails": rows}, viewer=user)


async def change_voicemail(request: Request) -> Response:
    user = reach(request).user
    view = await run_in_threadpool(
        service.change,
        request.app.state.services,
        voicemail_id=path_id(request, "voicemail_id"),
        user_id=user.id,
        queues=await queues_of(request),
        to=request.path_params["action"].replace("take", "taken"),
    )
    return JSONResponse(view, viewer=user)


routes = [
    route("/api/voicemails", list_voicemails, methods=["GET"], policy=VOICEMAILS),
    route(
        "/api/voicemails/{voicemail_id:int}/{action:str}", change_voicemail, methods=["POST"], policy=VOICEMAIL_ACTION
    ),
]
