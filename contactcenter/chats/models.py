"""Web chats: the customer's side of a chat contact, its messages, and the agents' canned replies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class Sender(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"  # greetings, "agent joined", "customer left": shown to both sides


class ChatSession(Base):
    """The customer's side of one chat contact: who they said they are, and the secret their page holds."""

    __tablename__ = "chat_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the page's secret
    name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ChatMessage(Base):
    """One message of a chat, as typed (shown escaped everywhere)."""

    __tablename__ = "chat_messages"
    # A client resends a message it is unsure about with the same id: stored once.
    __table_args__ = (UniqueConstraint("contact_id", "sender", "client_id", name="uq_chat_messages_client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    sender: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the agent, for agent messages
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class CannedReply(Base):
    """A ready-made answer agents insert into a chat; supervisors keep the list."""

    __tablename__ = "canned_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    queue: Mapped[str | None] = mapped_column(String(64))  # None: every queue
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class IdentityCode(Base):
    """A one-time code texted to the number a chat customer gave: typing it back proves the number is theirs.

    Only an HMAC of the code is kept (keyed by the app's secret: a leaked table alone does not give codes)."""

    __tablename__ = "identity_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    phone: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_sid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
