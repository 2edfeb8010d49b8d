"""The JSON bodies of the ticket desk, as pydantic reads them (contract: tickets/api.yml)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=256)]
Long = Annotated[str, StringConstraints(max_length=20_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusChange(_Body):
    status: Annotated[str, StringConstraints(max_length=32)]
    why: Reason | None = None


class Assignment(_Body):
    assignee_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None


class NewNote(_Body):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
    kind: Literal["note", "reply"] = "note"


class FieldChanges(_Body):
    """The ticket's own fields; a field not sent stays as it is, null empties it (not the subject)."""

    subject: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)] | None = None
    description: Long | None = None
    product_model: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)] | None = None
    serial_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    purchase_date: date | None = None
    solution: Long | None = None
    outcome: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    category: Annotated[str, StringConstraints(max_length=64)] | None = None

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class Escalation(_Body):
    level: Annotated[int, Field(ge=1, le=2)] | None = None  # none: one level up
    reason: Reason = ""


class MergeInto(_Body):
    into: Annotated[int, Field(ge=1, le=2**31 - 1)]


class ViewToSave(_Body):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    filters: dict[Annotated[str, StringConstraints(max_length=32)], Annotated[str, StringConstraints(max_length=200)]]


class PolicyChange(_Body):
    minutes: Annotated[int, Field(ge=1, le=525_600)]
    calendar: Annotated[str, StringConstraints(max_length=64)] | None = None
    warn_percent: Annotated[int, Field(ge=1, le=99)] = 80
    enabled: bool = True


class CallbackRequest(_Body):
    kind: Literal["callback", "return_visit"] = "callback"
    at: Annotated[str, StringConstraints(max_length=40)]
    note: Annotated[str, StringConstraints(max_length=500)] = ""
