"""A ticket's attachment: a photo or a signed form, its file sealed as recordings are (recordings/crypto.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class TicketAttachment(Base):
    __tablename__ = "ticket_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))  # as sanitized (service.safe_file_name)
    content_type: Mapped[str] = mapped_column(String(64))  # found from the file's bytes, not its name
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the plain file
    path: Mapped[str] = mapped_column(String(512))
    # The file's own data key, sealed by the master key `key_id` names (as recordings' are).
    key_id: Mapped[str] = mapped_column(String(32))
    wrapped_key: Mapped[str] = mapped_column(String(128))
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
