"""Call recordings: fetched from the provider, stored encrypted with a checksum, attached to contact and ticket."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class RecordingStatus(StrEnum):
    PENDING = "pending"
    STORED = "stored"
    FAILED = "failed"
    DESTROYED = "destroyed"  # by the retention policy: file and data key gone (contactcenter/retention/)


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=RecordingStatus.PENDING)
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    channels: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str | None] = mapped_column(String(512))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(64))
    # The file's own data key, sealed by the master key `key_id` names (recordings/crypto.py); both None
    # for a file stored before encryption, until `contactcenter keys migrate` encrypts it.
    key_id: Mapped[str | None] = mapped_column(String(32))
    wrapped_key: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    stored_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
