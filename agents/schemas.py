"""The console's JSON bodies that pydantic reads (the wrap-up form has its own messages: forms.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr, model_validator


class Transfer(BaseModel):
    """Where the contact goes: a queue and/or an agent, or (alone) an outside number."""

    queue: StrictStr | None = None
    agent: StrictInt | None = None
    number: StrictStr | None = None
    note: StrictStr = Field(default="", max_length=1000)  # for the receiving agent (offer and screen pop)
    warm: StrictBool = False  # consult first: the agent stays on until they complete or cancel

    @model_validator(mode="after")
    def _number_alone(self) -> Transfer:
        if self.number is not None and (self.queue is not None or self.agent is not None):
            raise ValueError("an outside number goes alone, without queue or agent")
        if self.number is not None and self.warm:
            raise ValueError("a transfer to an outside number is cold only")
        return self


class Mute(BaseModel):
    muted: StrictBool = True


class WrapUpExtension(BaseModel):
    seconds: float = Field(default=30, ge=1, le=3600)


class Monitor(BaseModel):
    """How to listen in: muted, whispering to the agent only, or heard by both (agents/monitoring.py)."""

    mode: Literal["listen", "whisper", "barge"]
