"""What the ticket desk tells people live, one function per outgoing event (contract: tickets/events.md).

Items go on the chat hub's channel (contactcenter/chats/hub.py) addressed by `agent` (the user's id): every
process hands them to that user's console socket and, for team leads and managers, their wallboard's. The
notification itself is already a row, committed before this is called; a socket that was away reads
`GET /api/notifications`.
"""

from __future__ import annotations

import logging
from typing import Any

from redis import Redis

from contactcenter.chats.hub import publish
from contactcenter.tickets.models import Notification
from contactcenter.timeutil import as_utc

log = logging.getLogger(__name__)


def notification_view(notification: Notification) -> dict[str, Any]:
    """A notification as the console, the wallboard and the API show it."""
    created = as_utc(notification.created_at)
    return {
        "id": notification.id,
        "kind": notification.kind,
        "ticket_id": notification.ticket_id,
        "data": notification.data,
        "created_at": created.isoformat() if created else None,
        "read": notification.read_at is not None,
    }


def notifications_sent(redis: Redis, views: list[dict[str, Any]], users: list[int]) -> None:
    """`ticket.notification`: one item per person, as soon as the rows are committed."""
    for view, user in zip(views, users, strict=True):
        publish(redis, {"type": "ticket.notification", "agent": user, "notification": view})


def push_committed(redis: Redis, notifications: list[Notification]) -> None:
    """`notifications_sent` for rows just committed; a failure is logged, never raised (the rows stay, and a
    console reads them at its next start)."""
    if not notifications:
        return
    try:
        notifications_sent(redis, [notification_view(n) for n in notifications], [n.user_id for n in notifications])
    except Exception:
        log.warning("pushing %d notifications failed", len(notifications), exc_info=True)
