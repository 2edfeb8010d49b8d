"""Evaluations over HTTP (contract: qa/api.yml): drafts, comments, submission; the agent's side (acknowledge,
dispute, retract), reviewers' decisions, and the evaluation page. Scorecards: scorecard_routes.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from contactcenter.access import Policy, Scope, route
from contactcenter.audit.access import Action, audited
from contactcenter.context import Services
from contactcenter.errors import NotFound, parsed, path_id
from contactcenter.qa import disputes, evaluations, views
from contactcenter.qa.access import is_qa_lead, readable
from contactcenter.qa.http import STATIC, run, writing
from contactcenter.qa.models import Dispute, DisputeStatus, Evaluation, EvaluationKind, EvaluationStatus
from contactcenter.qa.schemas import (
    Decision,
    Draft,
    NewComment,
    NewDispute,
    NewEvaluation,
)
from contactcenter.responses import JSONResponse
from contactcenter.users.auth import AGENT_ROLES, QA_ROLES, CurrentUser
from recordings.models import Recording
from recordings.routes import serve_media, serve_peaks

EVALUATE = Policy("user", QA_ROLES, Scope("contact", "contact_id"), note="QA staff, team leads: a contact in scope")
EVALUATION = Policy("user", note="the evaluator, the agent, their team lead, reviewers, QA leads (qa/access.py)")
MINE = Policy("user", AGENT_ROLES, note="the agent's own evaluations")
REVIEWS = Policy("user", note="dispute rounds the user is to decide")
EVALUATION_PAGE = Policy("user", page=True, note="any logged-in user (a page; its data is checked by the API)")


# Evaluations


def _view(session: Session, services: Services, user: CurrentUser, evaluation: Evaluation) -> dict[str, Any]:
    return views.evaluation_view(session, evaluation=evaluation, viewer=user, settings=services.settings)


async def start_evaluation(request: Request) -> Response:
    body = parsed(NewEvaluation, await request.body() or b"{}")
    contact_id = path_id(request, "contact_id")

    def write(session: Session, services: Services, user: CurrentUser) -> dict[str, Any]:
        evaluation = evaluations.start(session, contact_id=contact_id, evaluator_id=user.id, version_id=body.version_id)
        return _view(session, services, user, evaluation)

    made, user = await run(request, writing(write))
    return JSONResponse(made, status_code=201, viewer=user)


async def get_evaluation(request: Request) -> Response:
    evaluation_id = path_id(request, "evaluation_id")

    def read(session: Session, services: Services, user: CurrentUser) -> dict[str, Any]:
        return _view(session, services, user, readable(session, user=user, evaluation_id=evaluation_id))

    found, user = await run(request, writing(read))
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

    return writing(run)


async def _act(
    request: Request, act: Callable[[Session, Services, CurrentUser, int], object], status_code: int = 200
) -> Response:
    """Do `act` on the evaluation the path names and answer it as it now stands."""
    done, user = await run(request, _acting(request, act))
    return JSONResponse(done, status_code=status_code, viewer=user)


async def save_evaluation_draft(request: Request) -> Response:
    body = parsed(Draft, await request.body())
    return await _act(
        request,
        lambda session, _s, user, ident: evaluations.save_draft(
            session, evaluation_id=ident, evaluator_id=user.id, answers=body.answers, summary=body.summary
        ),
    )


async def add_comment(request: Request) -> Response:
    body = parsed(NewComment, await request.body())
    return await _act(
        request,
        lambda session, _s, user, ident: evaluations.add_comment(
            session,
            evaluation_id=ident,
            author_id=user.id,
            text=body.text,
            at_seconds=body.at_seconds,
            question=body.question,
        ),
        status_code=201,
    )


async def delete_comment(request: Request) -> Response:
    comment_id = path_id(request, "comment_id")
    return await _act(
        request,
        lambda session, _s, user, ident: evaluations.delete_comment(
            session, evaluation_id=ident, comment_id=comment_id, author_id=user.id
        ),
    )


async def submit(request: Request) -> Response:
    return await _act(
        request, lambda session, _s, user, ident: evaluations.submit(session, evaluation_id=ident, evaluator_id=user.id)
    )


async def acknowledge(request: Request) -> Response:
    return await _act(
        request,
        lambda session, services, user, ident: evaluations.acknowledge(
            session, evaluation_id=ident, agent_id=user.id, days=services.settings.qa_acknowledge_days
        ),
    )


async def dispute(request: Request) -> Response:
    body = parsed(NewDispute, await request.body())
    return await _act(
        request,
        lambda session, services, user, ident: disputes.raise_dispute(
            session,
            evaluation_id=ident,
            agent_id=user.id,
            comment=body.comment,
            proposed=body.proposed,
            days=services.settings.qa_dispute_days,
        ),
        status_code=201,
    )


async def decide(request: Request) -> Response:
    body = parsed(Decision, await request.body())
    return await _act(
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
    )


async def retract(request: Request) -> Response:
    return await _act(
        request, lambda session, _s, user, ident: disputes.retract(session, evaluation_id=ident, agent_id=user.id)
    )


async def my_evaluations(request: Request) -> Response:
    """The agent's own submitted evaluations, newest first (never drafts or calibrations)."""

    def read(session: Session, services: Services, user: CurrentUser) -> list[dict[str, Any]]:
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
        return views.rows(session, list(found), services.settings.qa_acknowledge_days)

    found, user = await run(request, writing(read))
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

    found, user = await run(request, writing(read))
    return JSONResponse({"evaluations": found}, viewer=user)


