"""Evaluations as the API shows them: the form, answers and score, revisions, comments at their moments,
disputes, the contact's recording or transcript and ticket, and what the viewer may do now."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.chats.models import ChatMessage
from contactcenter.contacts.models import Contact
from contactcenter.qa import disputes
from contactcenter.qa.access import is_qa_lead
from contactcenter.qa.evaluations import acknowledge_by, form_of
from contactcenter.qa.forms import BAND_LABELS, score
from contactcenter.qa.models import (
    Evaluation,
    EvaluationComment,
    EvaluationKind,
    EvaluationRevision,
    EvaluationStatus,
    Scorecard,
    ScorecardVersion,
)
from contactcenter.settings import Settings
from contactcenter.timeutil import as_utc, iso, utcnow
from contactcenter.users.auth import CurrentUser
from contactcenter.users.models import User
from queues.models import Queue
from recordings.models import Recording, RecordingStatus

STATUS_LABELS = {
    "draft": ("草稿", "Draft"),
    "submitted": ("待确认", "Awaiting acknowledgement"),
    "acknowledged": ("已确认", "Acknowledged"),
    "disputed": ("申诉中", "Disputed"),
}


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        row.id: row.display_name for row in session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    }


def labelled(labels: dict[str, tuple[str, str]], code: str | None) -> dict[str, str] | None:
    """A code's label in both languages (None for none)."""
    if code is None:
        return None
    zh, en = labels[code]
    return {"zh": zh, "en": en}


def _contact(session: Session, contact: Contact) -> dict[str, Any]:
    answered, ended = as_utc(contact.answered_at), as_utc(contact.ended_at)
    recordings = session.scalars(
        select(Recording)
        .where(Recording.contact_id == contact.id, Recording.status == RecordingStatus.STORED)
        .order_by(Recording.id)
    ).all()
    view: dict[str, Any] = {
        "id": contact.id,
        "channel": contact.channel,
        "queue": contact.queue,
        "queue_label": session.scalar(select(Queue.display_name).where(Queue.name == contact.queue)) or contact.queue,
        "ticket_id": contact.ticket_id,
        "ivr_path": contact.menu_choice,
        "language": contact.language,
        "answered_at": iso(answered),
        "ended_at": iso(ended),
        "talk_seconds": int((ended - answered).total_seconds()) if answered and ended else None,
        "recordings": [
            {"id": r.id, "duration_seconds": r.duration_seconds, "channels": r.channels} for r in recordings
        ],
    }
    if contact.channel == "chat":
        messages = session.scalars(
            select(ChatMessage).where(ChatMessage.contact_id == contact.id).order_by(ChatMessage.id)
        ).all()
        start = as_utc(messages[0].created_at) if messages else None
        view["transcript"] = [
            {
                "sender": m.sender,
                "body": m.body,
                "at": iso(m.created_at),
                "at_seconds": round((as_utc(m.created_at) - start).total_seconds(), 1) if start else 0,
            }
            for m in messages
        ]
    return view


