"""The JSON bodies of user administration, password changes and shifts, as pydantic reads them."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from contactcenter.users.models import Role

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=128)]
Skills = dict[Annotated[str, StringConstraints(min_length=1, max_length=32)], int]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
Hours = list[tuple[str, str]]  # [["09:00", "18:00"], ...]


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(max_length=256)]
    role: Role
    display_name: Text | None = None
    queues: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] = []
    skills: Skills = {}
    chat_capacity: Annotated[int, Field(ge=0, le=20)] | None = None
    team: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    qa_lead: bool = False


class UserChanges(BaseModel):
    """What an admin changes of a user; a field not sent stays as it is."""

    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)] | None = None
    role: Role | None = None
    queues: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = None
    skills: Skills | None = None
    chat_capacity: Annotated[int, Field(ge=0, le=20)] | None = None
    team: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    qa_lead: bool | None = None
    active: bool | None = None

    @field_validator("display_name", "role", "queues", "skills", "qa_lead", "active")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:  # null means "none" only for the team and the chat capacity
            raise ValueError("may not be null")
        return value


class PasswordReset(BaseModel):
    """An admin's reset: this temporary password, or none to have one generated."""

    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, StringConstraints(max_length=256)] | None = None


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, StringConstraints(max_length=256)]
    new_password: Annotated[str, StringConstraints(max_length=256)]


def _checked_hours(hours: Hours) -> Hours:
    for start, end in hours:
        if not _CLOCK.match(start) or not _CLOCK.match(end) or start == end:
            raise ValueError(f"{start}-{end}: hours are HH:MM-HH:MM, 00:00 to 24:00, start and end differ")
    return hours


class ShiftPattern(BaseModel):
    """A team's or a user's shift: hours per weekday, and dates with other hours ([] for a day off)."""

    model_config = ConfigDict(extra="forbid")

    weekly: dict[str, Hours] = {}
    exceptions: dict[date, Hours] = {}

    @field_validator("weekly")
    @classmethod
    def _weekdays(cls, weekly: dict[str, Hours]) -> dict[str, Hours]:
        unknown = [day for day in weekly if day not in DAYS]
        if unknown:
            raise ValueError(f"days are {', '.join(DAYS)} (not {', '.join(unknown)})")
        return {day: _checked_hours(hours) for day, hours in weekly.items()}

    @field_validator("exceptions")
    @classmethod
    def _dates(cls, exceptions: dict[date, Hours]) -> dict[date, Hours]:
        return {day: _checked_hours(hours) for day, hours in exceptions.items()}


class ShiftFor(ShiftPattern):
    """A shift and whom it is for: a team, or one user (exactly one of them)."""

    team: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    user_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
