"""The supervisor wallboard: its page and JSON endpoints (thin: the logic is agents/supervisor_service.py,
the figures over time queues/history.py). Live changes reach the page over agents/wallboard_ws.py."""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from agents import supervisor_service
from contactcenter.context import Services
from contactcenter.errors import Invalid, path_id
from contactcenter.users.auth import SUPERVISOR_ROLES, current_user, require_user
from queues import history

STATIC = Path(__file__).resolve().parent / "static"
FORBIDDEN_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>无权访问 Not allowed</title><link rel="stylesheet" href="/static/agents/wallboard.css"></head>
<body class="wallboard forbidden"><main><h1>无权访问 Not allowed</h1>
<p>监控大屏仅限组长、主管、经理和管理员。您的角色:{role}。</p>
<p>The wallboard is for supervisors, managers and admins. Your role: {role}.</p>
<p><a href="/">返回 Back</a> · <a href="/logout">切换账号 Log in as someone else</a></p></main></body></html>"""


async def wallboard_page(request: Request) -> Response:
    user = await current_user(request)
    if user is None:
        return RedirectResponse("/login?next=/wallboard", status_code=303)
    if user.role not in SUPERVISOR_ROLES:
        return HTMLResponse(FORBIDDEN_PAGE.format(role=escape(user.role)), status_code=403)
    return FileResponse(STATIC / "wallboard.html")


async def floor(request: Request) -> Response:
    viewer = await require_user(request, SUPERVISOR_ROLES)
    return JSONResponse(await run_in_threadpool(supervisor_service.floor_snapshot, request.app.state.services, viewer))


async def agents(request: Request) -> Response:
    viewer = await require_user(request, SUPERVISOR_ROLES)
    team = request.query_params.get("team") or None
    rows = await run_in_threadpool(supervisor_service.list_agents, request.app.state.services, viewer, team)
    return JSONResponse(rows)


async def agent(request: Request) -> Response:
    viewer = await require_user(request, SUPERVISOR_ROLES)
    agent_id = path_id(request, "agent_id")
    row = await run_in_threadpool(supervisor_service.agent_detail, request.app.state.services, viewer, agent_id)
    return JSONResponse(row)


async def queue_history(request: Request) -> Response:
    viewer = await require_user(request, SUPERVISOR_ROLES)
    raw = request.query_params.get("hours", "3")
    if not raw.isdigit() or not 1 <= int(raw) <= history.MAX_HOURS:
        raise Invalid(f"hours must be a whole number from 1 to {history.MAX_HOURS} (got {raw!r}).")
    services: Services = request.app.state.services
    scope = await run_in_threadpool(supervisor_service.scope_of, services, viewer)
    found = await run_in_threadpool(history.history, services.routing, list(scope.queues), int(raw))
    return JSONResponse(found)


routes = [
    Route("/wallboard", wallboard_page, methods=["GET"]),
    Route("/api/wallboard", floor, methods=["GET"]),
    Route("/api/wallboard/agents", agents, methods=["GET"]),
    Route("/api/wallboard/agents/{agent_id:int}", agent, methods=["GET"]),
    # Before queues/routes.py's /api/stats/queues/{name}, which would take "history" for a queue's name.
    Route("/api/stats/queues/history", queue_history, methods=["GET"]),
]
