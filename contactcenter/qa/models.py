"""Quality assurance: scorecards (forms, versioned: a published version never changes), evaluations of a
contact against one (drafts, then revisions: a submitted score is never edited in place), time-stamped
comments, disputes in rounds, calibration sessions, and coaching notes. Their events are in the audit
log (subject_type `scorecard`, `evaluation`, `calibration`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"  # the one new evaluations use
    RETIRED = "retired"  # replaced by a newer published version; its evaluations keep it


class EvaluationKind(StrEnum):
    REGULAR = "regular"
    CALIBRATION = "calibration"  # never counted in figures


class EvaluationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for the agent's acknowledgement
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"  # a dispute round is in review


class DisputeStatus(StrEnum):
    IN_REVIEW = "in_review"
    ACCEPTED = "accepted"
    PARTIAL = "partial"
    REJECTED = "rejected"
    RETRACTED = "retracted"


class Scorecard(Base):
    """A form QA scores contacts with, for one channel (or both) and one queue (or all)."""

    __tablename__ = "qa_scorecards"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(16))  # voice, chat; None: both
    queue: Mapped[str | None] = mapped_column(String(64))  # None: every queue
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ScorecardVersion(Base):
    """One version of a scorecard's form (qa/forms.py). Published: immutable; an edit makes a new draft."""

    __tablename__ = "qa_scorecard_versions"
    __table_args__ = (UniqueConstraint("scorecard_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("qa_scorecards.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=VersionStatus.DRAFT)
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Evaluation(Base):
    """One evaluator's scoring of one contact. `answers`, `score`, `band` are the latest revision's."""

    __tablename__ = "qa_evaluations"
    __table_args__ = (
        Index("ix_qa_evaluations_agent_submitted", "agent_id", "submitted_at"),
        Index("ix_qa_evaluations_submitted", "kind", "submitted_at"),
        Index("ix_qa_evaluations_evaluator_status", "evaluator_id", "status"),
        # QA figures (qa/figures.py): a period's evaluations read from the index alone on PostgreSQL.
        Index(
            "ix_qa_evaluations_figures",
            "submitted_at",
            postgresql_include=[
                *("kind", "status", "score", "band", "critical_failed", "agent_id", "queue", "channel", "version_id"),
            ],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("qa_scorecard_versions.id"))
    kind: Mapped[str] = mapped_column(String(16), default=EvaluationKind.REGULAR)
    calibration_id: Mapped[int | None] = mapped_column(ForeignKey("qa_calibrations.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=EvaluationStatus.DRAFT)
    queue: Mapped[str | None] = mapped_column(String(64))  # the contact's, for figures per queue
    channel: Mapped[str] = mapped_column(String(16), default="voice")
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # question id → answer (or "na")
    summary: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(16))  # fail, pass, excellent
    critical_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # 0: a draft never submitted
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the first submission
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class EvaluationRevision(Base):
    """A submitted score as it stood: the first submission, then each dispute's outcome. Never changed."""

    __tablename__ = "qa_evaluation_revisions"
    __table_args__ = (UniqueConstraint("evaluation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("qa_evaluations.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    score: Mapped[float] = mapped_column(Float)
    band: Mapped[str] = mapped_column(String(16))
    critical_failed: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(32))  # submitted, dispute_accepted, dispute_partial
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class EvaluationComment(Base):
    """A comment on an evaluation, at a moment of the recording (`at_seconds`) and/or on one question."""

    __tablename__ = "qa_evaluation_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("qa_evaluations.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at_seconds: Mapped[float | None] = mapped_column(Float)
    question: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class Dispute(Base):
    """The agent's disagreement with a submitted evaluation, in rounds: the evaluator, then one level up."""

    __tablename__ = "qa_disputes"
    __table_args__ = (UniqueConstraint("evaluation_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("qa_evaluations.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    raised_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    comment: Mapped[str] = mapped_column(Text)
    proposed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # question id → the agent's answer
    status: Mapped[str] = mapped_column(String(16), default=DisputeStatus.IN_REVIEW)
    decision: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int | None] = mapped_column(Integer)  # the revision the outcome made
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Calibration(Base):
    """Several evaluators score the same contact blind; their deviation from the expert (or the mean)."""

    __tablename__ = "qa_calibrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("qa_scorecard_versions.id"))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evaluator_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    threshold: Mapped[float] = mapped_column(Float)  # points off the reference that flag an evaluator
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CoachingNote(Base):
    """A QA lead's or team lead's coaching of one agent (optionally about one evaluation)."""

    __tablename__ = "qa_coaching_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("qa_evaluations.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
