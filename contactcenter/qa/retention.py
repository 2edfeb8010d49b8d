"""QA evaluations under the retention policy (contactcenter/retention/, RETENTION_EVALUATIONS_DAYS): an evaluation
expires that long after it was submitted (a draft: after it was started); holds on its contact's customer or
ticket, or on its agent, keep it. Destroying one deletes it with its revisions, comments, disputes and counted
answers; a sampled item and a coaching note that named it keep their rows without it. The receipt records a
checksum of what was removed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from contactcenter.contacts.models import Contact
from contactcenter.qa.figures_models import AnswerWorth
from contactcenter.qa.models import (
    CoachingNote,
    Dispute,
    Evaluation,
    EvaluationComment,
    EvaluationRevision,
)
from contactcenter.qa.sampling_models import SampleItem
from contactcenter.retention.builtin import digest, unmarked
from contactcenter.retention.registry import Candidate, DataClass, Destroyed, register


def evaluation_candidates(session: Session, *, before: datetime, after_id: int, limit: int) -> list[Candidate]:
    """Evaluations submitted (drafts: started) before `before`, not marked yet."""
    at = func.coalesce(Evaluation.submitted_at, Evaluation.created_at)
    rows = session.execute(
        select(Evaluation.id, at, Contact.customer_id, Contact.ticket_id, Evaluation.agent_id)
        .join(Contact, Contact.id == Evaluation.contact_id)
        .where(at < before, Evaluation.id > after_id, unmarked("evaluations", Evaluation.id))
        .order_by(Evaluation.id)
        .limit(limit)
    ).all()
    return [Candidate(*row) for row in rows]


def _content(session: Session, ids: Sequence[int]) -> dict[int, list[Any]]:
    """Each evaluation's removed content, for its receipt's checksum."""
    content: dict[int, list[Any]] = {}
    for e in session.scalars(select(Evaluation).where(Evaluation.id.in_(ids)).order_by(Evaluation.id)):
        content[e.id] = [e.answers, e.summary, e.score, e.band]
    for r in session.scalars(select(EvaluationRevision).where(EvaluationRevision.evaluation_id.in_(ids))):
        content[r.evaluation_id].append([r.number, r.answers, r.score])
    for c in session.scalars(select(EvaluationComment).where(EvaluationComment.evaluation_id.in_(ids))):
        content[c.evaluation_id].append([c.at_seconds, c.text])
    for d in session.scalars(select(Dispute).where(Dispute.evaluation_id.in_(ids))):
        content[d.evaluation_id].append([d.round, d.comment, d.proposed, d.decision])
    return content


def destroy_evaluations(session: Session, *, ids: Sequence[int]) -> list[Destroyed]:
    """Delete these evaluations and everything of theirs; the rows that named them keep theirs without it."""
    content = _content(session, ids)
    found = list(content)
    if not found:
        return []
    session.execute(update(SampleItem).where(SampleItem.evaluation_id.in_(found)).values(evaluation_id=None))
    session.execute(update(CoachingNote).where(CoachingNote.evaluation_id.in_(found)).values(evaluation_id=None))
    for table in (AnswerWorth, EvaluationRevision, EvaluationComment, Dispute):
        session.execute(delete(table).where(table.evaluation_id.in_(found)))
    session.execute(delete(Evaluation).where(Evaluation.id.in_(found)))
    return [Destroyed("evaluation", ident, *digest(content[ident])) for ident in found]


register(
    DataClass(
        "evaluations",
        ("质检评估", "QA evaluations"),
        "evaluation",
        "retention_evaluations_days",
        evaluation_candidates,
        destroy_evaluations,
        order=60,
    )
)
