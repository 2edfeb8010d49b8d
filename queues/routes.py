"""Queue settings and routing explanations over HTTP (supervisors, managers, admins)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import reach, route
from contactcenter.access.policy import refusal
from contactcenter.access.rules import (
    ANNOUNCE,
    LOGGED_IN,
    SUPERVISE,
    SUPERVISE_AGENT,
    SUPERVISE_CONTACT,
    SUPERVISE_QUEUE,
)
from contactcenter.access.scopes import every_queue
from contactcenter.context import Services
from contactcenter.errors import Invalid, NotFound, json_object, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import SUPERVISOR_ROLES, require_user
from queues.announcements import post_announcement
from queues.config import QueueSettings, queue_view, update_queue
from queues.models import Queue
from queues.supervision import force_agent_state, requeue_contact


def _list(services: Services) -> list[dict[str, Any]]:
    with services.db.session() as session:
        return [queue_view(q) for q in session.scalars(select(Queue).order_by(Queue.name))]


async def list_queues(request: Request) -> Response:
    user = await require_user(request)
    return JSONResponse(await run_in_threadpool(_list, request.app.state.services), viewer=user)


def _update(services: Services, name: str, changes: QueueSettings, actor: str) -> dict[str, Any] | None:
    with services.db.session() as session:
        queue = session.scalar(select(Queue).where(Queue.name == name))
        if queue is None:
            return None
        update_queue(session, services.routing, queue=queue, changes=changes, actor=actor)
        return queue_view(queue)


async def change_queue(request: Request) -> Response:
    user = await require_user(request, SUPERVISOR_ROLES)
    changes = parsed(QueueSettings, await request.body(), problem="Invalid queue settings")
    view = await run_in_threadpool(
        _update, request.app.state.services, request.path_params["name"], changes, f"user:{user.id}"
    )
    if view is None:
        raise NotFound("No such queue.")
    return JSONResponse(view, viewer=user)


async def contact_routing(request: Request) -> Response:
    user = await require_user(request, SUPERVISOR_ROLES)
    services: Services = request.app.state.services
    contact_id = str(path_id(request, "contact_id"))
    routing = await run_in_threadpool(services.routing.contact, contact_id)
    decisions = await run_in_threadpool(lambda: services.routing.explain(contact_id=contact_id))
    if not routing and not decisions:
        raise NotFound("Routing has no record of that contact (never queued, or expired).")
    return JSONResponse({"contact": contact_id, "state": routing.get("state"), "decisions": decisions}, viewer=user)


async def _supervise(request: Request, action: Any, **kwargs: Any) -> Response:
    user = await require_user(request, SUPERVISOR_ROLES)
    body = json_object(await request.body() or b"{}")
    try:
        fields = _fields(body, action)
    except ValueError as exc:
        raise Invalid(f"Bad request: {exc}") from exc
    target, services = fields.get("queue"), request.app.state.services
    if (
        target is not None
        and not reach(request).leads_queue(target)
        and target in await run_in_threadpool(every_queue, services)
    ):
        raise refusal(403, f"Queue {target!r} is not one your team serves: move callers only into your queues.")
    result = await run_in_threadpool(action, request.app.state.services, actor=f"user:{user.id}", **kwargs, **fields)
    return JSONResponse({"ok": True, "state": result}, viewer=user)


def _fields(body: dict[str, Any], action: Any) -> dict[str, Any]:
    if action is requeue_contact:
        priority = body.get("priority")
        if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 9:
            raise ValueError("priority must be a whole number from 0 to 9")
        queue = body.get("queue")
        if queue is not None and not isinstance(queue, str):
            raise ValueError("queue must be a queue name")
        return {"priority": priority, "queue": queue}
    return {"state": str(body.get("state", "")), "reason": str(body.get("reason", "supervisor"))}


async def requeue(request: Request) -> Response:
    return await _supervise(request, requeue_contact, contact_id=path_id(request, "contact_id"))


async def force_state(request: Request) -> Response:
    return await _supervise(request, force_agent_state, agent_id=path_id(request, "agent_id"))


async def queue_stats(request: Request) -> Response:
    user = await require_user(request, SUPERVISOR_ROLES)
    services: Services = request.app.state.services
    names = await run_in_threadpool(lambda: [q["name"] for q in _list(services)])
    wanted = request.path_params.get("name")
    if wanted is not None and wanted not in names:
        raise NotFound("No such queue.")
    scope = reach(request)
    chosen = [wanted] if wanted else [name for name in names if scope.leads_queue(name)]  # a team lead: their team's
    stats = await run_in_threadpool(lambda: [services.routing.queue_stats(queue=name) for name in chosen])
    return JSONResponse(stats[0] if wanted else stats, viewer=user)


routes = [
    route("/api/queues", list_queues, methods=["GET"], policy=LOGGED_IN),
    route("/api/queues/{name}", change_queue, methods=["PUT", "PATCH"], policy=SUPERVISE_QUEUE),
    route("/api/stats/queues", queue_stats, methods=["GET"], policy=SUPERVISE),
    route("/api/stats/queues/{name}", queue_stats, methods=["GET"], policy=SUPERVISE_QUEUE),
    route("/api/contacts/{contact_id:int}/routing", contact_routing, methods=["GET"], policy=SUPERVISE_CONTACT),
    route("/api/contacts/{contact_id:int}/requeue", requeue, methods=["POST"], policy=SUPERVISE_CONTACT),
    route("/api/agents/{agent_id:int}/state", force_state, methods=["POST"], policy=SUPERVISE_AGENT),
    route("/api/announcements", post_announcement, methods=["POST"], policy=ANNOUNCE),
]
