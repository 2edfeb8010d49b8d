"""Evaluations: a draft the evaluator saves as they go (answers, a summary, comments at moments of the
recording), submitted once complete (scored by the form's rules, qa/forms.py), then acknowledged by the agent.
A submitted score is never edited: each change (a dispute's outcome, qa/disputes.py) is a new revision."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.contacts.models import Contact
from contactcenter.errors import Conflict, Forbidden, Invalid, NotFound
from contactcenter.qa.figures_models import record_answers
from contactcenter.qa.forms import Score, check_answers, score
from contactcenter.qa.models import (
    Evaluation,
    EvaluationComment,
    EvaluationKind,
    EvaluationRevision,
    EvaluationStatus,
    ScorecardVersion,
    VersionStatus,
)
from contactcenter.qa.scorecards import get_version, published_for, read_form
from contactcenter.tickets.models import Notification
from contactcenter.timeutil import as_utc, utcnow

MAX_COMMENT = 2000
NOTIFIED = "qa_notifications"  # the session's notifications to push once it commits


def event(session: Session, evaluation: Evaluation, kind: str, actor_id: int, **data: Any) -> None:
    """Record a change of an evaluation in the audit log (its timeline)."""
    record_event(
        session, actor=f"user:{actor_id}", subject_type="evaluation", subject_id=evaluation.id, kind=kind, **data
    )


def get_evaluation(session: Session, *, evaluation_id: int) -> Evaluation:
    """The evaluation of this id; NotFound if none."""
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound(f"No evaluation {evaluation_id}.")
    return evaluation


def start(
    session: Session,
    *,
    contact_id: int,
    evaluator_id: int,
    version_id: int | None = None,
    kind: str = EvaluationKind.REGULAR,
    calibration_id: int | None = None,
    due_at: datetime | None = None,
) -> Evaluation:
    """The evaluator's evaluation of a contact: their draft if they have one, else a new draft on the
    scorecard published for the contact's channel and queue (or `version_id`)."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"No contact {contact_id}.")
    if contact.agent_id is None:
        raise Conflict("No agent handled this contact: there is nobody's work to evaluate.")
    mine = session.scalar(
        select(Evaluation).where(
            Evaluation.contact_id == contact_id,
            Evaluation.evaluator_id == evaluator_id,
            Evaluation.kind == kind,
            Evaluation.calibration_id.is_(None)
            if calibration_id is None
            else Evaluation.calibration_id == calibration_id,
        )
    )
    if mine is not None:
        return mine
    if version_id is None:
        version = published_for(session, channel=contact.channel, queue=contact.queue)
        if version is None:
            raise Conflict(f"No published scorecard fits a {contact.channel} contact of queue {contact.queue}.")
    else:
        version = get_version(session, version_id=version_id)
        if version.status == VersionStatus.DRAFT:
            raise Conflict("That scorecard version is a draft; publish it first.")
    evaluation = Evaluation(
        contact_id=contact_id,
        agent_id=contact.agent_id,
        evaluator_id=evaluator_id,
        version_id=version.id,
        kind=kind,
        calibration_id=calibration_id,
        queue=contact.queue,
        channel=contact.channel,
        answers={},
        due_at=due_at,
    )
    session.add(evaluation)
    session.flush()
    event(session, evaluation, "started", evaluator_id, version=version.id, evaluation_kind=kind)
    return evaluation


def form_of(session: Session, evaluation: Evaluation) -> Any:
    return read_form(session.get_one(ScorecardVersion, evaluation.version_id).form)


def _own_draft(evaluation: Evaluation, evaluator_id: int) -> None:
    if evaluation.evaluator_id != evaluator_id:
        raise Forbidden("Only its evaluator changes an evaluation.")
    if evaluation.status != EvaluationStatus.DRAFT:
        raise Conflict("This evaluation has been submitted; a change now comes from a dispute, as a new revision.")


def save_draft(
    session: Session, *, evaluation_id: int, evaluator_id: int, answers: dict[str, Any], summary: str | None
) -> Score:
    """Save the evaluator's answers so far (autosave); returns the score they would give now."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    _own_draft(evaluation, evaluator_id)
    form = form_of(session, evaluation)
    problems = check_answers(form, answers, complete=False)
    if problems:
        raise Invalid("Some answers do not fit the scorecard: " + "; ".join(problems))
    evaluation.answers = dict(answers)
    if summary is not None:
        evaluation.summary = summary
    evaluation.updated_at = utcnow()
    return score(form, answers)


def add_revision(
    session: Session, *, evaluation: Evaluation, answers: dict[str, Any], reason: str, actor_id: int
) -> EvaluationRevision:
    """Score `answers` by the evaluation's form and make them its next revision (and its current score)."""
    result = score(form_of(session, evaluation), answers)
    evaluation.revision += 1
    revision = EvaluationRevision(
        evaluation_id=evaluation.id,
        number=evaluation.revision,
        answers=dict(answers),
        score=result.score,
        band=result.band,
        critical_failed=result.critical_failed,
        reason=reason,
        actor_id=actor_id,
    )
    session.add(revision)
    evaluation.answers = dict(answers)
    evaluation.score, evaluation.band, evaluation.critical_failed = result.score, result.band, result.critical_failed
    record_answers(session, evaluation=evaluation, revision=revision)  # what the QA figures average
    return revision


