"""QA over HTTP (contract: qa/api.yml): scorecards and their versions, evaluations (draft, comments, submit),
the agent's side (acknowledge, dispute, retract), reviewers' decisions, and the pages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from contactcenter.access import Policy, Scope, reach, route
from contactcenter.audit.access import Action, audited
from contactcenter.context import Services
from contactcenter.errors import Invalid, parsed, path_id
from contactcenter.qa import disputes, evaluations, scorecards, views
from contactcenter.qa.access import check_qa_lead, is_qa_lead, readable
from contactcenter.qa.forms import BAND_LABELS, check_answers, score
from contactcenter.qa.models import Dispute, DisputeStatus, Evaluation, EvaluationKind, EvaluationStatus, Scorecard
from contactcenter.qa.schemas import (
    Archive,
    Decision,
    Draft,
    DraftForm,
    NewComment,
    NewDispute,
    NewEvaluation,
    NewScorecard,
    Preview,
)
from contactcenter.responses import JSONResponse
from contactcenter.timeutil import iso
from contactcenter.users.auth import AGENT_ROLES, QA_ROLES, CurrentUser
from contactcenter.users.models import Role

STATIC = Path(__file__).resolve().parent / "static"
Result = TypeVar("Result")
BUILDERS = frozenset({Role.QA, Role.MANAGER, Role.ADMIN})
SCORECARDS = Policy("user", QA_ROLES, note="QA staff, team leads, managers, admins")
BUILD = Policy(
    "user",
    BUILDERS,
    forbidden="Scorecards are built by QA leads",
    note="QA leads (the handler checks), managers, admins",
)
EVALUATE = Policy("user", QA_ROLES, Scope("contact", "contact_id"), note="QA staff, team leads: a contact in scope")
EVALUATION = Policy("user", note="the evaluator, the agent, their team lead, reviewers, QA leads (qa/access.py)")
MINE = Policy("user", AGENT_ROLES, note="the agent's own evaluations")
REVIEWS = Policy("user", note="dispute rounds the user is to decide")
BUILDER_PAGE = Policy(
    "user",
    BUILDERS,
    page=True,
    page_text=("评分表由质检组长和经理维护。", "Scorecards are kept by QA leads and managers."),
    note="QA staff, managers, admins (a page)",
)
EVALUATION_PAGE = Policy("user", page=True, note="any logged-in user (a page; its data is checked by the API)")


async def _run(request: Request, work: Callable[[Services, CurrentUser], Result]) -> tuple[Result, CurrentUser]:
    user = reach(request).user
    services: Services = request.app.state.services
    return await run_in_threadpool(work, services, user), user


def _writing(work: Callable[[Session, Services, CurrentUser], Result]) -> Callable[[Services, CurrentUser], Result]:
    def run(services: Services, user: CurrentUser) -> Result:
        with services.db.session() as session:
            return work(session, services, user)

    return run


def _version(session: Session, version_id: int) -> dict[str, Any]:
    version = scorecards.get_version(session, version_id=version_id)
    return scorecards.version_view(version, session.get_one(Scorecard, version.scorecard_id))


# Scorecards


async def list_scorecards(request: Request) -> Response:
    found, user = await _run(request, _writing(lambda session, _s, _u: scorecards.listing(session)))
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

    made, user = await _run(request, _writing(write))
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

    found, user = await _run(request, _writing(read))
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

    saved, user = await _run(request, _writing(write))
    return JSONResponse(saved, viewer=user)


async def publish(request: Request) -> Response:
    scorecard_id = path_id(request, "scorecard_id")

    def write(session: Session, _: Services, user: CurrentUser) -> dict[str, Any]:
        check_qa_lead(user, "publish scorecards")
        return _version(session, scorecards.publish(session, scorecard_id=scorecard_id, actor_id=user.id).id)

    published, user = await _run(request, _writing(write))
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

    done, user = await _run(request, _writing(write))
    return JSONResponse(done, viewer=user)


async def get_version(request: Request) -> Response:
    version_id = path_id(request, "version_id")
    found, user = await _run(request, _writing(lambda session, _s, _u: _version(session, version_id)))
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

    found, user = await _run(request, _writing(compute))
    return JSONResponse(found, viewer=user)


# Evaluations


def _view(session: Session, services: Services, user: CurrentUser, evaluation: Evaluation) -> dict[str, Any]:
    return views.evaluation_view(session, evaluation=evaluation, viewer=user, settings=services.settings)


async def start_evaluation(request: Request) -> Response:
    body = parsed(NewEvaluation, await request.body() or b"{}")
    contact_id = path_id(request, "contact_id")

    def write(session: Session, services: Services, user: CurrentUser) -> dict[str, Any]:
        evaluation = evaluations.start(session, contact_id=contact_id, evaluator_id=user.id, version_id=body.version_id)
        return _view(session, services, user, evaluation)

    made, user = await _run(request, _writing(write))
    return JSONResponse(made, status_code=201, viewer=user)


async def get_evaluation(request: Request) -> Response:
    evaluation_id = path_id(request, "evaluation_id")

    def read(session: Session, services: Services, user: CurrentUser) -> dict[str, Any]:
        return _view(session, services, user, readable(session, user=user, evaluation_id=evaluation_id))

    found, user = await _run(request, _writing(read))
    if found["contact"]["channel"] == "chat":
        await audited(
            request,
            user,
            action=Action.READ,
            object_type="transcript",
            object_id=found["contact"]["id"],
            detail="evaluation",
        )
    return JSONResponse(found, viewer=user)


def _acting(
    request: Request, act: Callable[[Session, Services, CurrentUser, int], object]
) -> Callable[[Services, CurrentUser], dict[str, Any]]:
    """Do `act` on the evaluation the path names (the user must be able to read it), then show it."""
    evaluation_id = path_id(request, "evaluation_id")

    def run(session: Session, services: Services, user: CurrentUser) -> dict[str, Any]:
        readable(session, user=user, evaluation_id=evaluation_id)
        act(session, services, user, evaluation_id)
        session.flush()
        return _view(session, services, user, evaluations.get_evaluation(session, evaluation_id=evaluation_id))

    return _writing(run)


async def save_evaluation_draft(request: Request) -> Response:
    body = parsed(Draft, await request.body())
    done, user = await _run(
        request,
        _acting(
            request,
            lambda session, _s, user, ident: evaluations.save_draft(
                session, evaluation_id=ident, evaluator_id=user.id, answers=body.answers, summary=body.summary
            ),
        ),
    )
    return JSONResponse(done, viewer=user)


async def add_comment(request: Request) -> Response:
    body = parsed(NewComment, await request.body())
    done, user = await _run(
        request,
        _acting(
            request,
            lambda session, _s, user, ident: evaluations.add_comment(
                session,
                evaluation_id=ident,
                author_id=user.id,
                text=body.text,
                at_seconds=body.at_seconds,
                question=body.question,
            ),
        ),
    )
    return JSONResponse(done, status_code=201, viewer=user)


async def delete_comment(request: Request) -> Response:
    comment_id = path_id(request, "comment_id")
    done, user = await _run(
        request,
        _acting(
            request,
            lambda session, _s, user, ident: evaluations.delete_comment(
                session, evaluation_id=ident, comment_id=comment_id, author_id=user.id
            ),
        ),
    )
    return JSONResponse(done, viewer=user)


async def submit(request: Request) -> Response:
    done, user = await _run(
        request,
        _acting(
            request,
            lambda session, _s, user, ident: evaluations.submit(session, evaluation_id=ident, evaluator_id=user.id),
        ),
    )
    return JSONResponse(done, viewer=user)


async def acknowledge(request: Request) -> Response:
    done, user = await _run(
        request,
        _acting(
            request,
            lambda session, services, user, ident: evaluations.acknowledge(
                session, evaluation_id=ident, agent_id=user.id, days=services.settings.qa_acknowledge_days
            ),
        ),
    )
    return JSONResponse(done, viewer=user)


async def dispute(request: Request) -> Response:
    body = parsed(NewDispute, await request.body())
    done, user = await _run(
        request,
        _acting(
            request,
            lambda session, services, user, ident: disputes.raise_dispute(
                session,
                evaluation_id=ident,
                agent_id=user.id,
                comment=body.comment,
                proposed=body.proposed,
                days=services.settings.qa_dispute_days,
            ),
        ),
    )
    return JSONResponse(done, status_code=201, viewer=user)


async def decide(request: Request) -> Response:
    body = parsed(Decision, await request.body())
    done, user = await _run(
        request,
        _acting(
            request,
            lambda session, _s, user, ident: disputes.decide(
                session,
                evaluation_id=ident,
                reviewer_id=user.id,
                role=user.role,
                is_qa_lead=is_qa_lead(user),
                outcome=body.outcome,
                decision=body.decision,
                answers=body.answers,
            ),
        ),
    )
    return JSONResponse(done, viewer=user)


async def retract(request: Request) -> Response:
    done, user = await _run(
        request,
        _acting(
            request, lambda session, _s, user, ident: disputes.retract(session, evaluation_id=ident, agent_id=user.id)
        ),
    )
    return JSONResponse(done, viewer=user)


async def my_evaluations(request: Request) -> Response:
    """The agent's own submitted evaluations, newest first (never drafts or calibrations)."""

    def read(session: Session, _: Services, user: CurrentUser) -> list[dict[str, Any]]:
        found = session.scalars(
            select(Evaluation)
            .where(
                Evaluation.agent_id == user.id,
                Evaluation.kind == EvaluationKind.REGULAR,
                Evaluation.status != EvaluationStatus.DRAFT,
            )
            .order_by(Evaluation.submitted_at.desc())
            .limit(100)
        ).all()
        return views.rows(session, list(found))

    found, user = await _run(request, _writing(read))
    return JSONResponse({"evaluations": found}, viewer=user)


