"""The supervisor wallboard: its page and JSON endpoints, and listening in to calls from it (thin: the
logic is agents/supervisor_service.py and agents/monitoring.py, the figures over time queues/history.py).
Live changes reach the page over agents/wallboard_ws.py."""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from agents import monitoring, supervisor_service
from agents.schemas import Monitor
from contactcenter.context import Services
from contactcenter.errors import Invalid, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import WALLBOARD_ROLES, current_user, require_user
from queues import history

STATIC = Path(__file__).resolve().parent / "static"
FORBIDDEN_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>无权访问 Not allowed</title><link rel="stylesheet" href="/static/agents/wallboard.css"></head>
<body class="wallboard forbidden"><main><h1>无权访问 Not allowed</h1>
<p>监控大屏仅限组长、主管、经理、管理员和质检。您的角色:{role}。</p>
<p>The wallboard is for supervisors, managers, admins and QA staff. Your role: {role}.</p>
<p><a href="/">返回 Back</a> · <a href="/logout">切换账号 Log in as someone else</a></p></main></body></html>"""


async def wallboard_page(request: Request) -> Response:
    user = await current_user(request)
    if user is None:
        return RedirectResponse("/login?next=/wallboard", status_code=303)
    if user.role not in WALLBOARD_ROLES:
        return HTMLResponse(FORBIDDEN_PAGE.format(role=escape(user.role)), status_code=403)
    return FileResponse(STATIC / "wallboard.html")


async def floor(request: Request) -> Response:
    viewer = await require_user(request, WALLBOARD_ROLES)
    snapshot = await run_in_threadpool(supervisor_service.floor_snapshot, request.app.state.services, viewer)
    return JSONResponse(snapshot, viewer=viewer)


async def agents(request: Request) -> Response:
    viewer = await require_user(request, WALLBOARD_ROLES)
    team = request.query_params.get("team") or None
    rows = await run_in_threadpool(supervisor_service.list_agents, request.app.state.services, viewer, team)
    return JSONResponse(rows, viewer=viewer)


async def agent(request: Request) -> Response:
    viewer = await require_user(request, WALLBOARD_ROLES)
    agent_id = path_id(request, "agent_id")
    row = await run_in_threadpool(supervisor_service.agent_detail, request.app.state.services, viewer, agent_id)
    return JSONResponse(row, viewer=viewer)


async def queue_history(request: Request) -> Response:
    viewer = await require_user(request, WALLBOARD_ROLES)
    raw = request.query_params.get("hours", "3")
    if not raw.isdigit() or not 1 <= int(raw) <= history.MAX_HOURS:
        raise Invalid(f"hours must be a whole number from 1 to {history.MAX_HOURS} (got {raw!r}).")
    services: Services = request.app.state.services
    scope = await run_in_threadpool(supervisor_service.scope_of, services, viewer)
    found = await run_in_threadpool(history.history, services.routing, list(scope.queues), int(raw))
    return JSONResponse(found, viewer=viewer)


async def monitor(request: Request) -> Response:
    """Listen in to a live call, whisper to its agent or barge in; or switch between these."""
    viewer = await require_user(request)  # the service says who may (agents/monitoring.py)
    mode = parsed(Monitor, await request.body(), problem='Send {"mode": "listen"}, "whisper" or "barge"').mode
    contact_id = path_id(request, "contact_id")
    done = await run_in_threadpool(
        monitoring.monitor, request.app.state.services, viewer=viewer, contact_id=contact_id, mode=mode
    )
    return JSONResponse({"ok": True, **done}, viewer=viewer)


async def stop_monitoring(request: Request) -> Response:
    viewer = await require_user(request)
    contact_id = path_id(request, "contact_id")
    done = await run_in_threadpool(monitoring.leave, request.app.state.services, viewer=viewer, contact_id=contact_id)
    return JSONResponse({"ok": True, "state": done}, viewer=viewer)


routes = [
    Route("/wallboard", wallboard_page, methods=["GET"]),
    Route("/api/wallboard", floor, methods=["GET"]),
    Route("/api/wallboard/agents", agents, methods=["GET"]),
    Route("/api/wallboard/agents/{agent_id:int}", agent, methods=["GET"]),
    # Before queues/routes.py's /api/stats/queues/{name}, which would take "history" for a queue's name.
    Route("/api/stats/queues/history", queue_history, methods=["GET"]),
    Route("/api/supervision/contacts/{contact_id:int}/monitor", monitor, methods=["POST"]),
    Route("/api/supervision/contacts/{contact_id:int}/monitor", stop_monitoring, methods=["DELETE"]),
]
