"""Callbacks: a customer asked to be called back; an agent takes it from the queue and Twilio dials."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class CallbackStatus(StrEnum):
    SCHEDULED = "scheduled"  # outside callback hours, or retrying later: enters the queue at scheduled_for
    WAITING = "waiting"  # in the queue (keeping the caller's place when asked for while waiting)
    DIALING = "dialing"  # an agent took it; Twilio is calling the customer
    CONNECTED = "connected"  # the customer answered and is bridged to the agent
    COMPLETED = "completed"
    FAILED = "failed"  # every attempt went unanswered
    CANCELED = "canceled"


class CallbackKind(StrEnum):
    CALLBACK = "callback"  # the customer asked (IVR, web chat) or the agent promised to call back
    RETURN_VISIT = "return_visit"  # 回访: after resolution, to confirm the customer is satisfied


class Callback(Base):
    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The contact routing offers agents (the caller's own call, or one made for a later attempt).
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    phone: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=CallbackStatus.WAITING)
    kind: Mapped[str] = mapped_column(String(16), default=CallbackKind.CALLBACK, server_default="callback")
    note: Mapped[str | None] = mapped_column(Text)  # what the agent who scheduled it wants done
    scheduled_for: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # A return visit handed out in a batch (tickets/return_visits.py), and by when it must have been made.
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("return_visit_batches.id"), index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
