"""Users of the product: agents, supervisors, QA staff, managers, admins."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow
from queues.models import Queue, queue_members


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    QA = "qa"
    MANAGER = "manager"
    ADMIN = "admin"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT)
    skills: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # Chats at once (None: the CHAT_CAPACITY setting; 0: this agent takes no chats).
    chat_capacity: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set by an admin's password reset: until the user sets a new one, they reach only the password form.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Supervisors (team leads) see and manage the agents of their team; managers see everyone.
    team: Mapped[str | None] = mapped_column(String(64))
    # A QA lead (a QA user who builds scorecards, runs calibrations and hears disputes' last round).
    qa_lead: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    queues: Mapped[list[Queue]] = relationship(secondary=queue_members, back_populates="members")

    @property
    def client_identity(self) -> str:
        """The Twilio Client identity the agent's phone registers as."""
        return f"agent-{self.id}"


class Shift(Base):
    """When a team, or one user, works: a weekly pattern and dated exceptions, in the hotline's time zone
    (contactcenter/users/shifts.py). A user's own shift replaces their team's."""

    __tablename__ = "shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    team: Mapped[str | None] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    # {"mon": [["09:00", "18:00"]], ...}: a day absent or [] is a day off; "22:00"-"06:00" runs past midnight.
    weekly: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON, default=dict)
    # {"2026-10-01": []} (a holiday), {"2026-10-08": [["10:00", "16:00"]]} (other hours that day).
    exceptions: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
