"""The audit trail: every state change of a record, who made it and when; and the access log of reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32), index=True)
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AccessEntry(Base):
    """One read of customer data (a ticket, a transcript, a recording, a customer, an export): who, what,
    when, from where. Append-only (the database refuses UPDATE and DELETE, migration 0010) and
    hash-chained: `hash` is SHA-256 over `prev_hash` and the row's content (contactcenter/audit/access.py)."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_object", "object_type", "object_id"),)

    # The position in the chain, given by the writer under the chain's lock (no gaps: a gap is a deleted row).
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # No foreign key: the log outlives whatever it names, and no cascade may ever delete from it.
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))  # "" for a list or an export of many
    detail: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
