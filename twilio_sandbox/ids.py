"""Twilio-style identifiers and timestamps."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from email.utils import format_datetime

API_VERSION = "2010-04-01"


def new_sid(prefix: str) -> str:
    """Return a fresh SID such as 'CA' + 32 hex digits."""
    return prefix + secrets.token_hex(16)


def queue_sid(account_sid: str, name: str) -> str:
    """Return the stable QueueSid of a named queue ('QU' + 32 hex digits)."""
    # Derived from the name so the same queue keeps its SID across sandbox restarts.
    digest = hashlib.sha256(f"{account_sid}:{name}".encode()).hexdigest()
    return "QU" + digest[:32]


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


def rfc2822(moment: datetime | None) -> str | None:
    """Format a datetime the way Twilio's REST API and callbacks do (RFC 2822, +0000)."""
    if moment is None:
        return None
    return format_datetime(moment.astimezone(UTC))


def iso8601(moment: datetime | None) -> str | None:
    """Format a datetime for the sandbox's own control API."""
    return None if moment is None else moment.astimezone(UTC).isoformat()
