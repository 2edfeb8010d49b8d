"""What the ticket desk reads from a request (contract: tickets/api.yml): the JSON bodies, as pydantic reads
them, and the list's query string (`list_query`). Anything else is a 400 naming the field or parameter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from contactcenter.errors import MAX_ID, Invalid
from contactcenter.tickets import desk
from contactcenter.tickets.lifecycle import State
from contactcenter.tickets.search import MAX_QUERY_CHARS, query_tokens


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text cannot hold the NUL character")  # PostgreSQL refuses it in text (a 500 otherwise)
    return value


Text = AfterValidator(_no_nul)
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Long = Annotated[str, StringConstraints(max_length=20_000), Text]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), Text]
Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256), Text]
NoteBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000), Text]
ViewName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), Text]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatusChange(_Body):
    status: Annotated[str, StringConstraints(max_length=32), Text]
    why: Reason | None = None


class Assignment(_Body):
    assignee_id: Id | None


class NewNote(_Body):
    body: NoteBody
    kind: Literal["note", "reply"] = "note"


class FieldChanges(_Body):
    """The ticket's own fields; a field not sent stays as it is, null empties it (not the subject)."""

    subject: Subject | None = None
    description: Long | None = None
    product_model: Annotated[str, StringConstraints(strip_whitespace=True, max_length=128), Text] | None = None
    serial_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), Text] | None = None
    purchase_date: date | None = None
    solution: Long | None = None
    outcome: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32), Text] | None = None
    category: Annotated[str, StringConstraints(max_length=64), Text] | None = None
    # A complaint: the agent it is about, and whether its handling found it justified (counted for flags).
    about_agent_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    substantiated: bool | None = None
    # The group (a queue) the ticket is routed to, and the deadline it is given.
    queue: Annotated[str, StringConstraints(max_length=64), Text] | None = None
    routed_deadline: AwareDatetime | None = None

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class Escalation(_Body):
    level: Annotated[int, Field(ge=1, le=2)] | None = None  # none: one level up
    reason: Reason = ""


class MergeInto(_Body):
    into: Id


class ViewToSave(_Body):
    name: ViewName
    filters: dict[
        Annotated[str, StringConstraints(max_length=32), Text], Annotated[str, StringConstraints(max_length=200), Text]
    ]


class PolicyChange(_Body):
    minutes: Annotated[int, Field(ge=1, le=525_600)]
    calendar: Annotated[str, StringConstraints(max_length=64), Text] | None = None
    warn_percent: Annotated[int, Field(ge=1, le=99)] = 80
    enabled: bool = True


class CallbackRequest(_Body):
    kind: Literal["callback", "return_visit"] = "callback"
    at: Annotated[str, StringConstraints(max_length=40), Text]
    note: Annotated[str, StringConstraints(max_length=500), Text] = ""


# ---- the list's query string (GET /api/tickets) ----------------------------------------------------------

PAGE = 50  # rows when `limit` is not given
MOMENTS = ("created_from", "created_to", "updated_from", "updated_to")


@dataclass(frozen=True)
class ListQuery:
    """What GET /api/tickets was asked: the filters, a page's size, the cursor (`<updated_at>_<id>` in UTC)."""

    filters: desk.Filters
    limit: int
    after: str | None


def _number(params: Mapping[str, str], name: str) -> int | None:
    """A whole number of the query (ASCII digits only: str.isdigit takes ² and ١٢, which int() refuses or reads)."""
    value = params.get(name, "")
    if value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise Invalid(f"{name} must be a whole number (at most 9 digits).")
    return int(value)


def _moment(name: str, value: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date or date and time, in UTC (without an offset: the hotline's time). SQLite compares the
    stored UTC text whatever zone a value carries, so every bound is given in UTC."""
    try:
        at = datetime.fromisoformat(value)
        return (at if at.tzinfo else at.replace(tzinfo=zone)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:  # OverflowError: before year 1 or after 9999 in UTC
        raise Invalid(f"{name} must be a date or date and time such as 2026-12-07 or 2026-12-07T09:00.") from exc


def _text(params: Mapping[str, str], name: str, *, limit: int = 64) -> str | None:
    """A text filter; None when empty. Invalid when it could match nothing (too long, or a NUL PostgreSQL refuses)."""
    value = params.get(name, "").strip()
    if len(value) > limit or "\x00" in value:
        raise Invalid(f"{name} must be at most {limit} characters, without NUL.")
    return value or None


def _cursor(value: str, zone: ZoneInfo) -> str | None:
    """The `after` of a page (the `next` of the previous one), checked: no SQL sees an id past its integers."""
    if not value:
        return None
    at, _, ident = value.rpartition("_")
    if not at or not (ident.isascii() and ident.isdigit()) or int(ident) > MAX_ID:
        raise Invalid("after must be the `next` value of an earlier page.")
    return f"{_moment('after', at, zone).isoformat()}_{int(ident)}"


def list_query(params: Mapping[str, str], *, timezone: str) -> ListQuery:
    """The list's query string read (api.yml, GET /api/tickets); Invalid naming the first parameter that is wrong."""
    zone = ZoneInfo(timezone)
    view = params.get("view") or "mine"
    if view not in desk.VIEWS:
        raise Invalid(f"view must be one of: {', '.join(desk.VIEWS)}.")
    statuses = tuple(s.strip() for s in params.get("status", "").split(",") if s.strip())
    unknown = [s for s in statuses if s not in State.__members__.values()]
    if unknown:
        raise Invalid(f"Unknown status {unknown[0]!r}; statuses are: {', '.join(s.value for s in State)}.")
    due = params.get("due") or None
    if due is not None and due not in desk.DUE_FILTERS:
        raise Invalid(f"due must be one of: {', '.join(desk.DUE_FILTERS)}.")
    q = _text(params, "q", limit=MAX_QUERY_CHARS)  # empty: no search
    if q is not None:
        try:
            query_tokens(q)  # the words it searches for (segmenting 256 characters twice costs nothing)
        except Invalid as exc:
            raise Invalid(f"q: {exc}") from exc  # only punctuation: no word to search for
    limit = _number(params, "limit")
    if limit is not None and not 1 <= limit <= desk.MAX_PAGE:
        raise Invalid(f"limit must be a whole number from 1 to {desk.MAX_PAGE}.")
    moment = {name: _moment(name, params[name], zone) if params.get(name) else None for name in MOMENTS}
    filters = desk.Filters(
        view=view,
        status=statuses,
        category=_text(params, "category"),
        assignee_id=_number(params, "assignee_id"),
        queue=_text(params, "queue"),
        customer_id=_number(params, "customer_id"),
        due=due,
        created_from=moment["created_from"],
        created_to=moment["created_to"],
        updated_from=moment["updated_from"],
        updated_to=moment["updated_to"],
        q=q,
    )
    return ListQuery(filters, PAGE if limit is None else limit, _cursor(params.get("after", ""), zone))
