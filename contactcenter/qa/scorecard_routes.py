"""Scorecards over HTTP (contract: qa/api.yml): listed and read by QA staff and team leads; built, drafted,
rebalanced, published and archived by QA leads, managers and admins; a version's preview; the builder page."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from contactcenter.access import Policy, route
from contactcenter.context import Services
from contactcenter.errors import Invalid, parsed, path_id
from contactcenter.qa import scorecards, views
from contactcenter.qa.access import check_qa_lead
from contactcenter.qa.forms import BAND_LABELS, check_answers, score
from contactcenter.qa.http import STATIC, run, writing
from contactcenter.qa.models import Scorecard
from contactcenter.qa.schemas import Archive, DraftForm, NewScorecard, Preview
from contactcenter.responses import JSONResponse
from contactcenter.timeutil import iso
from contactcenter.users.auth import QA_ROLES, CurrentUser
from contactcenter.users.models import Role

BUILDERS = frozenset({Role.QA, Role.MANAGER, Role.ADMIN})
SCORECARDS = Policy("user", QA_ROLES, note="QA staff, team leads, managers, admins")
BUILD = Policy(
    "user",
    BUILDERS,
    forbidden="Scorecards are built by QA leads",
    note="QA leads (the handler checks), managers, admins",
)
BUILDER_PAGE = Policy(
    "user",
    BUILDERS,
    page=True,
    page_text=("评分表由质检组长和经理维护。", "Scorecards are kept by QA leads and managers."),
    note="QA staff, managers, admins (a page)",
)


def _version(session: Session, version_id: int) -> dict[str, Any]:
    version = scorecards.get_version(session, version_id=version_id)
    return scorecards.version_view(version, session.get_one(Scorecard, version.scorecard_id))


# Scorecards


async def list_scorecards(request: Request) -> Response:
    found, user = await run(request, writing(lambda session, _s, _u: scorecards.listing(session)))
    return JSONResponse({"scorecards": found}, viewer=user)


async def create_scorecard(request: Request) -> Response:
    body = parsed(NewScorecard, await request.body())

    def write(session: Session, _: Services, user: CurrentUser) -> dict[str, Any]:
        check_qa_lead(user, "build scorecards")
        form = scorecards.read_form(body.form)
        version = scorecards.create_scorecard(
            session, name=body.name, channel=body.channel, queue=body.queue, form=form, actor_id=user.id
        )
        return _version(session, version.id)

    made, user = await run(request, writing(write))
    return JSONResponse(made, status_code=201, viewer=user)


async def get_scorecard(request: Request) -> Response:
    scorecard_id = path_id(request, "scorecard_id")

    def read(session: Session, _: Services, __: CurrentUser) -> dict[str, Any]:
        scorecards.get_scorecard(session, scorecard_id=scorecard_id)
        versions = scorecards.versions_of(session, scorecard_id=scorecard_id)
        return {
            **_version(session, versions[0].id),
            "versions": [
                {"id": v.id, "number": v.number, "status": v.status, "published_at": iso(v.published_at)}
                for v in versions
            ],
        }

    found, user = await run(request, writing(read))
    return JSONResponse(found, viewer=user)


async def save_draft(request: Request) -> Response:
    body = parsed(DraftForm, await request.body())
    sent = body.model_fields_set
    scorecard_id = path_id(request, "scorecard_id")

    def write(session: Session, _: Services, user: CurrentUser) -> dict[str, Any]:
        check_qa_lead(user, "edit scorecards")
        version = scorecards.save_draft(
            session,
            scorecard_id=scorecard_id,
            form=scorecards.read_form(body.form),
            actor_id=user.id,
            balance=body.rebalance,
            name=body.name,
            channel=body.channel,
            queue=body.queue,
            where_given="channel" in sent or "queue" in sent,
        )
        return _version(session, version.id)

    saved, user = await run(request, writing(write))
    return JSONResponse(saved, viewer=user)


async def publish(request: Request) -> Response:
    scorecard_id = path_id(request, "scorecard_id")

    def write(session: Session, _: Services, user: CurrentUser) -> dict[str, Any]:
        check_qa_lead(user, "publish scorecards")
        return _version(session, scorecards.publish(session, scorecard_id=scorecard_id, actor_id=user.id).id)

    published, user = await run(request, writing(write))
    return JSONResponse(published, viewer=user)


async def archive(request: Request) -> Response:
    body = parsed(Archive, await request.body())
    scorecard_id = path_id(request, "scorecard_id")

    def write(session: Session, _: Services, user: CurrentUser) -> dict[str, Any]:
        check_qa_lead(user, "archive scorecards")
        scorecard = scorecards.set_archived(
            session, scorecard_id=scorecard_id, archived=body.archived, actor_id=user.id
        )
        return {"id": scorecard.id, "archived": scorecard.archived}

    done, user = await run(request, writing(write))
    return JSONResponse(done, viewer=user)


async def get_version(request: Request) -> Response:
    version_id = path_id(request, "version_id")
    found, user = await run(request, writing(lambda session, _s, _u: _version(session, version_id)))
    return JSONResponse(found, viewer=user)


async def preview(request: Request) -> Response:
    """What these answers would score on this version (the builder's preview; nothing is stored)."""
    body = parsed(Preview, await request.body())
    version_id = path_id(request, "version_id")

    def compute(session: Session, _: Services, __: CurrentUser) -> dict[str, Any]:
        form = scorecards.read_form(scorecards.get_version(session, version_id=version_id).form)
        problems = check_answers(form, body.answers, complete=False)
        if problems:
            raise Invalid("Some answers do not fit the scorecard: " + "; ".join(problems))
        result = score(form, body.answers)
        return {
            "score": result.score,
            "band": result.band,
            "band_label": views.labelled(BAND_LABELS, result.band),
            "critical_failed": result.critical_failed,
            "failed_questions": result.failed_questions,
            "sections": [{"id": s.id, "score": s.score, "failed": s.failed} for s in result.sections],
        }

    found, user = await run(request, writing(compute))
    return JSONResponse(found, viewer=user)


async def builder_page(request: Request) -> Response:
    return FileResponse(STATIC / "scorecards.html")


routes = [
    route("/qa/scorecards", builder_page, methods=["GET"], policy=BUILDER_PAGE),
    route("/api/qa/scorecards", list_scorecards, methods=["GET"], policy=SCORECARDS),
    route("/api/qa/scorecards", create_scorecard, methods=["POST"], policy=BUILD),
    route("/api/qa/scorecards/{scorecard_id:int}", get_scorecard, methods=["GET"], policy=SCORECARDS),
    route("/api/qa/scorecards/{scorecard_id:int}/draft", save_draft, methods=["PUT"], policy=BUILD),
    route("/api/qa/scorecards/{scorecard_id:int}/publish", publish, methods=["POST"], policy=BUILD),
    route("/api/qa/scorecards/{scorecard_id:int}/archive", archive, methods=["POST"], policy=BUILD),
    route("/api/qa/scorecard-versions/{version_id:int}", get_version, methods=["GET"], policy=SCORECARDS),
    route("/api/qa/scorecard-versions/{version_id:int}/preview", preview, methods=["POST"], policy=SCORECARDS),
]
