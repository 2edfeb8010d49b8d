"""Supervisor announcements: a short text to every agent console and wallboard, through the routing
event stream (one numbered `announcement` event with `broadcast`, see queues/events.md), audited."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from contactcenter.audit.service import record_event
from contactcenter.context import Services
from contactcenter.errors import Invalid
from contactcenter.users.auth import SUPERVISOR_ROLES, CurrentUser, require_user
from queues.models import Queue

MAX_TEXT = 500


class AnnouncementError(Invalid):
    """The announcement is not valid; the message says why (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Bad request: {message}")


def parse(body: object) -> tuple[str, list[str]]:
    """The text (1-500 characters once trimmed) and the queue names it is about (none: everyone)."""
    if not isinstance(body, dict):
        raise AnnouncementError("the body must be a JSON object")
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise AnnouncementError("text is required (1 to 500 characters)")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise AnnouncementError(f"text is {len(text)} characters long; at most {MAX_TEXT}")
    queues = body.get("queues") or []
    if not isinstance(queues, list) or not all(isinstance(q, str) and q for q in queues):
        raise AnnouncementError("queues must be a list of queue names")
    return text, list(dict.fromkeys(queues))


def announce(services: Services, *, text: str, queues: list[str], user: CurrentUser) -> dict[str, Any]:
    """Send the announcement (one routing event) and audit it; returns its sequence number and fields."""
    with services.db.session() as session:
        if queues:
            known = set(session.scalars(select(Queue.name).where(Queue.name.in_(queues))))
            unknown = [q for q in queues if q not in known]
            if unknown:
                raise AnnouncementError(f"no such queue: {', '.join(unknown)}")
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
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError as exc:  # not JSON, or not UTF-8
        raise AnnouncementError("the body must be JSON") from exc
    text, queues = parse(body)
    result = await run_in_threadpool(announce, request.app.state.services, text=text, queues=queues, user=user)
    return JSONResponse(result, status_code=201)
