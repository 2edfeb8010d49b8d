"""What an agent has typed into a wrap-up form, kept until it is filed (by the agent or when time runs out)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from contactcenter.db import Base, UtcDateTime
from contactcenter.timeutil import utcnow


class WrapUpDraft(Base):
    """One per contact and agent: after a transfer, both agents may be writing up the same contact."""

    __tablename__ = "wrap_up_drafts"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # The form as the console sends it: note, disposition, category, ticket_status, follow_up {kind, at, note}.
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
