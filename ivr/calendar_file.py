"""The calendars file: YAML → validated, compiled calendars, each problem named with its place."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, PlainValidator, RootModel, ValidationError, model_validator

from ivr.calendar import Calendar, CalendarError, Calendars, Range
from ivr.yaml_loader import SafeLoader

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_A_DAY = 24 * 60


def _show(*minutes: int) -> str:
    return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in minutes)


def _parse_range(value: object) -> Range:
    """'08:30-12:00' (an en dash and spaces are fine too) as minutes since midnight."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d\d)\s*[-–]\s*(\d{1,2}):(\d\d)\s*", value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"{value!r} is not a range of hours like '08:30-12:00'")
    hour_a, minute_a, hour_b, minute_b = (int(part) for part in match.groups())
    for hour, minute in ((hour_a, minute_a), (hour_b, minute_b)):
        if minute > 59 or hour * 60 + minute > MINUTES_A_DAY:
            raise ValueError(f"{value!r}: {hour:02d}:{minute:02d} is not a time of day (00:00 to 24:00)")
    start, end = hour_a * 60 + minute_a, hour_b * 60 + minute_b
    if end == start:
        raise ValueError(f"{value!r} is empty: it ends when it starts")
    if end < start:
        raise ValueError(
            f"{value!r} ends before it starts; a range may not cross midnight: "
            f"split it into '{_show(start)}-24:00' and the next day's '00:00-{_show(end)}'"
        )
    return start, end


def _no_overlap(ranges: list[Range]) -> tuple[Range, ...]:
    """The day's ranges in order, ranges that touch joined into one (so a close is a real close)."""
    merged: list[Range] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1][1]:
            raise ValueError(f"{_show(*merged[-1])} and {_show(start, end)} overlap")
        if merged and start == merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _weekdays(key: str) -> range:
    """'mon' or a span such as 'mon-fri' as weekday numbers (Monday is 0)."""
    first, _, last = key.strip().lower().partition("-")
    if first in WEEKDAYS and (not last or last in WEEKDAYS) and WEEKDAYS.index(first) <= WEEKDAYS.index(last or first):
        return range(WEEKDAYS.index(first), WEEKDAYS.index(last or first) + 1)
    raise ValueError(f"unknown weekday {key!r}: use {', '.join(WEEKDAYS)} or a span in week order such as mon-fri")


def _check_weekday_key(key: str) -> str:
    _weekdays(key)
    return key


def _parse_date(value: object) -> date:
    # Dates reach us as text (the loader does not turn them into dates) so a bad one is reported here, with its place.
    if not isinstance(value, str | date) or not re.fullmatch(r"\d{4}-\d\d-\d\d", str(value)):
        raise ValueError(f"{value!r} is not a date: write YYYY-MM-DD, e.g. 2026-10-01")
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date ({exc})") from None


def _check_country(code: str) -> str:
    if code.upper() not in holidays.list_supported_countries():
        raise ValueError(f"unknown country code {code!r} for public holidays: use an ISO code such as CN, HK or TW")
    return code.upper()


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Asia/Shanghai") from None
    return name


def _check_name(name: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}", name):
        raise ValueError("a calendar name is 1 to 64 letters, digits, '_' or '-' (queues refer to it)")
    return name


Hours = Annotated[list[Annotated[Range, PlainValidator(_parse_range)]], AfterValidator(_no_overlap)]
DateKey = Annotated[date, PlainValidator(_parse_date)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenDay(_Strict):
    """A date open with hours of its own, whatever the week or the holidays say."""

    hours: Hours
    label: str | None = None

    @model_validator(mode="after")
    def _has_hours(self) -> OpenDay:
        if not self.hours:
            raise ValueError("an open day needs hours; to close the day, list it under closed")
        return self


class CalendarSpec(_Strict):
    """One calendar as written in the file."""

    timezone: Annotated[str, AfterValidator(_check_timezone)] | None = None
    hours: dict[Annotated[str, AfterValidator(_check_weekday_key)], Hours] = {}
    public_holidays: Annotated[str, AfterValidator(_check_country)] | None = None
    holiday_breaks: bool = False
    make_up_days: Hours | None = None
    closed: dict[DateKey, str | None] = {}
    open: dict[DateKey, OpenDay] = {}

    @model_validator(mode="after")
    def _consistent(self) -> CalendarSpec:
        problems: list[str] = []
        given: dict[int, str] = {}
        for key in self.hours:
            for day in _weekdays(key):
                if day in given:
                    problems.append(f"hours: {WEEKDAYS[day]} is given twice ({given[day]} and {key})")
                given[day] = key
        both = sorted(self.closed.keys() & self.open.keys())
        problems += [f"{day} is listed both under closed and under open" for day in both]
        for option in ("make_up_days", "holiday_breaks"):
            if getattr(self, option) and not self.public_holidays:
                problems.append(f"{option} needs public_holidays (the country whose holiday schedule to follow)")
        if not any(self.hours.values()) and not self.open:
            problems.append("the calendar never opens: give hours for at least one weekday, or an open date")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_calendar(self, name: str, default_zone: ZoneInfo) -> Calendar:
        """The calendar ready to answer questions."""
        weekly: list[tuple[Range, ...]] = [()] * 7
        for key, ranges in self.hours.items():
            for day in _weekdays(key):
                weekly[day] = tuple(ranges)
        return Calendar(
            name=name,
            zone=ZoneInfo(self.timezone) if self.timezone else default_zone,
            weekly=tuple(weekly),
            country=self.public_holidays,
            holiday_breaks=self.holiday_breaks,
            make_up_hours=None if self.make_up_days is None else tuple(self.make_up_days),
            closed=dict(self.closed),
            open={day: (tuple(spec.hours), spec.label) for day, spec in self.open.items()},
        )


class _File(RootModel[dict[Annotated[str, AfterValidator(_check_name)], CalendarSpec]]):
    pass


class _Loader(SafeLoader):  # type: ignore[valid-type,misc]
    """Safe YAML that leaves dates as text (a bad date is reported with its place) and refuses repeated keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int):
                if key in seen:
                    raise yaml.constructor.ConstructorError(None, None, f"{key!r} appears twice", key_node.start_mark)
                seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping

    yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


def load_calendars(path: Path, default_timezone: str) -> Calendars:
    """Read and validate a calendars file; a calendar without `timezone` uses `default_timezone`."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a safe loader)
    except OSError as exc:
        raise CalendarError(f"{path}: cannot read the calendars file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise CalendarError(f"{path}: the calendars file must be saved as UTF-8 ({exc.reason})") from exc
    except yaml.YAMLError as exc:
        raise CalendarError(f"{path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict) or not data:
        raise CalendarError(f"{path}: expected calendars by name, such as 'office:' with its hours under it")
    try:
        specs = _File.model_validate(data).root
    except ValidationError as exc:
        details = "; ".join(
            ".".join(str(part) for part in e["loc"] if part != "[key]")  # pydantic marks a bad dict key with [key]
            + ": "
            + ("unknown key" if e["type"] == "extra_forbidden" else e["msg"].removeprefix("Value error, "))
            for e in exc.errors()
        )
        raise CalendarError(f"{path}: {details}") from exc
    try:
        zone = ZoneInfo(_check_timezone(default_timezone))
    except ValueError as exc:
        raise CalendarError(f"{path}: default time zone: {exc}") from exc
    return Calendars({name: spec.to_calendar(name, zone) for name, spec in specs.items()})