def evaluation_view(
    session: Session, *, evaluation: Evaluation, viewer: CurrentUser, settings: Settings
) -> dict[str, Any]:
    """Everything the evaluation page shows, and what `viewer` may do with it now."""
    version = session.get_one(ScorecardVersion, evaluation.version_id)
    scorecard = session.get_one(Scorecard, version.scorecard_id)
    form = form_of(session, evaluation)
    result = score(form, evaluation.answers)
    revisions = session.scalars(
        select(EvaluationRevision)
        .where(EvaluationRevision.evaluation_id == evaluation.id)
        .order_by(EvaluationRevision.number)
    ).all()
    comments = session.scalars(
        select(EvaluationComment)
        .where(EvaluationComment.evaluation_id == evaluation.id)
        .order_by(EvaluationComment.at_seconds.is_(None), EvaluationComment.at_seconds, EvaluationComment.id)
    ).all()
    rounds = disputes.rounds_of(session, evaluation_id=evaluation.id)
    names = _names(session, {evaluation.agent_id, evaluation.evaluator_id} | {c.author_id for c in comments})
    is_agent = viewer.id == evaluation.agent_id and evaluation.kind == EvaluationKind.REGULAR
    open_round = rounds[-1] if rounds and rounds[-1].status == "in_review" else None
    window = disputes.dispute_window_ends(session, evaluation=evaluation, days=settings.qa_dispute_days)
    draft = evaluation.status == EvaluationStatus.DRAFT
    return {
        "id": evaluation.id,
        "kind": evaluation.kind,
        "status": evaluation.status,
        "status_label": labelled(STATUS_LABELS, evaluation.status),
        "calibration_id": evaluation.calibration_id,
        "contact": _contact(session, session.get_one(Contact, evaluation.contact_id)),
        "agent": {"id": evaluation.agent_id, "name": names.get(evaluation.agent_id, "")},
        "evaluator": {"id": evaluation.evaluator_id, "name": names.get(evaluation.evaluator_id, "")},
        "scorecard": {"id": scorecard.id, "name": scorecard.name, "version": version.number, "version_id": version.id},
        "form": version.form,
        "answers": evaluation.answers,
        "summary": evaluation.summary,
        "score": result.score if draft else evaluation.score,
        "band": result.band if draft else evaluation.band,
        "band_label": labelled(BAND_LABELS, result.band if draft else evaluation.band),
        "critical_failed": result.critical_failed,
        "failed_questions": result.failed_questions,
        "sections": [{"id": s.id, "score": s.score, "failed": s.failed} for s in result.sections],
        "missing": result.missing,
        "revision": evaluation.revision,
        "revisions": [
            {
                "number": r.number,
                "score": r.score,
                "band": r.band,
                "band_label": labelled(BAND_LABELS, r.band),
                "reason": r.reason,
                "answers": r.answers,
                "at": iso(r.created_at),
            }
            for r in revisions
        ],
        "comments": [
            {
                "id": c.id,
                "author": names.get(c.author_id, ""),
                "at_seconds": c.at_seconds,
                "question": c.question,
                "text": c.text,
                "created_at": iso(c.created_at),
            }
            for c in comments
        ],
        "disputes": [disputes.dispute_view(d) for d in rounds],
        "due_at": iso(evaluation.due_at),
        "submitted_at": iso(evaluation.submitted_at),
        "acknowledged_at": iso(evaluation.acknowledged_at),
        "acknowledge_by": iso(acknowledge_by(evaluation, days=settings.qa_acknowledge_days)),
        "dispute_until": iso(window),
        "may": {
            "edit": draft and viewer.id == evaluation.evaluator_id,
            "acknowledge": is_agent and evaluation.status == EvaluationStatus.SUBMITTED,
            "dispute": is_agent and window is not None and utcnow() <= window,
            "retract": is_agent and open_round is not None,
            "decide": open_round is not None
            and disputes.may_decide(
                dispute=open_round, user_id=viewer.id, role=viewer.role, is_qa_lead=is_qa_lead(viewer)
            ),
        },
    }


def evaluation_row(evaluation: Evaluation, names: dict[int, str], acknowledge_days: int = 3) -> dict[str, Any]:
    """One line of a list of evaluations."""
    return {
        "acknowledge_by": iso(acknowledge_by(evaluation, days=acknowledge_days)),
        "id": evaluation.id,
        "contact_id": evaluation.contact_id,
        "kind": evaluation.kind,
        "status": evaluation.status,
        "status_label": labelled(STATUS_LABELS, evaluation.status),
        "agent": {"id": evaluation.agent_id, "name": names.get(evaluation.agent_id, "")},
        "evaluator": {"id": evaluation.evaluator_id, "name": names.get(evaluation.evaluator_id, "")},
        "queue": evaluation.queue,
        "channel": evaluation.channel,
        "score": evaluation.score,
        "band": evaluation.band,
        "band_label": labelled(BAND_LABELS, evaluation.band),
        "critical_failed": evaluation.critical_failed,
        "submitted_at": iso(evaluation.submitted_at),
        "acknowledged_at": iso(evaluation.acknowledged_at),
        "due_at": iso(evaluation.due_at),
    }


def rows(session: Session, evaluations: list[Evaluation], acknowledge_days: int = 3) -> list[dict[str, Any]]:
    """Lines of a list of evaluations, names looked up at once."""
    names = _names(session, {e.agent_id for e in evaluations} | {e.evaluator_id for e in evaluations})
    return [evaluation_row(e, names, acknowledge_days) for e in evaluations]
