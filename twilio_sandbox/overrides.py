"""Twilio's connection overrides: `#ct=…&rt=…&tt=…&rc=…&rp=…` after a webhook's URL
(https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides).

The fragment never goes on the wire and is no part of the signed URL. Twilio's defaults apply where a key
is absent: one retry (`rc=1`) of a failed connection only (`rp=ct`), so a 5xx answer is never retried unless
the URL asks for it; `tt` (at most 15 s) bounds every attempt together. The sandbox keeps its own
`http_timeout` as the connect and read timeouts unless `ct` or `rt` say otherwise; `e` (edge) and `sni`
change nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

import httpx

POLICIES = frozenset({"4xx", "5xx", "ct", "rt"})
MAX_RETRIES = 5
MAX_TOTAL_SECONDS = 15.0
# Twilio documents no delay between attempts; a short, growing one lets a restarting app come back.
RETRY_BACKOFF_SECONDS = 0.25


@dataclass(frozen=True)
class Overrides:
    """How one webhook is delivered: timeouts in seconds, how many retries, on which failures."""

    connect_timeout: float
    read_timeout: float
    total_seconds: float = MAX_TOTAL_SECONDS
    retries: int = 1
    policy: frozenset[str] = frozenset({"ct"})

    def backoff(self, attempt: int) -> float:
        """The pause before retry number `attempt` (1, 2, …): 0.25 s, 0.5 s, 1 s, …"""
        return float(RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))


def _milliseconds(value: str | None, low: int, high: int) -> float | None:
    """A timeout in seconds from milliseconds held to Twilio's range; None when absent or not a number."""
    if value is None or not value.isdigit():
        return None
    return min(max(int(value), low), high) / 1000


def split_overrides(url: str, default_timeout: httpx.Timeout) -> tuple[str, Overrides]:
    """The URL to request (no fragment) and the overrides its fragment names."""
    target, _, fragment = url.partition("#")
    fields = dict(parse_qsl(fragment, keep_blank_values=True))
    connect = _milliseconds(fields.get("ct"), 100, 10_000) or default_timeout.connect or MAX_TOTAL_SECONDS
    read = _milliseconds(fields.get("rt"), 100, 15_000) or default_timeout.read or MAX_TOTAL_SECONDS
    total = _milliseconds(fields.get("tt"), 100, 15_000) or MAX_TOTAL_SECONDS
    retries = fields.get("rc", "")
    policy = {p.strip() for p in fields.get("rp", "").split(",") if p.strip()}
    policy = set(POLICIES) if "all" in policy else policy & POLICIES
    return target, Overrides(
        connect_timeout=connect,
        read_timeout=read,
        total_seconds=total,
        retries=min(int(retries), MAX_RETRIES) if retries.isdigit() else 1,
        policy=frozenset(policy) if policy else frozenset({"ct"}),
    )


def failure_of(outcome: httpx.Response | Exception) -> str | None:
    """Which retry policy covers this outcome: `4xx`, `5xx`, `ct` (no connection), `rt` (no answer in the
    read timeout); None for a success, a 1xx-3xx answer, or a failure Twilio never retries (a partial one)."""
    if isinstance(outcome, httpx.Response):
        if 400 <= outcome.status_code < 500:
            return "4xx"
        return "5xx" if outcome.status_code >= 500 else None
    if isinstance(outcome, httpx.ConnectError | httpx.ConnectTimeout):
        return "ct"
    return "rt" if isinstance(outcome, httpx.ReadTimeout) else None
