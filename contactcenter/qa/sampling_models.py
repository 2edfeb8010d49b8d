"""QA sampling: policies that say which contacts are evaluated, the runs that applied them (each with its seed
and the contacts it chose, so a run can be replayed and audited), and the items of the evaluators' work queue."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class PolicyKind(StrEnum):
    COMPLAINTS = "complaints"  # every contact whose ticket is a complaint
    FLAGGED_AGENTS = "flagged_agents"  # every contact of an agent flagged for complaints
    RANDOM_PER_AGENT = "random_per_agent"  # N random contacts per agent per period
    PERCENTAGE = "percentage"  # a percentage of each agent's contacts, at least N


class ItemStatus(StrEnum):
    OPEN = "open"  # waiting: assigned to an evaluator, or in the pool (no evaluator) for one to claim
    CLAIMED = "claimed"  # its evaluation was started
    DONE = "done"  # its evaluation was submitted
    SKIPPED = "skipped"  # a QA lead took it out of the queue, with a reason


class SamplingPolicy(Base):
    """Which contacts a run picks (kind and filters) and how it hands them out (evaluators, due days)."""

    __tablename__ = "qa_sampling_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    per_agent: Mapped[int] = mapped_column(Integer, default=0)  # random: N per agent; percentage: the minimum
    percentage: Mapped[float | None] = mapped_column(Float)  # percentage: of each agent's eligible contacts
    queues: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every queue
    channel: Mapped[str | None] = mapped_column(String(16))  # voice, chat; None: both
    min_seconds: Mapped[int] = mapped_column(Integer, default=0)  # answered → ended
    recording_required: Mapped[bool] = mapped_column(Boolean, default=True)  # voice: stored; chat: a message
    period_days: Mapped[int] = mapped_column(Integer, default=7)
    evaluator_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # empty: every active QA user
    assign: Mapped[bool] = mapped_column(Boolean, default=True)  # False: items wait in the pool to be claimed
    due_days: Mapped[int] = mapped_column(Integer, default=3)  # working days (Mon-Fri, hotline's time zone)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class SampleRun(Base):
    """One application of a policy to one window: its seed and the contacts it chose (replayable)."""

    __tablename__ = "qa_sample_runs"
    __table_args__ = (Index("ix_qa_sample_runs_policy_window", "policy_id", "window_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("qa_sampling_policies.id"))
    window_start: Mapped[datetime] = mapped_column(UtcDateTime())
    window_end: Mapped[datetime] = mapped_column(UtcDateTime())
    seed: Mapped[int] = mapped_column(BigInteger)
    trigger: Mapped[str] = mapped_column(String(16))  # scheduled, manual (HTTP), cli
    # Scheduled runs only: "<policy>:<window end>", unique, so two processes never run the same week twice.
    period_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    candidates: Mapped[int] = mapped_column(Integer, default=0)
    selected: Mapped[int] = mapped_column(Integer, default=0)
    contact_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # the selection, in its order
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SampleItem(Base):
    """One sampled contact in the work queue: whose it is to evaluate, by when, and its evaluation."""

    __tablename__ = "qa_sample_items"
    __table_args__ = (
        Index("ix_qa_sample_items_evaluator_status", "evaluator_id", "status"),
        Index("ix_qa_sample_items_agent_created", "agent_id", "created_at"),
        Index("ix_qa_sample_items_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("qa_sample_runs.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("qa_sampling_policies.id"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), unique=True)  # never sampled twice
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    evaluator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: in the pool
    queue: Mapped[str | None] = mapped_column(String(64))  # the contact's, for the queue's filters
    channel: Mapped[str] = mapped_column(String(16), default="voice")
    contact_ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.OPEN)
    skip_reason: Mapped[str | None] = mapped_column(Text)
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("qa_evaluations.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
