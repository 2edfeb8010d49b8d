"""Legal holds, the marks of expired objects waiting out their grace period, and the deletion receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class LegalHold(Base):
    """A legal hold (case number, reason, scope): while it is not released, nothing it covers is destroyed,
    whatever the policy says. Scope: a customer, a ticket, an agent, or a date range; any scope may be
    narrowed to a date range (`date_from`, `date_to` of the object's own time)."""

    __tablename__ = "legal_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_number: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(16))  # customer, ticket, agent, dates
    # No foreign keys: a hold names what it protects even when that record is later anonymised.
    customer_id: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    date_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    date_to: Mapped[datetime | None] = mapped_column(UtcDateTime())
    placed_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    released_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    release_reason: Mapped[str | None] = mapped_column(Text)


class RetentionMark(Base):
    """An object the daily run found expired: destroyed once `due_at` (marked + grace) has passed and no hold
    covers it then. A hold found then lifts the mark (the row goes; the object is marked again, with a new
    grace period, at the first run after the hold is released). A destroyed object's mark stays, so the run
    never finds it again."""

    __tablename__ = "retention_marks"
    __table_args__ = (
        UniqueConstraint("data_class", "object_id", name="uq_retention_marks_object"),
        Index("ix_retention_marks_due", "state", "due_at"),  # the page: what goes next
        Index("ix_retention_marks_batch", "data_class", "state", "id"),  # the run: a class's marks, in order
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    data_class: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int] = mapped_column(BigInteger)
    # What holds are matched against, as the object had them when it was marked.
    customer_id: Mapped[int | None] = mapped_column(Integer)
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    object_at: Mapped[datetime] = mapped_column(UtcDateTime())
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16), default="marked")  # marked, destroyed
    destroyed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    receipt_seq: Mapped[int | None] = mapped_column(BigInteger)


class RetentionLeftover(Base):
    """A destroyed object's file not yet unlinked: written with the destruction, deleted once the file is gone
    (after the commit), so a run stopped in between leaves the next run the list."""

    __tablename__ = "retention_leftovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(1024))


class DeletionReceipt(Base):
    """Proof that one object was destroyed: what it was (type, id, checksum and size of its content), under
    which policy, which data key went with it, and when. Kept for ever: append-only (the database refuses
    UPDATE and DELETE, migration 0021) and hash-chained as the access log is (`hash` is SHA-256 over
    `prev_hash` and the row's canonical content: contactcenter/retention/receipts.py)."""

    __tablename__ = "retention_receipts"
    __table_args__ = (UniqueConstraint("object_type", "object_id", name="uq_retention_receipts_object"),)

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data_class: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int] = mapped_column(BigInteger)
    checksum: Mapped[str] = mapped_column(String(64))  # SHA-256 of the content destroyed ("" when it had none)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    policy: Mapped[str] = mapped_column(String(64))  # e.g. "recordings 365 d"
    key_id: Mapped[str] = mapped_column(String(64))  # master key id : data key fingerprint ("" for none)
    destroyed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


def receipt_fields(receipt: DeletionReceipt | dict[str, Any]) -> list[Any]:
    """A receipt's hashed fields in their fixed order (a row or the dict about to be inserted)."""
    get = receipt.get if isinstance(receipt, dict) else lambda name: getattr(receipt, name)
    return [
        get(name)
        for name in (
            "seq",
            "data_class",
            "object_type",
            "object_id",
            "checksum",
            "size_bytes",
            "policy",
            "key_id",
            "destroyed_at",
        )
    ]
