"""The outbox: jobs written in the same transaction as the change they follow, handed to RQ by a relay."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class OutboxJob(Base):
    __tablename__ = "outbox_jobs"
    __table_args__ = (Index("ix_outbox_jobs_pending", "handed_at", "due_ms"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    job: Mapped[str] = mapped_column(String(128))  # the function's dotted path, as RQ imports it
    args: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Unix ms: a job is handed to RQ once due, so a scheduled one waits here, in SQL, not in Redis.
    due_ms: Mapped[int] = mapped_column(BigInteger)
    job_id: Mapped[str | None] = mapped_column(String(128))  # RQ's job id (default: outbox-<id>)
    retry_intervals: Mapped[list[int]] = mapped_column(JSON, default=list)  # RQ's retries, seconds apart
    handed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # tries to hand it over that failed
    last_error: Mapped[str | None] = mapped_column(Text)
