"""Personal data masked where it leaves the server: phone numbers, ID numbers and addresses.

One rule and one function. `sees_whole` says who needs personal data whole (supervisors, managers and
admins: docs/domain.md); `for_viewer` masks any JSON-able payload (a response body, a websocket event, the
rows of a page or an export) for everyone else, and for nobody in particular. Masking goes by what a value
is, wherever it sits: every E.164 number (+8613800138000), mainland mobile number (13800138000) and
18-character resident ID number in any text, and whole values under the keys that name an ID number or an
address. Showing a full number to someone without the need is an audited reveal (contactcenter/contacts/
reveal.py), never a bypass of this module.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Protocol, TypeVar

import phonenumbers

from contactcenter.users.models import Role

T = TypeVar("T")

# Who needs numbers whole: team leads, managers and admins follow up and escalate by phone.
# Agents recognise callers by the masked number; QA judges the talk, not the number.
WHOLE_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})

ID_NUMBER_KEYS = frozenset({"id_number", "id_card", "id_card_number", "national_id", "resident_id"})
ADDRESS_KEYS = frozenset({"address", "street_address", "home_address", "delivery_address", "shipping_address"})

# In any text: an E.164 number, a mainland mobile number, an 18-character resident ID (its birth date
# checked, so order and serial numbers are left alone). Neighbouring letters or digits mean it is part of
# something else (a SID, a hash, a longer number).
_IN_TEXT = re.compile(
    r"(?<![\w+])(?:"
    r"(?P<e164>\+\d{7,15})"
    r"|(?P<id>\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx])"
    r"|(?P<mobile>1[3-9]\d{9})"
    r")(?!\w)"
)
# An address's province, city and district (上海市浦东新区…, 广东省深圳市南山区…): what is kept of it.
_REGION = re.compile(
    r"^(?:.{2,7}?(?:省|自治区|特别行政区))?(?:.{2,9}?(?:市|自治州|地区|盟))?(?:.{1,9}?(?:区|县|旗|市))?"
)
HIDDEN = "****"


class Viewer(Protocol):
    @property
    def role(self) -> str: ...


def sees_whole(viewer: Viewer | None) -> bool:
    """Whether this viewer's role needs personal data whole (nobody does without a viewer)."""
    return viewer is not None and viewer.role in WHOLE_ROLES


def for_viewer(payload: T, viewer: Viewer | None) -> T:
    """The payload as this viewer may see it: whole for a role with the need, else masked."""
    return payload if sees_whole(viewer) else masked(payload)


def masked(payload: T) -> T:
    """The payload with every phone number, ID number and address masked; the same object when none is in it
    (so an event's stored text can still be sent as it is)."""
    return _masked(payload, None)  # type: ignore[no-any-return]


def _masked(value: Any, key: str | None) -> Any:
    if isinstance(value, str):
        if key in ID_NUMBER_KEYS:
            return mask_id_number(value)
        if key in ADDRESS_KEYS:
            return mask_address(value)
        return masked_text(value)
    if isinstance(value, dict):
        items = {k: _masked(v, k if isinstance(k, str) else None) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    if isinstance(value, list | tuple):
        entries = [_masked(v, key) for v in value]
        return value if all(a is b for a, b in zip(entries, value, strict=True)) else type(value)(entries)
    return value


def masked_text(text: str) -> str:
    """Free text (a ticket subject, a note, a chat message) with the numbers in it masked."""
    if not any(c.isdigit() for c in text):  # most text: no regex at all
        return text
    return _IN_TEXT.sub(_mask_match, text)


def _mask_match(match: re.Match[str]) -> str:
    if match["e164"]:
        return mask_phone(match["e164"])
    if match["id"]:
        return mask_id_number(match["id"])
    return match["mobile"][:3] + HIDDEN + match["mobile"][-4:]


@functools.lru_cache(maxsize=4096)  # parsing a number costs ~40 µs; the hotline's own is in every event
def mask_phone(number: str) -> str:
    """A number for people who need to recognise it, not to dial it: +86 138****8000.

    The country code and the first three and last four digits stay; anything not a phone number
    (client:agent-1, anonymous) is shown as it is, there being nothing to protect."""
    if not number.startswith("+"):
        return number
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number[:4] + HIDDEN
    national = str(parsed.national_number)
    if len(national) <= 7:
        return f"+{parsed.country_code} {national[:2]}{'*' * max(len(national) - 4, 1)}{national[-2:]}"
    return f"+{parsed.country_code} {national[:3]}{'*' * (len(national) - 7)}{national[-4:]}"


def mask_id_number(value: str) -> str:
    """An ID number with its first 3 and last 4 characters kept (110***********123X): the last 4 are what
    a caller is checked with (ivr/identity.py); the birth date and the rest stay hidden."""
    value = value.strip()
    if len(value) <= 8:
        return HIDDEN
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str) -> str:
    """An address with its province, city and district kept and the rest hidden (上海市浦东新区****);
    for one written the Western way, its last two parts (****, Pudong, Shanghai)."""
    value = value.strip()
    region = _REGION.match(value)
    kept = region.group(0) if region else ""
    if kept:
        return value if kept == value else kept + HIDDEN
    parts = [part.strip() for part in value.split(",")]
    if len(parts) >= 3:
        return ", ".join([HIDDEN, *parts[-2:]])
    return HIDDEN
