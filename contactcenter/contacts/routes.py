"""Contacts over HTTP: revealing a caller's whole number (audited, and in the access log)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import Policy, Scope, reach, route
from contactcenter.audit.access import Action, audited, client_address
from contactcenter.contacts.reveal import Reveal, reveal_phone
from contactcenter.errors import parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import AGENT_ROLES, SUPERVISOR_ROLES

# An agent reveals only a contact of theirs (reveal.py checks offered, handled or taken); QA staff never.
REVEAL = Policy(
    "user", AGENT_ROLES | SUPERVISOR_ROLES, Scope("contact", "contact_id"), note="a contact in scope, with a reason"
)


async def reveal(request: Request) -> Response:
    user = reach(request).user
    body = parsed(Reveal, await request.body(), problem='Send {"reason": "why you need the whole number"}')
    contact_id = path_id(request, "contact_id")
    shown = await run_in_threadpool(
        reveal_phone,
        request.app.state.services,
        viewer=user,
        contact_id=contact_id,
        reason=body.reason,
        client=client_address(request),
    )
    # In the access log too, before the number leaves (no log, no number: 503).
    await audited(request, user, action=Action.REVEAL, object_type="contact", object_id=contact_id, detail=body.reason)
    return JSONResponse(shown, whole=True, headers={"Cache-Control": "private, no-store"})  # the audited reveal


routes = [route("/api/contacts/{contact_id:int}/reveal", reveal, methods=["POST"], policy=REVEAL)]
