"""Voicemails left from the IVR: a recording on a ticket, listed for a queue's agents."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class VoicemailStatus(StrEnum):
    RECORDING = "recording"  # the caller is speaking, or Twilio has not reported the recording yet
    NEW = "new"  # recorded; waiting in its queue's list
    TAKEN = "taken"  # an agent is on it
    DONE = "done"


class Voicemail(Base):
    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), unique=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    queue: Mapped[str] = mapped_column(String(64), index=True)
    phone: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=VoicemailStatus.RECORDING)
    recording_sid: Mapped[str | None] = mapped_column(String(64))
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
