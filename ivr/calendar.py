"""Business-hours calendars: weekly hours, public holidays, extra closed and open days (read by calendar_file.py);
business-time arithmetic on them for SLA clocks (business_seconds, add_business)."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SEARCH_DAYS = 400  # how far next_open / next_close look ahead: past a year, so yearly closures are crossed
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # not strftime: that follows the process locale
MAKE_UP_LABEL = "调休上班 make-up working day"

Range = tuple[int, int]  # minutes since local midnight, start inclusive, end exclusive (1440 = 24:00)
Span = tuple[datetime, datetime]  # UTC instants, start inclusive, end exclusive


class CalendarError(ValueError):
    """The calendars file cannot be used, or a calendar never opens; the message says where and why."""


@dataclass(frozen=True)
class _Year:
    names: dict[date, str]  # public holidays, "中文 English"
    workdays: frozenset[date]  # weekend days that are official working days (China's 调休)
    weekend: frozenset[int]


@lru_cache(maxsize=64)
def _year(country: str, year: int) -> _Year:
    """One country's holidays for one year, computed once: is_open runs on every incoming call."""
    # Languages are always named: left out, the names would follow the process's LANG (through gettext).
    info = holidays.country_holidays(country, expand=False)  # no year: only to read its languages
    languages = [info.default_language]
    if info.default_language != "en_US" and "en_US" in info.supported_languages:
        languages.append("en_US")
    tables = [holidays.country_holidays(country, years=year, expand=False, language=lang) for lang in languages]
    names = {day: " ".join(dict.fromkeys(str(table[day]) for table in tables)) for day in tables[0]}
    return _Year(names, frozenset(tables[0].weekend_workdays), frozenset(tables[0].weekend))


def _day_off(country: str, day: date) -> bool:
    year = _year(country, day.year)
    return day in year.names or (day.weekday() in year.weekend and day not in year.workdays)


@lru_cache(maxsize=4096)
def _break_name(country: str, day: date) -> str | None:
    """The holiday whose official break takes in this weekend day (Sunday 4 Oct 2026 in the National Day week)."""
    if not _day_off(country, day):
        return None
    for step in (timedelta(days=-1), timedelta(days=1)):
        other = day + step
        for _ in range(14):  # the longest breaks (Spring Festival) run nine days
            if not _day_off(country, other):
                break
            if name := _year(country, other.year).names.get(other):
                return name
            other += step
    return None


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a calendar needs a timezone-aware datetime, got the naive {at.isoformat()}")
    return at.astimezone(UTC)


@dataclass(frozen=True)
class Calendar:
    """One calendar, compiled: answers whether it is open at an instant, and when that changes."""

    name: str
    zone: ZoneInfo
    weekly: tuple[tuple[Range, ...], ...]  # Monday first
    country: str | None = None
    holiday_breaks: bool = False
    make_up_hours: tuple[Range, ...] | None = None
    closed: Mapping[date, str | None] = field(default_factory=dict)
    open: Mapping[date, tuple[tuple[Range, ...], str | None]] = field(default_factory=dict)

    def hours_on(self, day: date) -> tuple[tuple[Range, ...], str | None]:
        """The local day's opening ranges and why they differ from the week (None when they don't)."""
        if day in self.open:
            return self.open[day]
        if day in self.closed:
            return (), self.closed[day] or "day off"
        if self.country:
            if name := _year(self.country, day.year).names.get(day):
                return (), name
            if self.holiday_breaks and (name := _break_name(self.country, day)):
                return (), name
            if self.make_up_hours is not None and day in _year(self.country, day.year).workdays:
                return self.make_up_hours, MAKE_UP_LABEL
        return self.weekly[day.weekday()], None

    def _spans(self, day: date) -> list[Span]:
        # Local midnight plus minutes is wall-clock arithmetic; astimezone then finds the real offset,
        # so a day is 23 or 25 hours long where DST changes, and a time the clock skips lands as far after the jump.
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        return [
            ((midnight + timedelta(minutes=s)).astimezone(UTC), (midnight + timedelta(minutes=e)).astimezone(UTC))
            for s, e in self.hours_on(day)[0]
        ]

    def _ahead(self, now: datetime) -> Iterator[Span]:
        """Open spans that end after `now` (UTC), in order, joined where one day's hours run into the next's."""
        today = now.astimezone(self.zone).date()
        current: Span | None = None
        for offset in range(SEARCH_DAYS + 1):
            for start, end in self._spans(today + timedelta(days=offset)):
                if end <= now:
                    continue
                if current and start <= current[1]:
                    current = (current[0], max(current[1], end))
                    continue
                if current:
                    yield current
                current = (start, end)
        if current:
            yield current

    def is_open(self, at: datetime) -> bool:
        """Whether the calendar is open at this instant."""
        now = _utc(at)
        return any(start <= now < end for start, end in self._spans(now.astimezone(self.zone).date()))

    def next_open(self, at: datetime) -> datetime:
        """The next instant it opens (`at` itself when open), in the calendar's time zone."""
        now = _utc(at)
        for start, _ in self._ahead(now):
            return max(start, now).astimezone(self.zone)
        raise CalendarError(f"calendar {self.name!r} does not open in the {SEARCH_DAYS} days after {at.isoformat()}")

    def next_close(self, at: datetime) -> datetime | None:
        """The next instant it closes (`at` itself when closed), in its time zone; None if open SEARCH_DAYS on end."""
        now = _utc(at)
        last = now.astimezone(self.zone).date() + timedelta(days=SEARCH_DAYS + 1)
        horizon = datetime(last.year, last.month, last.day, tzinfo=self.zone)  # the end of the days _ahead looks at
        for start, end in self._ahead(now):
            if start > now:
                break
            return None if end >= horizon else end.astimezone(self.zone)
        return now.astimezone(self.zone)

    def why(self, at: datetime) -> str:
        """Open or closed, and why, for logs: 'closed: 国庆节 National Day (opens Thu 2026-10-08 08:30)'."""
        local = _utc(at).astimezone(self.zone)
        hours, label = self.hours_on(local.date())
        if self.is_open(at):
            close = self.next_close(at)
            when = f"closes {self._when(close, local)}" if close else f"does not close in the next {SEARCH_DAYS} days"
            return f"open: {label} ({when})" if label else f"open ({when})"
        try:
            when = f"opens {self._when(self.next_open(at), local)}"
        except CalendarError:
            when = f"does not open in the next {SEARCH_DAYS} days"
        return f"closed: {label if label and not hours else 'outside hours'} ({when})"

    @staticmethod
    def _when(instant: datetime, local: datetime) -> str:
        days = (instant.date() - local.date()).days
        day = DAY_NAMES[instant.weekday()]
        if days == 0:
            return instant.strftime("%H:%M")
        return f"{day} {instant:%H:%M}" if days < 7 else f"{day} {instant:%Y-%m-%d %H:%M}"


