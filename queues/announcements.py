"""Supervisor announcements: a short text to every agent console and wallboard, through the routing
event stream (one numbered `announcement` event with `broadcast`, see queues/events.md), audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import reach
from contactcenter.access.policy import refusal
from contactcenter.audit.service import record_event
from contactcenter.context import Services
from contactcenter.errors import Invalid, parsed
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import SUPERVISOR_ROLES, CurrentUser, require_user
from queues.models import Queue
from queues.schemas import Announcement


def announce(
    services: Services, *, text: str, queues: list[str], user: CurrentUser, allowed: frozenset[str] | None = None
) -> dict[str, Any]:
    """Send the announcement (one routing event) and audit it; returns its sequence number and fields.

    `allowed`: the queues a team lead's team serves (None: any, managers and admins); a team lead's
    announcement without queues goes to those (docs/access.md)."""
    with services.db.session() as session:
        if queues:
            known = set(session.scalars(select(Queue.name).where(Queue.name.in_(queues))))
            unknown = [q for q in queues if q not in known]
            if unknown:
                raise Invalid(f"Bad request: no such queue: {', '.join(unknown)}")
        if allowed is not None:
            if not allowed:
                raise refusal(403, "You lead no team, so you may not announce; ask an admin to set your team.")
            if outside := [q for q in queues if q not in allowed]:
                raise refusal(403, f"You may announce only to the queues your team serves, not {', '.join(outside)}.")
            queues = queues or sorted(allowed)
        seq = services.routing.announce(text=text, by=str(user.id), by_name=user.display_name, queues=queues)
        record_event(
            session,
            actor=f"user:{user.id}",
            subject_type="announcement",
            subject_id=seq,
            kind="announced",
            text=text,
            queues=queues,
        )
    return {"seq": seq, "text": text, "queues": queues, "by": str(user.id), "by_name": user.display_name}


async def post_announcement(request: Request) -> Response:
    """POST /api/announcements {"text": "...", "queues": [...]} (supervisors, managers, admins)."""
    user = await require_user(request, SUPERVISOR_ROLES)
    sent = parsed(Announcement, await request.body())
    led = reach(request)
    result = await run_in_threadpool(
        announce,
        request.app.state.services,
        text=sent.text,
        queues=sent.queues or [],
        user=user,
        allowed=None if led.everything else led.led_queues,
    )
    return JSONResponse(result, status_code=201, viewer=user)
