"""Supervisors' JSON bodies that pydantic reads (queue settings: config.QueueSettings)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, StringConstraints, field_validator

MAX_TEXT = 500
QueueName = Annotated[str, StringConstraints(min_length=1)]


class Announcement(BaseModel):
    """The text (trimmed) and the queues it is about (none: everyone)."""

    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
    queues: list[QueueName] | None = None

    @field_validator("queues")
    @classmethod
    def _once_each(cls, queues: list[str] | None) -> list[str]:
        return list(dict.fromkeys(queues or []))
