"""The desk's own resources over HTTP (contract: tickets/api.yml): saved views, whom tickets may go to,
notifications, the SLA policies a manager edits, and the desk's pages (the list, a ticket, a customer's file,
the policies)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from contactcenter.access import Policy, reach, route
from contactcenter.access.rules import LOGGED_IN, STAFF_ROLES
from contactcenter.context import Services
from contactcenter.errors import Invalid, NotFound, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.tickets import desk, policies, schemas
from contactcenter.tickets.lifecycle import LIFECYCLES, STATE_LABELS, category_label
from contactcenter.tickets.models import Notification
from contactcenter.tickets.notifier import notification_view
from contactcenter.timeutil import utcnow
from contactcenter.users.teams import EVERYONE_ROLES

STATIC = Path(__file__).resolve().parent / "static"
DESK_PAGE = Policy("user", STAFF_ROLES, page=True, note="agents, team leads, managers, admins (a page)")
DESK = Policy("user", STAFF_ROLES, note="their own")
POLICIES_READ = Policy("user", STAFF_ROLES, note="agents, team leads, managers, admins")
POLICIES_EDIT = Policy("user", EVERYONE_ROLES, forbidden="SLA policies are for managers", note="managers, admins")
POLICIES_PAGE = Policy("user", EVERYONE_ROLES, page=True, note="managers, admins (a page)")
MAX_NOTIFICATIONS = 100


async def desk_page(request: Request) -> Response:
    return FileResponse(STATIC / "desk.html")


async def ticket_page(request: Request) -> Response:
    return FileResponse(STATIC / "ticket.html")


async def customer_page(request: Request) -> Response:
    return FileResponse(STATIC / "customer.html")


async def policies_page(request: Request) -> Response:
    return FileResponse(STATIC / "policies.html")


async def desk_options(request: Request) -> Response:
    """What the desk's forms offer: views, statuses, categories, lifecycles, people, saved views."""
    user, scope = reach(request).user, reach(request)
    services: Services = request.app.state.services

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            return {
                "views": list(desk.views_for(scope)),
                "statuses": [{"status": s.value, "zh": zh, "en": en} for s, (zh, en) in STATE_LABELS.items()],
                "categories": [
                    {"category": c, "zh": category_label(c), "en": category_label(c, "en")}
                    for c in services.settings.ticket_categories
                ],
                "lifecycles": {
                    c: {s.value: [t.value for t in moves] for s, moves in lc.moves.items()}
                    for c, lc in LIFECYCLES.items()
                },
                "people": desk.assignable(session, reach=scope),
                "saved_views": desk.saved_views(session, user_id=user.id),
                "timezone": services.settings.timezone,
                "me": {"id": user.id, "role": user.role},
            }

    return JSONResponse(await run_in_threadpool(read), viewer=user)


async def save_view(request: Request) -> Response:
    body = parsed(schemas.ViewToSave, await request.body())
    user = reach(request).user
    services: Services = request.app.state.services

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            return desk.save_view(session, user_id=user.id, name=body.name, filters=dict(body.filters))

    return JSONResponse(await run_in_threadpool(write), viewer=user)


async def delete_view(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    view_id = path_id(request, "view_id")

    def write() -> None:
        with services.db.session() as session:
            desk.delete_view(session, user_id=user.id, view_id=view_id)

    await run_in_threadpool(write)
    return JSONResponse({"deleted": view_id}, viewer=user)


async def my_notifications(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    unread = request.query_params.get("unread") == "1"

    def read() -> list[dict[str, Any]]:
        with services.db.reading() as session:
            query = select(Notification).where(Notification.user_id == user.id)
            if unread:
                query = query.where(Notification.read_at.is_(None))
            rows = session.scalars(query.order_by(Notification.id.desc()).limit(MAX_NOTIFICATIONS))
            return [notification_view(n) for n in rows]

    return JSONResponse({"notifications": await run_in_threadpool(read)}, viewer=user)


async def read_notification(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    notification_id = path_id(request, "notification_id")

    def write() -> None:
        with services.db.session() as session:
            done = session.execute(
                update(Notification)
                .where(Notification.id == notification_id, Notification.user_id == user.id)
                .values(read_at=utcnow())
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise NotFound("No such notification of yours.")

    await run_in_threadpool(write)
    return JSONResponse({"read": notification_id}, viewer=user)


def _policy_view(policy: policies.Policy) -> dict[str, Any]:
    target = policies.target_of(policy.target)
    return {
        "category": policy.category,
        "category_label": "所有类别 Every category"
        if policy.category == policies.ANY
        else f"{category_label(policy.category)} {category_label(policy.category, 'en')}",
        "target": policy.target,
        "target_label": " ".join(target.labels) + (f" L{policy.target.split(':')[1]}" if ":" in policy.target else ""),
        "minutes": policy.minutes,
        "calendar": policy.calendar,
        "warn_percent": policy.warn_percent,
        "enabled": policy.enabled,
        "version": policy.version,
    }


async def list_policies(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            current = policies.current_policies(session)
        calendars = services.flows.calendars
        return {
            "policies": [_policy_view(p) for _, p in sorted(current.items())],
            "calendars": calendars.names() if calendars else [],
            "targets": [*policies.TARGETS, *policies.LEVEL_TARGETS],
        }

    return JSONResponse(await run_in_threadpool(read), viewer=user)


async def change_policy(request: Request) -> Response:
    body = parsed(schemas.PolicyChange, await request.body())
    user = reach(request).user
    services: Services = request.app.state.services
    category, target = request.path_params["category"], request.path_params["target"]
    if category == policies.ANY and target not in policies.LEVEL_TARGETS:
        # A policy of every category would stand in for each category's own (policies_for), so only the
        # escalation levels, which no category has, are written for `*`.
        raise Invalid(
            f"Only the escalation levels ({', '.join(policies.LEVEL_TARGETS)}) have a policy for every category."
        )

    def write() -> dict[str, Any]:
        calendars = services.flows.calendars
        with services.db.session() as session:
            saved = policies.save_policy(
                session,
                category=category,
                target=target,
                minutes=body.minutes,
                calendar=body.calendar,
                warn_percent=body.warn_percent,
                enabled=body.enabled,
                actor=f"user:{user.id}",
                categories=tuple(services.settings.ticket_categories),
                calendars=calendars.names() if calendars else [],
            )
            policies.record_change(session, policy=saved, actor=f"user:{user.id}")
            return _policy_view(saved)

    return JSONResponse(await run_in_threadpool(write), viewer=user)


routes = [
    route("/desk", desk_page, methods=["GET"], policy=DESK_PAGE),
    route("/desk/tickets/{ticket_id:int}", ticket_page, methods=["GET"], policy=DESK_PAGE),
    route("/desk/customers/{customer_id:int}", customer_page, methods=["GET"], policy=DESK_PAGE),
    route("/desk/policies", policies_page, methods=["GET"], policy=POLICIES_PAGE),
    route("/api/desk", desk_options, methods=["GET"], policy=DESK),
    route("/api/desk/views", save_view, methods=["POST"], policy=DESK),
    route("/api/desk/views/{view_id:int}", delete_view, methods=["DELETE"], policy=DESK),
    route("/api/notifications", my_notifications, methods=["GET"], policy=LOGGED_IN),
    route("/api/notifications/{notification_id:int}/read", read_notification, methods=["POST"], policy=LOGGED_IN),
    route("/api/sla-policies", list_policies, methods=["GET"], policy=POLICIES_READ),
    route("/api/sla-policies/{category}/{target}", change_policy, methods=["PUT"], policy=POLICIES_EDIT),
]