def submit(session: Session, *, evaluation_id: int, evaluator_id: int) -> Evaluation:
    """Submit a complete draft: scored, revision 1; the agent is told (not of a calibration's)."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    _own_draft(evaluation, evaluator_id)
    problems = check_answers(form_of(session, evaluation), evaluation.answers, complete=True)
    if problems:
        raise Invalid("The evaluation is not complete: " + "; ".join(problems))
    evaluation.status, evaluation.submitted_at = EvaluationStatus.SUBMITTED, utcnow()  # before: its answers' rows
    revision = add_revision(
        session, evaluation=evaluation, answers=evaluation.answers, reason="submitted", actor_id=evaluator_id
    )
    event(session, evaluation, "submitted", evaluator_id, score=revision.score, band=revision.band)
    if evaluation.kind == EvaluationKind.REGULAR:
        notify(session, user_id=evaluation.agent_id, kind="evaluation_submitted", evaluation=evaluation)
    return evaluation


def notify(session: Session, *, user_id: int, kind: str, evaluation: Evaluation) -> Notification:
    """A notification about an evaluation for one person (their console shows it)."""
    notification = Notification(
        user_id=user_id,
        kind=kind,
        data={"evaluation_id": evaluation.id, "score": evaluation.score, "band": evaluation.band},
    )
    session.add(notification)
    session.info.setdefault(NOTIFIED, []).append(notification)  # pushed live once committed (qa/http.py)
    return notification


def acknowledge_by(evaluation: Evaluation, *, days: int) -> datetime | None:
    """When the agent's acknowledgement is due (None before submission)."""
    submitted = as_utc(evaluation.submitted_at)
    return None if submitted is None else submitted + timedelta(days=days)


def acknowledge(session: Session, *, evaluation_id: int, agent_id: int, days: int) -> Evaluation:
    """The agent has read their evaluation (late if after `days`: recorded so)."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    if evaluation.agent_id != agent_id or evaluation.kind != EvaluationKind.REGULAR:
        raise Forbidden("Only the agent evaluated acknowledges an evaluation.")
    if evaluation.status != EvaluationStatus.SUBMITTED:
        raise Conflict(
            "This evaluation is acknowledged already."
            if evaluation.status == EvaluationStatus.ACKNOWLEDGED
            else "This evaluation cannot be acknowledged now (a draft, or a dispute in review)."
        )
    now = utcnow()
    due = acknowledge_by(evaluation, days=days)
    evaluation.status, evaluation.acknowledged_at = EvaluationStatus.ACKNOWLEDGED, now
    event(session, evaluation, "acknowledged", agent_id, late=bool(due and now > due))
    return evaluation


def add_comment(
    session: Session, *, evaluation_id: int, author_id: int, text: str, at_seconds: float | None, question: str | None
) -> EvaluationComment:
    """A comment by the evaluator, at a moment of the recording and/or on one question."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    _own_draft(evaluation, author_id)
    text = text.strip()
    if not text or len(text) > MAX_COMMENT:
        raise Invalid(f"A comment is 1 to {MAX_COMMENT} characters.")
    if at_seconds is not None and at_seconds < 0:
        raise Invalid("at_seconds: a moment of the recording, from 0.")
    if question is not None and question not in form_of(session, evaluation).questions():
        raise Invalid(f"question: {question} is not a question of this scorecard.")
    comment = EvaluationComment(
        evaluation_id=evaluation.id, author_id=author_id, at_seconds=at_seconds, question=question, text=text
    )
    session.add(comment)
    session.flush()
    return comment


def delete_comment(session: Session, *, evaluation_id: int, comment_id: int, author_id: int) -> None:
    """Remove one of the evaluator's comments while the evaluation is a draft."""
    evaluation = get_evaluation(session, evaluation_id=evaluation_id)
    _own_draft(evaluation, author_id)
    comment = session.get(EvaluationComment, comment_id)
    if comment is None or comment.evaluation_id != evaluation_id:
        raise NotFound(f"No comment {comment_id} on evaluation {evaluation_id}.")
    session.delete(comment)