async def my_reviews(request: Request) -> Response:
    """Dispute rounds in review for the user to decide (a QA lead also sees every last round)."""

    def read(session: Session, _: Services, user: CurrentUser) -> list[dict[str, Any]]:
        mine = Dispute.reviewer_id == user.id
        if is_qa_lead(user):
            mine = or_(mine, Dispute.round == disputes.ROUNDS)
        query = select(Evaluation).join(Dispute, Dispute.evaluation_id == Evaluation.id)
        found = session.scalars(
            query.where(Dispute.status == DisputeStatus.IN_REVIEW, mine).order_by(Dispute.created_at)
        ).all()
        return views.rows(session, list(found))

    found, user = await _run(request, _writing(read))
    return JSONResponse({"evaluations": found}, viewer=user)


async def builder_page(request: Request) -> Response:
    return FileResponse(STATIC / "scorecards.html")


async def evaluation_page(request: Request) -> Response:
    return FileResponse(STATIC / "evaluation.html")


EVAL = "/api/qa/evaluations/{evaluation_id:int}"
routes = [
    route("/qa/scorecards", builder_page, methods=["GET"], policy=BUILDER_PAGE),
    route("/qa/evaluations/{evaluation_id:int}", evaluation_page, methods=["GET"], policy=EVALUATION_PAGE),
    route("/api/qa/scorecards", list_scorecards, methods=["GET"], policy=SCORECARDS),
    route("/api/qa/scorecards", create_scorecard, methods=["POST"], policy=BUILD),
    route("/api/qa/scorecards/{scorecard_id:int}", get_scorecard, methods=["GET"], policy=SCORECARDS),
    route("/api/qa/scorecards/{scorecard_id:int}/draft", save_draft, methods=["PUT"], policy=BUILD),
    route("/api/qa/scorecards/{scorecard_id:int}/publish", publish, methods=["POST"], policy=BUILD),
    route("/api/qa/scorecards/{scorecard_id:int}/archive", archive, methods=["POST"], policy=BUILD),
    route("/api/qa/scorecard-versions/{version_id:int}", get_version, methods=["GET"], policy=SCORECARDS),
    route("/api/qa/scorecard-versions/{version_id:int}/preview", preview, methods=["POST"], policy=SCORECARDS),
    route("/api/qa/contacts/{contact_id:int}/evaluations", start_evaluation, methods=["POST"], policy=EVALUATE),
    route(EVAL, get_evaluation, methods=["GET"], policy=EVALUATION),
    route(EVAL + "/draft", save_evaluation_draft, methods=["PUT"], policy=EVALUATION),
    route(EVAL + "/comments", add_comment, methods=["POST"], policy=EVALUATION),
    route(EVAL + "/comments/{comment_id:int}", delete_comment, methods=["DELETE"], policy=EVALUATION),
    route(EVAL + "/submit", submit, methods=["POST"], policy=EVALUATION),
    route(EVAL + "/acknowledge", acknowledge, methods=["POST"], policy=MINE),
    route(EVAL + "/disputes", dispute, methods=["POST"], policy=MINE),
    route(EVAL + "/disputes/retract", retract, methods=["POST"], policy=MINE),
    route(EVAL + "/disputes/decision", decide, methods=["POST"], policy=REVIEWS),
    route("/api/agent/evaluations", my_evaluations, methods=["GET"], policy=MINE),
    route("/api/qa/reviews", my_reviews, methods=["GET"], policy=REVIEWS),
]