def _recording_of(request: Request) -> Callable[[Services, CurrentUser], int]:
    """The recording the path names, if it is of the evaluation's contact and the user may read the evaluation."""
    evaluation_id, recording_id = path_id(request, "evaluation_id"), path_id(request, "recording_id")

    def check(session: Session, _: Services, user: CurrentUser) -> int:
        evaluation = readable(session, user=user, evaluation_id=evaluation_id)
        recording = session.get(Recording, recording_id)
        if recording is None or recording.contact_id != evaluation.contact_id:
            raise NotFound(f"No recording {recording_id} of evaluation {evaluation_id}.")
        return recording_id

    return writing(check)


async def evaluation_media(request: Request) -> Response:
    """The evaluated contact's recording, for whoever may read the evaluation (the agent hears their own call)."""
    recording_id, user = await run(request, _recording_of(request))
    return await serve_media(request, user, recording_id)


async def evaluation_peaks(request: Request) -> Response:
    recording_id, _ = await run(request, _recording_of(request))
    return await serve_peaks(request, recording_id)


async def evaluation_page(request: Request) -> Response:
    return FileResponse(STATIC / "evaluation.html")


EVAL = "/api/qa/evaluations/{evaluation_id:int}"
routes = [
    route("/qa/evaluations/{evaluation_id:int}", evaluation_page, methods=["GET"], policy=EVALUATION_PAGE),
    route("/api/qa/contacts/{contact_id:int}/evaluations", start_evaluation, methods=["POST"], policy=EVALUATE),
    route(EVAL, get_evaluation, methods=["GET"], policy=EVALUATION),
    route(EVAL + "/draft", save_evaluation_draft, methods=["PUT"], policy=EVALUATION),
    route(EVAL + "/comments", add_comment, methods=["POST"], policy=EVALUATION),
    route(EVAL + "/comments/{comment_id:int}", delete_comment, methods=["DELETE"], policy=EVALUATION),
    route(EVAL + "/submit", submit, methods=["POST"], policy=EVALUATION),
    route(EVAL + "/recordings/{recording_id:int}/media", evaluation_media, methods=["GET"], policy=EVALUATION),
    route(EVAL + "/recordings/{recording_id:int}/peaks", evaluation_peaks, methods=["GET"], policy=EVALUATION),
    route(EVAL + "/acknowledge", acknowledge, methods=["POST"], policy=MINE),
    route(EVAL + "/disputes", dispute, methods=["POST"], policy=MINE),
    route(EVAL + "/disputes/retract", retract, methods=["POST"], policy=MINE),
    route(EVAL + "/disputes/decision", decide, methods=["POST"], policy=REVIEWS),
    route("/api/agent/evaluations", my_evaluations, methods=["GET"], policy=MINE),
    route("/api/qa/reviews", my_reviews, methods=["GET"], policy=REVIEWS),
]
