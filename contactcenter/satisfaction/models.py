"""Satisfaction: the customer's word on their tickets (return visits, the IVR's survey, chat ratings), return
visits handed out in batches, and agents flagged for repeated substantiated complaints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class Survey(Base):
    """The customer's word on a ticket: a return visit's answers, the IVR's 1-5 after a call, a chat's
    rating. `reached` False: the return visit found nobody (recorded as such, never as satisfied)."""

    __tablename__ = "ticket_surveys"
    __table_args__ = (Index("ix_ticket_surveys_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("callbacks.id"))
    source: Mapped[str] = mapped_column(String(16))  # return_visit, ivr, chat
    reached: Mapped[bool] = mapped_column(Boolean, default=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer)  # 1-5
    resolved: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # whose work was rated
    recorded_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class ReturnVisitBatch(Base):
    """Return visits a team lead handed out together (e.g. last week's resolved repairs)."""

    __tablename__ = "return_visit_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class AgentFlag(Base):
    """An agent with `count` substantiated complaints in the rolling window, flagged to the managers."""

    __tablename__ = "agent_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    count: Mapped[int] = mapped_column(Integer)
    window_days: Mapped[int] = mapped_column(Integer)
    ticket_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
