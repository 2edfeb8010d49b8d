"""Canned replies as supervisors send them (the customer's forms have their own messages: forms.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from contactcenter.chats.forms import MAX_MESSAGE_LENGTH

MAX_TITLE_LENGTH = 128
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_LENGTH)]
Body = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_MESSAGE_LENGTH)]


class CannedReplyChange(BaseModel):
    """Some fields of a canned reply (the queue, if named, must exist: the service checks)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: Title | None = None
    body: Body | None = None
    language: Literal["zh-CN", "en"] = "zh-CN"
    queue: str | None = Field(default=None, description="None: every queue")
    active: bool = True
    position: int = Field(default=0, ge=0, le=9999)

    @model_validator(mode="after")
    def _text_not_null(self) -> CannedReplyChange:
        if any(getattr(self, name) is None for name in {"title", "body"} & self.model_fields_set):
            raise ValueError("title and body must be text")
        return self

    def changes(self) -> dict[str, object]:
        """The fields given, as given (the rest keep their values, or the defaults of a new reply)."""
        return self.model_dump(exclude_unset=True)


class NewCannedReply(CannedReplyChange):
    title: Title
    body: Body
