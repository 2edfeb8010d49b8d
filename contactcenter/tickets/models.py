"""Tickets: the customer's request, opened by the first contact and carried through its lifecycle
(tickets/lifecycle.py); its SLA clocks (one row per target) and the policies they were started from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.tickets.lifecycle import State
from contactcenter.timeutil import utcnow

# Kept for the wrap-up form and old callers: the lifecycle's states are the statuses.
TicketStatus = State


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # The desk's lists: newest activity first within a status, an assignee, a queue, a customer.
        Index("ix_tickets_status_updated", "status", "updated_at"),
        Index("ix_tickets_assignee_updated", "assignee_id", "updated_at"),
        Index("ix_tickets_queue_updated", "queue", "updated_at"),
        Index("ix_tickets_customer_category", "customer_id", "category", "status"),
        Index("ix_tickets_created", "created_at"),
        # Any view's newest-first page (bench/tickets.py: a team's list read every ticket of it and sorted them).
        Index("ix_tickets_updated", "updated_at", "id"),
        Index("ix_tickets_category_updated", "category", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Filled right after insert from the id: T-000123.
    number: Mapped[str | None] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(24), default=State.NEW)
    category: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(256))
    description: Mapped[str | None] = mapped_column(Text)  # the fault or the complaint, in the customer's words
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The group it was routed to (a queue's name) and the deadline that group was given.
    queue: Mapped[str | None] = mapped_column(String(64))
    routed_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())
    product_model: Mapped[str | None] = mapped_column(String(128))
    serial_number: Mapped[str | None] = mapped_column(String(64), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    solution: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(32))  # fixed, replaced, refunded, explained, refused, …
    satisfaction: Mapped[int | None] = mapped_column(Integer)  # 1–5 from the latest return visit or survey
    # 0 the assignee, 1 the team lead, 2 the manager (tickets/escalation.py).
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # A complaint about an agent, and whether its handling found it justified (tickets/complaints.py).
    about_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    substantiated: Mapped[bool | None] = mapped_column(Boolean)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    status_before_merge: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    search_tokens: Mapped[str | None] = mapped_column(Text, deferred=True)  # tickets/search.py; loaded on access


class TicketNote(Base):
    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # note: internal; reply: what we told the customer (stops the reply clock); transcript: a chat's, filed
    # when it ends; message: left on the chat page out of hours.
    kind: Mapped[str] = mapped_column(String(16), default="note")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class SlaPolicy(Base):
    """One version of the time a target allows for a category. Versions are never edited: a manager's
    change writes the next version, and clocks keep the version they started with until re-applied."""

    __tablename__ = "sla_policies"
    __table_args__ = (Index("ix_sla_policies_current", "category", "target", "version", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(24))  # respond, reply, resolve, return_visit, review, …
    version: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    minutes: Mapped[int] = mapped_column(Integer)
    calendar: Mapped[str | None] = mapped_column(String(64))  # business hours of this calendar; None: around the clock
    warn_percent: Mapped[int] = mapped_column(Integer, default=80)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))


class TicketClock(Base):
    """One SLA target of one ticket. Running: `consumed_seconds` counted before `running_since`, due at
    `due_at`. Paused: `running_since` and `due_at` empty. Stopped: met at `stopped_at` (late if breached).
    `generation` grows with every recomputation, so an alarm job scheduled for an older one does nothing."""

    __tablename__ = "ticket_clocks"
    __table_args__ = (
        Index("ix_ticket_clocks_ticket", "ticket_id", "target"),
        # The sweeper's and the desk's "breaching soon" reads: running clocks by due time.
        Index("ix_ticket_clocks_state_due", "state", "due_at"),
        Index("ix_ticket_clocks_state_warn", "state", "warn_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(24))
    level: Mapped[int] = mapped_column(Integer, default=0)  # the escalation level it measures (escalation clocks)
    state: Mapped[str] = mapped_column(String(16), default="running")  # running, paused, stopped, superseded
    # The policy as it was when the clock started (its own copy: a later version changes nothing here).
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("sla_policies.id"))
    policy_version: Mapped[int] = mapped_column(Integer, default=0)
    budget_seconds: Mapped[int] = mapped_column(Integer)
    calendar: Mapped[str | None] = mapped_column(String(64))
    warn_percent: Mapped[int] = mapped_column(Integer, default=80)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    running_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    consumed_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    warn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    breached_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    generation: Mapped[int] = mapped_column(Integer, default=0)
    # Merging: the ticket this clock came from, and the merge that set this one aside (tickets/linking.py).
    origin_ticket_id: Mapped[int | None] = mapped_column(Integer)
    superseded_by_merge: Mapped[int | None] = mapped_column(Integer)


class Notification(Base):
    """Something a person must act on (a breach escalated to them, a skipped level, a flagged agent):
    kept until read, and pushed live to their console or wallboard."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # escalated, level_skipped, clock_warning, agent_flagged
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    data: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SavedView(Base):
    """A desk list a person named and keeps: its filters as the list's query takes them."""

    __tablename__ = "ticket_views"
    __table_args__ = (Index("ix_ticket_views_user", "user_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    filters: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