def business_seconds(calendar: Calendar, start: datetime, end: datetime) -> float:
    """The open seconds in [start, end), really elapsed (a DST day's whole day is 23 or 25 hours); 0 if end <= start."""
    begin, finish = _utc(start), _utc(end)
    if finish <= begin:
        return 0.0
    total = timedelta()
    day, last = begin.astimezone(calendar.zone).date(), finish.astimezone(calendar.zone).date()
    # Day by day, with no horizon: a local day's spans lie inside that day (a range may not cross midnight).
    while day <= last:
        for opens, closes in calendar._spans(day):
            if opens < finish and closes > begin:
                total += min(closes, finish) - max(opens, begin)
        day += timedelta(days=1)
    return total.total_seconds()  # summed as timedeltas: whole microseconds, no float drift over long ranges


def add_business(calendar: Calendar, start: datetime, seconds: float) -> datetime:
    """The UTC instant at which `seconds` open seconds have passed since `start` (counting from the next opening).

    The result is the earliest such instant, so a clock that runs out as the calendar closes ends at the close,
    not at the next opening. `seconds == 0` gives `start` when open, else the next opening: the instant the clock
    starts to run. CalendarError when the calendar does not open within SEARCH_DAYS of where the count stands.
    """
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"business seconds must be a finite number >= 0, got {seconds!r}")
    now = _utc(start)
    left = timedelta(seconds=seconds)  # whole microseconds, as datetimes are
    while True:
        # _ahead looks SEARCH_DAYS ahead; a count that runs past that (a year on a 24/7 calendar) looks again from
        # where it stopped, so only a calendar that really stays closed that long is an error.
        found = False
        for opens, closes in calendar._ahead(now):
            found = True
            counting = max(opens, now)
            if counting + left <= closes:
                return counting + left
            left -= closes - counting
            now = closes
        if not found:
            raise CalendarError(
                f"calendar {calendar.name!r} does not open in the {SEARCH_DAYS} days after "
                f"{now.astimezone(calendar.zone).isoformat()}, with {left.total_seconds():g} of {seconds:g} "
                f"business seconds from {start.isoformat()} still to count"
            )


class Calendars:
    """Every calendar of the file, by name."""

    def __init__(self, calendars: Mapping[str, Calendar]) -> None:
        self._calendars = dict(calendars)

    def __getitem__(self, name: str) -> Calendar:
        try:
            return self._calendars[name]
        except KeyError:
            raise KeyError(f"no calendar {name!r}; the calendars are: {', '.join(self.names())}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._calendars

    def names(self) -> list[str]:
        """The calendars' names, in file order."""
        return list(self._calendars)

    def is_open(self, name: str, at: datetime) -> bool:
        """Whether calendar `name` is open at this (timezone-aware) instant."""
        return self[name].is_open(at)

    def next_open(self, name: str, at: datetime) -> datetime:
        """When calendar `name` next opens (`at` when open); CalendarError if not within SEARCH_DAYS."""
        return self[name].next_open(at)

    def next_close(self, name: str, at: datetime) -> datetime | None:
        """When calendar `name` next closes (`at` when closed); None if it stays open for SEARCH_DAYS."""
        return self[name].next_close(at)

    def why(self, name: str, at: datetime) -> str:
        """Open or closed, and why, in one line for logs and explanations."""
        return self[name].why(at)
