"""Reading the console's JSON bodies into the service's arguments, with a clear message for each mistake."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from agents.service import AgentActionError
from agents.wrap_up import FollowUp, WrapUp
from contactcenter.tickets.lifecycle import FORMER_STATUSES


def _text(body: dict[str, Any], name: str, default: str | None = None) -> str | None:
    value = body.get(name, default)
    if value is None or isinstance(value, str):
        return value or default
    raise AgentActionError(f"{name} must be text.", 400)


def _when(value: object, timezone: str) -> datetime:
    """An ISO 8601 time; one without an offset is the hotline's local time (what the agent picked)."""
    if not isinstance(value, str):
        raise AgentActionError("follow_up.at must be a date and time such as 2026-11-24T10:30.", 400)
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise AgentActionError(f"follow_up.at {value!r} is not a date and time such as 2026-11-24T10:30.", 400) from exc
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(timezone))


def _status(value: str | None) -> str | None:
    """A ticket status as the form says it (a draft saved before lifecycles may say open or pending)."""
    return FORMER_STATUSES.get(value, value) if value else value


def wrap_up_form(body: dict[str, Any], *, timezone: str) -> WrapUp:
    """The wrap-up form: note, next_state, reason, disposition, category, ticket_status, follow_up."""
    follow_up = body.get("follow_up")
    if follow_up is not None and not isinstance(follow_up, dict):
        raise AgentActionError('follow_up must be {"kind": ..., "at": ..., "note": ...} or null.', 400)
    return WrapUp(
        note=_text(body, "note", "") or "",
        next_state=_text(body, "next_state", "available") or "available",
        reason=_text(body, "reason", "after_call_work") or "after_call_work",
        disposition=_text(body, "disposition"),
        category=_text(body, "category"),
        ticket_status=_status(_text(body, "ticket_status")),
        follow_up=FollowUp(
            kind=_text(follow_up, "kind", "") or "",
            at=_when(follow_up.get("at"), timezone),
            note=_text(follow_up, "note", "") or "",
        )
        if follow_up
        else None,
    )


def draft_form(body: dict[str, Any], *, timezone: str) -> WrapUp:
    """A wrap-up draft: the wrap-up form's fields as typed so far (where to go next is chosen on submitting)."""
    return wrap_up_form({k: v for k, v in body.items() if k not in ("next_state", "reason")}, timezone=timezone)
