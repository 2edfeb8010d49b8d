"""Shifts' admin API (thin: the logic is contactcenter/users/shifts.py); the page is /admin/users."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from contactcenter.access import route
from contactcenter.context import Services
from contactcenter.errors import parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.users import shifts
from contactcenter.users.admin_routes import ADMIN, ADMIN_ROLES
from contactcenter.users.auth import require_user
from contactcenter.users.schemas import ShiftFor


def _listed(services: Services) -> list[dict[str, Any]]:
    with services.db.reading() as session:
        return shifts.list_shifts(session)


async def list_shifts(request: Request) -> Response:
    user = await require_user(request, ADMIN_ROLES)
    return JSONResponse(await run_in_threadpool(_listed, request.app.state.services), viewer=user)


def _set(services: Services, sent: ShiftFor, actor: str) -> dict[str, Any]:
    with services.db.session() as session:
        return shifts.set_shift(session, team=sent.team, user_id=sent.user_id, pattern=sent, actor=actor)


async def set_shift(request: Request) -> Response:
    user = await require_user(request, ADMIN_ROLES)
    sent = parsed(ShiftFor, await request.body())
    shift = await run_in_threadpool(_set, request.app.state.services, sent, f"user:{user.id}")
    return JSONResponse(shift, viewer=user)


def _deleted(services: Services, shift_id: int, actor: str) -> None:
    with services.db.session() as session:
        shifts.delete_shift(session, shift_id=shift_id, actor=actor)


async def delete_shift(request: Request) -> Response:
    user = await require_user(request, ADMIN_ROLES)
    shift_id = path_id(request, "shift_id")
    await run_in_threadpool(_deleted, request.app.state.services, shift_id, f"user:{user.id}")
    return JSONResponse({"ok": True})


routes = [
    route("/api/admin/shifts", list_shifts, methods=["GET"], policy=ADMIN),
    route("/api/admin/shifts", set_shift, methods=["PUT"], policy=ADMIN),
    route("/api/admin/shifts/{shift_id:int}", delete_shift, methods=["DELETE"], policy=ADMIN),
]
