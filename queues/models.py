"""Queues a contact can wait in, and which agents serve them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow

if TYPE_CHECKING:
    from contactcenter.users.models import User


# Which agents serve which queues (users.queues / queues.members).
queue_members = Table(
    "queue_members",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("queue_id", ForeignKey("queues.id", ondelete="CASCADE"), primary_key=True),
)


class Queue(Base):
    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    skills: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Routing settings (published to Redis by queues/config.py; editable without restart).
    strategy: Mapped[str] = mapped_column(String(32), default="longest_idle", server_default="longest_idle")
    # None: the process-wide default (OFFER_TIMEOUT_SECONDS; 30 s of wrap-up).
    offer_timeout_seconds: Mapped[int | None] = mapped_column(Integer)
    wrapup_seconds: Mapped[int | None] = mapped_column(Integer)
    service_level_percent: Mapped[int] = mapped_column(Integer, default=80, server_default="80")
    service_level_seconds: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    max_wait_seconds: Mapped[int | None] = mapped_column(Integer)
    max_length: Mapped[int | None] = mapped_column(Integer)
    calendar: Mapped[str | None] = mapped_column(String(64))
    overflow: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default="[]")
    # Aging: how much waiting one priority level is worth (None: 120 s).
    aging_seconds_per_priority: Mapped[int | None] = mapped_column(Integer)
    # Cross-queue weight: an agent of several queues takes the contact whose wait x weight is largest.
    weight: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    members: Mapped[list[User]] = relationship(secondary=queue_members, back_populates="queues")
