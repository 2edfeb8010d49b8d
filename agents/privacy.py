"""What agents may see of a caller's number: masked (supervisors, managers and admins see it whole).

Agents never dial by hand (callbacks are dialled by the system), so the console shows enough to
recognise a caller (+86 138****8000). The routing events carry the number whole; a console socket
of an agent sends them masked.
"""

from __future__ import annotations

import json
from typing import Any

from contactcenter.customers.service import mask_phone
from contactcenter.users.auth import SUPERVISOR_ROLES
from queues.stream import text_of

PHONE_FIELDS = ("from", "callback_phone")


def sees_numbers(role: str) -> bool:
    """Roles with a need for whole numbers."""
    return role in SUPERVISOR_ROLES


def masked_info(info: dict[str, Any]) -> dict[str, Any]:
    """A contact's routing info with its phone numbers masked."""
    return {**info, **{name: mask_phone(info[name]) for name in PHONE_FIELDS if isinstance(info.get(name), str)}}


def event_text(event: dict[str, Any], *, masked: bool) -> str:
    """An event as the socket sends it: as stored, or (for an agent, when it names a caller) masked."""
    info = event.get("info")
    if masked and isinstance(info, dict):
        return json.dumps({**event, "info": masked_info(info)}, ensure_ascii=False)
    return text_of(event)
