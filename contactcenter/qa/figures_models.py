"""What QA figures read besides the evaluations: each counted answer as its worth, one row per question, written
when an evaluation is submitted and again at each new revision (`record_answers`). The weakest questions are
averaged from these rows in SQL; reading every evaluation's JSON answers in Python would not fit the page's
300 ms over 100,000 evaluations (docs/qa-figures.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, delete
from sqlalchemy.orm import Mapped, Session, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.qa.forms import NA
from contactcenter.qa.models import Evaluation, EvaluationKind, EvaluationRevision, ScorecardVersion
from contactcenter.qa.scorecards import read_form


class AnswerWorth(Base):
    """One answer (not "na") of a submitted regular evaluation's latest revision: what it was worth, 0.0-1.0.
    Copies the evaluation's agent, queue, channel, scorecard and first submission so figures filter without
    a join (a question is its scorecard's: the same id in two versions is the same question)."""

    __tablename__ = "qa_answer_worths"
    __table_args__ = (
        # The figures' scan: a period, then the columns they group and average (an index-only scan on PostgreSQL).
        Index(
            "ix_qa_answer_worths_period",
            *("submitted_at", "scorecard_id", "question", "agent_id", "queue", "channel", "worth"),
        ),
        Index("ix_qa_answer_worths_agent", "agent_id", "submitted_at"),
    )

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("qa_evaluations.id", ondelete="CASCADE"), primary_key=True)
    question: Mapped[str] = mapped_column(String(64), primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[int] = mapped_column(Integer)
    queue: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    worth: Mapped[float] = mapped_column(Float)


def record_answers(session: Session, *, evaluation: Evaluation, revision: EvaluationRevision) -> int:
    """Replace the evaluation's answer rows by `revision`'s (at submission and at each new revision); a
    calibration's are never kept. Returns the rows written."""
    session.execute(delete(AnswerWorth).where(AnswerWorth.evaluation_id == evaluation.id))
    if evaluation.kind != EvaluationKind.REGULAR or evaluation.submitted_at is None:
        return 0
    version = session.get_one(ScorecardVersion, evaluation.version_id)
    questions = read_form(version.form).questions()
    rows = [
        AnswerWorth(
            evaluation_id=evaluation.id,
            question=qid,
            scorecard_id=version.scorecard_id,
            agent_id=evaluation.agent_id,
            queue=evaluation.queue,
            channel=evaluation.channel,
            submitted_at=evaluation.submitted_at,
            worth=questions[qid].worth(answer),
        )
        for qid, answer in revision.answers.items()
        if answer != NA and qid in questions
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)
