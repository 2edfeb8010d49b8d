"""Contacts: one row per call or chat, keyed by the provider's id (CallSid)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class ContactStatus(StrEnum):
    IVR = "ivr"
    QUEUED = "queued"
    CALLBACK = "callback"  # the caller hung up asking to be called back; still waiting for an agent
    CONNECTED = "connected"
    ENDED = "ended"
    ABANDONED = "abandoned"


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        # A ticket's contacts and a customer's latest (a new call's menu choice asks both; bench/tickets.py).
        Index("ix_contacts_ticket_id", "ticket_id"),
        Index("ix_contacts_customer", "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), default="voice")
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(16), default="inbound")
    from_number: Mapped[str] = mapped_column(String(32))
    to_number: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=ContactStatus.IVR)
    queue: Mapped[str | None] = mapped_column(String(64))
    menu_choice: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Chosen in the IVR (None: the flow's languages in turn); and whether the caller proved who they are.
    language: Mapped[str | None] = mapped_column(String(8))
    disposition: Mapped[str | None] = mapped_column(String(64))  # the agent's wrap-up code (DISPOSITION_CODES)
    # The Twilio conference (CF…) the call was carried in once an agent took it: one per call, across
    # holds and transfers; its recording reports this SID instead of a CallSid.
    conference_sid: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    identity_verified: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # How routing queued it (priority 0-9, skills beyond the queue's): what a rebuild of Redis needs.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    routing_skills: Mapped[dict[str, int] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
