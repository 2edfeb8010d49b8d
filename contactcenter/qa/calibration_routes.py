"""Calibration over HTTP (contract: qa/api.yml): a QA lead runs one on a contact in their reach; the page shows
the people and, once all have scored, the comparison."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from contactcenter.access import Policy, reach, route
from contactcenter.access.scopes import outside
from contactcenter.context import Services
from contactcenter.errors import Forbidden, NotFound, parsed, path_id
from contactcenter.qa import calibration
from contactcenter.qa.access import check_qa_lead, is_qa_lead
from contactcenter.qa.http import STATIC, run, writing
from contactcenter.qa.schemas import NewCalibration
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import QA_ROLES, CurrentUser
from contactcenter.users.teams import EVERYONE_ROLES

CALIBRATIONS = Policy("user", QA_ROLES, note="QA staff, team leads, managers, admins (QA leads run them)")
PAGE = Policy(
    "user",
    QA_ROLES,
    page=True,
    page_text=("校准只供质检、组长和经理使用。", "Calibration is for QA staff, team leads and managers."),
    note="QA staff, team leads, managers, admins (a page)",
)


def _may_see(session: Session, user: CurrentUser, found: Any) -> None:
    runs = found.created_by == user.id or user.role in EVERYONE_ROLES
    takes_part = user.id in found.evaluator_ids or user.id == found.expert_id
    if not (runs or takes_part):
        raise NotFound(f"No calibration {found.id} that you may see.")


async def create(request: Request) -> Response:
    body = parsed(NewCalibration, await request.body())
    seen = reach(request)

    def write(session: Session, services: Services, user: CurrentUser) -> dict[str, Any]:
        check_qa_lead(user, "run calibrations")
        with services.db.reader.connect() as connection:
            if outside(services, connection, seen, "contact", str(body.contact_id)):
                raise NotFound(f"No contact {body.contact_id} that you may see.")
        made = calibration.create(
            session,
            name=body.name,
            contact_id=body.contact_id,
            evaluator_ids=body.evaluator_ids,
            expert_id=body.expert_id,
            threshold=body.threshold or services.settings.qa_calibration_points,
            actor_id=user.id,
            version_id=body.version_id,
        )
        return calibration.comparison(session, calibration=made)

    made, user = await run(request, writing(write))
    return JSONResponse(made, status_code=201, viewer=user)


async def listing(request: Request) -> Response:
    def read(session: Session, _: Services, user: CurrentUser) -> list[dict[str, Any]]:
        found = calibration.involving(session, user_id=user.id, sees_all=user.role in EVERYONE_ROLES)
        return [calibration.comparison(session, calibration=c) for c in found]

    found, user = await run(request, writing(read))
    return JSONResponse({"calibrations": found, "may_run": is_qa_lead(user)}, viewer=user)


async def one(request: Request) -> Response:
    calibration_id = path_id(request, "calibration_id")

    def read(session: Session, _: Services, user: CurrentUser) -> dict[str, Any]:
        found = calibration.get_calibration(session, calibration_id=calibration_id)
        _may_see(session, user, found)
        return calibration.comparison(session, calibration=found)

    found, user = await run(request, writing(read))
    return JSONResponse(found, viewer=user)


async def close(request: Request) -> Response:
    calibration_id = path_id(request, "calibration_id")

    def write(session: Session, _: Services, user: CurrentUser) -> dict[str, Any]:
        found = calibration.get_calibration(session, calibration_id=calibration_id)
        _may_see(session, user, found)
        if found.created_by != user.id and user.role not in EVERYONE_ROLES:
            raise Forbidden("Only the lead who runs a calibration closes it.")
        return calibration.comparison(
            session, calibration=calibration.close(session, calibration_id=calibration_id, actor_id=user.id)
        )

    done, user = await run(request, writing(write))
    return JSONResponse(done, viewer=user)


async def page(request: Request) -> Response:
    return FileResponse(STATIC / "calibrations.html")


routes = [
    route("/qa/calibrations", page, methods=["GET"], policy=PAGE),
    route("/api/qa/calibrations", listing, methods=["GET"], policy=CALIBRATIONS),
    route("/api/qa/calibrations", create, methods=["POST"], policy=CALIBRATIONS),
    route("/api/qa/calibrations/{calibration_id:int}", one, methods=["GET"], policy=CALIBRATIONS),
    route("/api/qa/calibrations/{calibration_id:int}/close", close, methods=["POST"], policy=CALIBRATIONS),
]
