"""Finding entries of the access log: filters from a query string, pages newest first, and the CSV export.

Times are stored in UTC; filters without an offset and every time shown are in the hotline's time zone.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from contactcenter.audit.access import Action, in_batches
from contactcenter.audit.models import AccessEntry
from contactcenter.db import Database
from contactcenter.errors import Invalid
from contactcenter.timeutil import as_utc

DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII only: str.isdigit() takes "²", which int() refuses
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
EXPORT_BATCH = 1000
ACTIONS = tuple(action.value for action in Action)
CSV_COLUMNS = (
    "seq",
    "time_local",
    "time_utc",
    "user_id",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "detail",
    "address",
    "hash",
)


@dataclass(frozen=True)
class Filters:
    """What to find: entries of a user (name), of an object (type, and id), of an action, in [since, until)."""

    user: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def as_text(self) -> str:
        """The filters in one line, as the export's own entry names them."""
        named = {
            "user": self.user,
            "object": f"{self.object_type or '*'}:{self.object_id or '*'}"
            if self.object_type or self.object_id
            else None,
            "action": self.action,
            "from": self.since.isoformat() if self.since else None,
            "to": self.until.isoformat() if self.until else None,
        }
        return " ".join(f"{key}={value}" for key, value in named.items() if value) or "all"


def _time(params: Mapping[str, str], name: str, zone: ZoneInfo) -> datetime | None:
    """An ISO 8601 date or time; one without an offset is in the hotline's time zone."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw)
        # Compared in UTC: SQLite compares the stored UTC text, whatever zone a value carries.
        return (when if when.tzinfo else when.replace(tzinfo=zone)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # OverflowError: a time that is before year 1 in UTC
        raise Invalid(f"{name} must be a date or a date and time such as 2026-12-06T09:30.") from exc


def _text(params: Mapping[str, str], name: str) -> str | None:
    """A text filter; None when empty. Invalid when it could match nothing (too long, or a NUL PostgreSQL refuses)."""
    value = (params.get(name) or "").strip()
    if len(value) > 255 or "\x00" in value:
        raise Invalid(f"{name} must be at most 255 characters, without NUL.")
    return value or None


def filters_from(params: Mapping[str, str], *, timezone: str) -> Filters:
    """The filters of a query string (user, object_type, object_id, action, from, to); Invalid when one is wrong."""
    zone = ZoneInfo(timezone)
    action = _text(params, "action")
    if action and action not in ACTIONS:
        raise Invalid(f"action must be one of {', '.join(ACTIONS)}.")
    found = Filters(
        user=_text(params, "user"),
        object_type=_text(params, "object_type"),
        object_id=_text(params, "object_id"),
        action=action,
        since=_time(params, "from", zone),
        until=_time(params, "to", zone),
    )
    if found.since and found.until and found.since >= found.until:
        raise Invalid("from must be before to.")
    return found


def page_from(params: Mapping[str, str]) -> tuple[int | None, int]:
    """(before, limit) of a query string: entries with a seq below `before` (None: from the newest), how many."""
    before, limit = params.get("before") or "", params.get("limit") or str(PAGE_SIZE)
    if before and not (DIGITS.fullmatch(before) and 0 < int(before) <= 2**63 - 1):
        raise Invalid("before must be an entry's seq (a positive whole number).")
    if not (DIGITS.fullmatch(limit) and 1 <= int(limit) <= MAX_PAGE_SIZE):
        raise Invalid(f"limit must be a whole number from 1 to {MAX_PAGE_SIZE}.")
    return (int(before) if before else None), int(limit)


def _query(filters: Filters) -> Select[AccessEntry]:
    query = select(AccessEntry)
    if filters.user:
        query = query.where(AccessEntry.username == filters.user)
    if filters.object_type:
        query = query.where(AccessEntry.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AccessEntry.object_id == filters.object_id)
    if filters.action:
        query = query.where(AccessEntry.action == filters.action)
    if filters.since:
        query = query.where(AccessEntry.at >= filters.since)
    if filters.until:
        query = query.where(AccessEntry.at < filters.until)
    return query


def entry_view(entry: AccessEntry, zone: ZoneInfo) -> dict[str, Any]:
    """An entry as the API, the page and the export show it: the time in UTC and in the hotline's zone."""
    at = as_utc(entry.at)
    return {
        "seq": entry.seq,
        "at": at.isoformat(),
        "at_local": at.astimezone(zone).isoformat(timespec="seconds"),
        "user_id": entry.user_id,
        "username": entry.username,
        "role": entry.role,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "detail": entry.detail,
        "address": entry.address,
        "hash": entry.hash,
    }


def find(
    session: Session, *, filters: Filters, before: int | None, limit: int, timezone: str
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of matching entries, newest first, and the `before` of the next (older) page, if any."""
    query = _query(filters).order_by(AccessEntry.seq.desc()).limit(limit + 1)
    if before is not None:
        query = query.where(AccessEntry.seq < before)
    rows = session.scalars(query).all()
    zone = ZoneInfo(timezone)
    page = [entry_view(entry, zone) for entry in rows[:limit]]
    return page, (rows[limit - 1].seq if len(rows) > limit else None)


def csv_chunks(db: Database, *, filters: Filters, timezone: str) -> Iterator[str]:
    """The matching entries as CSV, a batch at a time (UTF-8 with a BOM, so spreadsheets read the Chinese)."""
    zone = ZoneInfo(timezone)
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(CSV_COLUMNS)
    with db.reading() as session:
        for count, entry in enumerate(in_batches(session, _query(filters), EXPORT_BATCH), 1):
            view = entry_view(entry, zone)
            row = {**view, "time_local": view["at_local"], "time_utc": view["at"]}
            writer.writerow([_inert(row[column]) for column in CSV_COLUMNS])
            if count % EXPORT_BATCH == 0:
                yield out.getvalue()
                out.seek(0)
                out.truncate()
    yield out.getvalue()


def _inert(value: Any) -> Any:
    """A cell starting with = + - @ would be a formula in a spreadsheet program: kept as text instead."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
