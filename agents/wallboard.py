"""The supervisor wallboard: its page and JSON endpoints, and listening in to calls from it (thin: the
logic is agents/supervisor_service.py and agents/monitoring.py, the figures over time queues/history.py).
Live changes reach the page over agents/wallboard_ws.py."""

from __future__ import annotations

from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from agents import monitoring, supervisor_service
from agents.schemas import Monitor
from contactcenter.access import Policy, Scope, route
from contactcenter.access.rules import WALLBOARD, WALLBOARD_AGENT
from contactcenter.context import Services
from contactcenter.errors import Invalid, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import MONITOR_ROLES, WALLBOARD_ROLES, require_user
from queues import history

STATIC = Path(__file__).resolve().parent / "static"
WALLBOARD_PAGE = Policy(
    "user",
    WALLBOARD_ROLES,
    page=True,
    page_text=(
        "监控大屏仅限组长、主管、经理、管理员和质检。",
        "The wallboard is for supervisors, managers, admins and QA staff.",
    ),
    note="team leads, managers, admins, QA (a page)",
)
# Listening in: team leads (their team's calls) and QA staff; agents/monitoring.py checks the call.
MONITOR = Policy(
    "user",
    MONITOR_ROLES,
    Scope("contact", by_service="a live call (of the team lead's team): agents/monitoring.py"),
    forbidden="Listening in to calls is for team leads and QA staff",
    note="a live call of their team (QA: any)",
)


async def wallboard_page(request: Request) -> Response:
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
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= history.MAX_HOURS:  # "²" is a digit too
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
    route("/wallboard", wallboard_page, methods=["GET"], policy=WALLBOARD_PAGE),
    route("/api/wallboard", floor, methods=["GET"], policy=WALLBOARD),
    route("/api/wallboard/agents", agents, methods=["GET"], policy=WALLBOARD),
    route("/api/wallboard/agents/{agent_id:int}", agent, methods=["GET"], policy=WALLBOARD_AGENT),
    # Before queues/routes.py's /api/stats/queues/{name}, which would take "history" for a queue's name.
    route("/api/stats/queues/history", queue_history, methods=["GET"], policy=WALLBOARD),
    route("/api/supervision/contacts/{contact_id:int}/monitor", monitor, methods=["POST"], policy=MONITOR),
    route("/api/supervision/contacts/{contact_id:int}/monitor", stop_monitoring, methods=["DELETE"], policy=MONITOR),
]
