"""Validation of POST Calls.json (creating an outbound call), with Twilio's error codes."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .calls import STATUS_EVENTS, StatusCallback
from .config import E164_RE
from .signals import Fetch

DEFAULT_TIMEOUT = 60
MAX_TIMEOUT = 600


class CreateError(ValueError):
    """Twilio would refuse the request: HTTP 400 with this error code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CreateCall:
    """A valid request to place an outbound call."""

    to: str
    from_: str
    first: Fetch
    status_callback: StatusCallback | None
    timeout: float


def absolute_url(url: str) -> bool:
    """Whether `url` is an absolute http(s) URL, as Twilio requires for webhooks."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def method_param(form: dict[str, list[str]], name: str, code: int) -> str:
    """A GET/POST method parameter (default POST)."""
    value = (form.get(name) or ["POST"])[-1].upper() or "POST"
    if value not in ("GET", "POST"):
        raise CreateError(code, f"{name} must be GET or POST, not {value}")
    return value


def status_events(values: list[str]) -> frozenset[str]:
    """StatusCallbackEvent: repeated parameters (twilio-python) or space-separated values."""
    events = frozenset(word for value in values for word in value.replace(",", " ").split())
    unknown = events - STATUS_EVENTS
    if unknown:
        raise CreateError(21626, f"Invalid StatusCallbackEvent: {', '.join(sorted(unknown))}")
    return events or frozenset({"completed"})


def multi_form(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Form pairs by name, keeping repeated parameters (twilio-python repeats StatusCallbackEvent)."""
    form: dict[str, list[str]] = {}
    for key, value in pairs:
        form.setdefault(key, []).append(value)
    return form


def last(form: dict[str, list[str]], name: str) -> str | None:
    """The last value of a parameter, or None when it was not sent."""
    values = form.get(name)
    return values[-1] if values else None


def status_callback_param(form: dict[str, list[str]]) -> StatusCallback | None:
    """StatusCallback [+Method, +Event] of a call being created."""
    callback_url = last(form, "StatusCallback")
    if not callback_url:
        return None
    if not absolute_url(callback_url):
        raise CreateError(21609, f"StatusCallback is not a valid URL: {callback_url}")
    callback_method = method_param(form, "StatusCallbackMethod", 21609)
    return StatusCallback(callback_url, callback_method, status_events(form.get("StatusCallbackEvent", [])))


def parse_create(pairs: list[tuple[str, str]], numbers: set[str]) -> CreateCall:
    """Validate a Calls.json POST body (form pairs, in order); raise CreateError like Twilio."""
    form = multi_form(pairs)

    def one(name: str) -> str | None:
        return last(form, name)

    to, from_ = one("To"), one("From")
    if not to:
        raise CreateError(21201, "No 'To' number is specified")
    if not from_:
        raise CreateError(21213, "No 'From' number is specified")
    if not E164_RE.match(to):
        raise CreateError(21211, f"Invalid 'To' Phone Number: {to}")
    if from_ not in numbers:
        raise CreateError(21210, f"The source phone number provided, {from_}, is not yet verified for your account.")
    url, twiml = one("Url"), one("Twiml")
    if url is None and twiml is None:
        raise CreateError(
            21205, "Url parameter is required. For more information, see http://www.twilio.com/docs/api/twiml"
        )
    if twiml is None and url is not None and not absolute_url(url):
        raise CreateError(21205, f"Url is not a valid URL: {url}")
    method = method_param(form, "Method", 21209)
    status_callback = status_callback_param(form)
    return CreateCall(
        to=to,
        from_=from_,
        first=Fetch(None if twiml is not None else url, method, twiml, kind="outbound"),
        status_callback=status_callback,
        timeout=timeout_param(one("Timeout")),
    )


def timeout_param(raw: str | None) -> float:
    """Seconds to let the phone ring: a positive whole number, at most 600 (default 60)."""
    if raw is None or raw == "":
        return DEFAULT_TIMEOUT
    if not raw.isdigit() or int(raw) < 1:
        raise CreateError(21208, f"Invalid Timeout: {raw}")
    return min(int(raw), MAX_TIMEOUT)
