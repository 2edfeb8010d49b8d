"""Queues a contact can wait in, and which agents serve them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter.db import Base
from contactcenter.timeutil import utcnow
from contactcenter.users.models import queue_members

if TYPE_CHECKING:
    from contactcenter.users.models import User


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
    overflow: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list, server_default="[]")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    members: Mapped[list[User]] = relationship(secondary=queue_members, back_populates="queues")
