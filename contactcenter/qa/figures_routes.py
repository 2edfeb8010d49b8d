"""QA figures over HTTP (contract: qa/figures_api.yml): the figures page and its data, the same as CSV and XLSX
(every export in the access log), the agent's own figures for the console, and coaching notes. QA staff,
managers and admins see everyone's; a team lead their team's agents; an agent only their own."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from contactcenter.access import Policy, Scope, reach, route
from contactcenter.access.scopes import Reach
from contactcenter.audit.access import Action, audited
from contactcenter.context import Services
from contactcenter.errors import Forbidden, Invalid, parsed, path_id
from contactcenter.qa import coaching, figures_export
from contactcenter.qa.figures import CHANNELS, MAX_DAY_BUCKETS, Filters, Period, figures, own_figures, period_of
from contactcenter.qa.models import Scorecard
from contactcenter.responses import JSONResponse
from contactcenter.timeutil import utcnow
from contactcenter.users.auth import AGENT_ROLES, QA_ROLES
from contactcenter.users.models import Role, User
from contactcenter.users.teams import AGENT_LIKE_ROLES
from queues.models import Queue

STATIC = Path(__file__).resolve().parent.parent / "tickets" / "static"  # the desk's look, served at /static/desk
FIGURES = Policy("user", QA_ROLES, note="QA staff, managers, admins: everyone; team leads: their team")
PAGE = Policy(
    "user",
    QA_ROLES,
    page=True,
    page_text=(
        "质检数据页面只供质检、组长和经理使用。",
        "The QA figures page is for QA staff, team leads and managers.",
    ),
    note="QA staff, team leads, managers, admins (a page)",
)
OWN = Policy("user", AGENT_ROLES, note="the agent's own QA figures and coaching notes")
COACHING = Policy("user", QA_ROLES, Scope("agent", "agent_id"), note="an agent of the team lead's team (QA: any)")
WRITERS = "Coaching notes are written by QA leads, the agent's team lead and managers"
MAX_ID = 2**31 - 1


class NewNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=coaching.MAX_TEXT)]
    evaluation_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


def _day(request: Request, name: str, default: date) -> date:
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(f"{name}: a day like 2026-12-01.") from exc


def _number(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) > MAX_ID:
        raise Invalid(f"{name}: an id (a whole number).")
    return int(value)


def _period(request: Request, services: Services) -> tuple[Period, str]:
    """The period asked for (default: this month so far, the hotline's) and its trend's bucket."""
    last = _day(request, "to", utcnow().astimezone(ZoneInfo(services.settings.timezone)).date())
    period = period_of(first=_day(request, "from", last.replace(day=1)), last=last, timezone=services.settings.timezone)
    days = (period.last - period.first).days + 1
    bucket = request.query_params.get("bucket") or ("day" if days <= 31 else "week")
    if bucket == "day" and days > MAX_DAY_BUCKETS:
        bucket = "week"  # a long period asked by day: the chart stays readable
    return period, bucket


def _filters(request: Request, scope: Reach) -> Filters:
    """The filters asked for, narrowed to a team lead's team (another team or agent refused 403)."""
    params = request.query_params
    channel = params.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        raise Invalid(f"channel: one of {', '.join(CHANNELS)}.")
    team, agent_id = params.get("team") or None, _number(request, "agent")
    agents = None
    if not scope.everything and not scope.recorded:  # a team lead (QA staff see every team)
        if team is not None and team != scope.user.team:
            raise Forbidden(f"Team {team} is not yours ({scope.user.team or 'none'}); team leads see their own.")
        if agent_id is not None and agent_id not in scope.agents:
            raise Forbidden(f"Agent {agent_id} is not of your team; team leads see their own team's figures.")
        agents = scope.agents
    return Filters(
        queue=params.get("queue") or None,
        team=team,
        agent_id=agent_id,
        channel=channel,
        scorecard_id=_number(request, "scorecard"),
        agents=agents,
    )


async def _figures(request: Request) -> dict[str, Any]:
    scope = reach(request)
    services: Services = request.app.state.services
    period, bucket = _period(request, services)
    filters = _filters(request, scope)
    group = request.query_params.get("group") or "agent"

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            return figures(session, period=period, group=group, filters=filters, bucket=bucket)

    result = await run_in_threadpool(read)
    result["filters"] = filters.as_text()
    return result


async def figures_page(request: Request) -> Response:
    """The figures page: its data from the API below."""
    return FileResponse(STATIC / "qa-figures.html")


async def get_figures(request: Request) -> Response:
    return JSONResponse(await _figures(request), viewer=reach(request).user)


def _language(request: Request) -> str | None:
    lang = request.query_params.get("lang") or None
    if lang not in (None, "zh", "en"):
        raise Invalid("lang: zh or en (none: both).")
    return lang


def _file_name(result: dict[str, Any], suffix: str) -> str:
    period = result["period"]
    return f"qa-figures-{result['group']}-{period['from']}-{period['to']}.{suffix}"


async def _export(request: Request, suffix: str) -> Response:
    lang = _language(request)
    result = await _figures(request)
    user = reach(request).user
    detail = f"{result['period']['from']}..{result['period']['to']} group={result['group']} {result['filters']}"
    await audited(request, user, action=Action.EXPORT, object_type="qa_figures", detail=detail.strip())
    if suffix == "csv":
        body, media = figures_export.csv_bytes(result, lang), "text/csv; charset=utf-8"
    else:
        body = await run_in_threadpool(figures_export.xlsx_bytes, result, lang)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    headers = {
        "Content-Disposition": f'attachment; filename="{_file_name(result, suffix)}"',
        "Cache-Control": "no-store",
    }
    return Response(body, media_type=media, headers=headers)


async def export_csv(request: Request) -> Response:
    return await _export(request, "csv")


async def export_xlsx(request: Request) -> Response:
    return await _export(request, "xlsx")


async def figure_options(request: Request) -> Response:
    """What the page's filters offer: the agents and teams the viewer sees, the queues, the scorecards."""
    scope = reach(request)
    services: Services = request.app.state.services

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            people = select(User.id, User.display_name, User.team).where(User.role.in_(list(AGENT_LIKE_ROLES)))
            if not scope.everything and not scope.recorded:
                people = people.where(User.id.in_(sorted(scope.agents)))
            agents = [{"id": p.id, "name": p.display_name, "team": p.team} for p in session.execute(people)]
            queues = session.execute(select(Queue.name, Queue.display_name).order_by(Queue.name))
            cards = session.execute(select(Scorecard.id, Scorecard.name).order_by(Scorecard.name))
            return {
                "me": {"id": scope.user.id, "name": scope.user.display_name, "role": scope.user.role},
                "timezone": services.settings.timezone,
                "agents": sorted(agents, key=lambda a: a["name"]),
                "teams": sorted({a["team"] for a in agents if a["team"]}),
                "queues": [{"name": q.name, "display_name": q.display_name or q.name} for q in queues],
                "scorecards": [{"id": c.id, "name": c.name} for c in cards],
                "may_coach": _may_coach(scope),
            }

    return JSONResponse(await run_in_threadpool(read), viewer=scope.user)


def _may_coach(scope: Reach) -> bool:
    role = scope.user.role
    return role in (Role.SUPERVISOR, Role.MANAGER, Role.ADMIN) or (role == Role.QA and scope.user.qa_lead)


async def my_figures(request: Request) -> Response:
    """The agent's own figures for the console: totals, trend, weakest questions, the coaching notes about them."""
    user = reach(request).user
    services: Services = request.app.state.services
    period, bucket = _period(request, services)

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            found = own_figures(session, agent_id=user.id, period=period, bucket=bucket)
            return {**found, "coaching_notes": coaching.notes_of(session, agent_id=user.id, limit=50)}

    return JSONResponse(await run_in_threadpool(read), viewer=user)


async def list_notes(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    agent_id = path_id(request, "agent_id")

    def read() -> list[dict[str, Any]]:
        with services.db.reading() as session:
            return coaching.notes_of(session, agent_id=agent_id)

    return JSONResponse({"notes": await run_in_threadpool(read)}, viewer=user)


async def add_note(request: Request) -> Response:
    scope = reach(request)
    if not _may_coach(scope):
        raise Forbidden(f"{WRITERS}; your role ({scope.user.role}) may read them.")
    body = parsed(NewNote, await request.body())
    services: Services = request.app.state.services
    agent_id = path_id(request, "agent_id")

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            note = coaching.add_note(
                session, agent_id=agent_id, author_id=scope.user.id, text=body.text, evaluation_id=body.evaluation_id
            )
            return coaching.note_view(note, scope.user.display_name)

    return JSONResponse(await run_in_threadpool(write), status_code=201, viewer=scope.user)


routes = [
    route("/qa/figures", figures_page, methods=["GET"], policy=PAGE),
    route("/api/qa/figures", get_figures, methods=["GET"], policy=FIGURES),
    route("/api/qa/figures.csv", export_csv, methods=["GET"], policy=FIGURES),
    route("/api/qa/figures.xlsx", export_xlsx, methods=["GET"], policy=FIGURES),
    route("/api/qa/figures/options", figure_options, methods=["GET"], policy=FIGURES),
    route("/api/qa/my-figures", my_figures, methods=["GET"], policy=OWN),
    route("/api/qa/agents/{agent_id:int}/coaching-notes", list_notes, methods=["GET"], policy=COACHING),
    route("/api/qa/agents/{agent_id:int}/coaching-notes", add_note, methods=["POST"], policy=COACHING),
]
