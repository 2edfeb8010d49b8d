"""Retention and legal hold over HTTP (contract: retention/api.yml), for managers and admins: the page, the
policies with what will go when, the holds (placed, released), the deletion receipts and their verification."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from contactcenter.access import Policy, reach, route
from contactcenter.context import Services
from contactcenter.errors import Invalid, parsed, path_id
from contactcenter.responses import JSONResponse
from contactcenter.retention import holds, overview, receipts
from contactcenter.users.models import Role

STATIC = Path(__file__).resolve().parent / "static"
ROLES = frozenset({Role.MANAGER, Role.ADMIN})
RETENTION = Policy("user", ROLES, note="managers, admins")
PAGE = Policy(
    "user",
    ROLES,
    page=True,
    page_text=("数据保留页面只供经理和管理员使用。", "The retention page is for managers and admins."),
    note="managers, admins (a page)",
)
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
MAX_SEQ = 2**62


class NewHold(BaseModel):
    model_config = ConfigDict(extra="forbid")

    case_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    reason: Text
    scope: Literal["customer", "ticket", "agent", "dates"]
    subject_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    date_from: date | None = None  # the first day covered, in the hotline's time zone
    date_to: date | None = None  # the last day covered


class Release(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text


def _day_bounds(services: Services, first: date | None, last: date | None) -> tuple[datetime | None, datetime | None]:
    """The hotline's days as instants: from the first day's midnight to the last day's end."""
    zone = ZoneInfo(services.settings.timezone)
    start = datetime.combine(first, time(0), tzinfo=zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone) - timedelta(microseconds=1) if last else None
    return start, end


def _seq(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SEQ:
        raise Invalid(f"{name} is a receipt's number (1 or more).")
    return int(raw)


async def retention_page(request: Request) -> Response:
    """The managers' page: its data from the API below."""
    return FileResponse(STATIC / "retention.html")


async def get_overview(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            return {
                **overview.overview(session, services.settings),
                "holds": holds.listing(session, released=False),
                "receipts": receipts.page(session, before=None, limit=50),
            }

    return JSONResponse(await run_in_threadpool(read), viewer=user)


async def list_marks(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    data_class = request.query_params.get("class") or None
    if data_class is not None and len(data_class) > 32:
        raise Invalid("class is a data class's name.")

    def read() -> list[dict[str, Any]]:
        with services.db.reading() as session:
            return overview.upcoming(session, data_class=data_class, limit=500)

    return JSONResponse({"marks": await run_in_threadpool(read)}, viewer=user)


async def list_receipts(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    before = _seq(request, "before")

    def read() -> list[dict[str, Any]]:
        with services.db.reading() as session:
            return receipts.page(session, before=before, limit=100)

    found = await run_in_threadpool(read)
    older = found[-1]["seq"] if len(found) == 100 and found[-1]["seq"] > 1 else None
    return JSONResponse({"receipts": found, "older": older}, viewer=user)


async def verify_receipts(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services

    def read() -> dict[str, Any]:
        with services.db.reading() as session:
            verdict = receipts.verify(session)
        return {
            "intact": verdict.broken is None,
            "count": verdict.count,
            "head": verdict.head,
            "broken": verdict.broken,
            "problem": verdict.problem,
        }

    return JSONResponse(await run_in_threadpool(read), viewer=user)


async def list_holds(request: Request) -> Response:
    user = reach(request).user
    services: Services = request.app.state.services
    released = request.query_params.get("released") == "1"

    def read() -> list[dict[str, Any]]:
        with services.db.reading() as session:
            return holds.listing(session, released=released)

    return JSONResponse({"holds": await run_in_threadpool(read)}, viewer=user)


async def place_hold(request: Request) -> Response:
    body = parsed(NewHold, await request.body())
    user = reach(request).user
    services: Services = request.app.state.services
    start, end = _day_bounds(services, body.date_from, body.date_to)

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            hold = holds.place(
                session,
                case_number=body.case_number,
                reason=body.reason,
                scope=body.scope,
                subject_id=body.subject_id,
                date_from=start,
                date_to=end,
                by=user.id,
            )
            return holds.view(hold, {user.id: user.display_name})

    return JSONResponse(await run_in_threadpool(write), status_code=201, viewer=user)


async def release_hold(request: Request) -> Response:
    body = parsed(Release, await request.body())
    user = reach(request).user
    services: Services = request.app.state.services
    hold_id = path_id(request, "hold_id")

    def write() -> dict[str, Any]:
        with services.db.session() as session:
            hold = holds.release(session, hold_id=hold_id, reason=body.reason, by=user.id)
            return holds.view(hold, {user.id: user.display_name})

    return JSONResponse(await run_in_threadpool(write), viewer=user)


routes = [
    route("/retention", retention_page, methods=["GET"], policy=PAGE),
    route("/api/retention", get_overview, methods=["GET"], policy=RETENTION),
    route("/api/retention/marks", list_marks, methods=["GET"], policy=RETENTION),
    route("/api/retention/receipts", list_receipts, methods=["GET"], policy=RETENTION),
    route("/api/retention/receipts/verify", verify_receipts, methods=["GET"], policy=RETENTION),
    route("/api/retention/holds", list_holds, methods=["GET"], policy=RETENTION),
    route("/api/retention/holds", place_hold, methods=["POST"], policy=RETENTION),
    route("/api/retention/holds/{hold_id:int}/release", release_hold, methods=["POST"], policy=RETENTION),
]
