"""A small synchronous client for the sandbox control API (CLI and end-to-end tests)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx

from .calls import FINAL_STATUSES

POLL_SECONDS = 0.1


class SandboxClientError(httpx.HTTPStatusError):
    """The sandbox refused a control request (an httpx.HTTPStatusError with its message)."""

    @classmethod
    def check(cls, response: httpx.Response, expected: int) -> None:
        """Raise unless the response has the expected status."""
        if response.status_code != expected:
            message = f"HTTP {response.status_code}: {_error_text(response)}"
            raise cls(message, request=response.request, response=response)


def _error_text(response: httpx.Response) -> str:
    """The sandbox's error message, or the raw body."""
    try:
        return str(response.json().get("error", response.text))
    except ValueError:
        return response.text


def place_call(
    sandbox_url: str,
    *,
    from_: str,
    to: str,
    digits: Sequence[str | dict[str, Any]] = (),
    hangup_after_queue: float | None = None,
    talk_seconds: float | None = None,
    interactive: bool = False,
) -> str:
    """Place an inbound sandbox call and return its CallSid.

    `digits` entries are keypad strings ("1234#") or objects ({"speech": "..."},
    {"digits": "9", "after_queue_seconds": 30}); an interactive call takes live input instead.
    """
    response = httpx.post(
        sandbox_url.rstrip("/") + "/sandbox/calls",
        json={
            "from": from_,
            "to": to,
            "digits": list(digits),
            "hangup_after_queue": hangup_after_queue,
            "talk_seconds": talk_seconds,
            **({"interactive": True} if interactive else {}),
        },
        timeout=10.0,
        trust_env=False,
    )
    SandboxClientError.check(response, 201)
    return str(response.json()["call_sid"])


def first_number(sandbox_url: str) -> str:
    """The first of the numbers the sandbox answers (ValueError when it has none)."""
    response = httpx.get(sandbox_url.rstrip("/") + "/sandbox/numbers", timeout=10.0, trust_env=False)
    SandboxClientError.check(response, 200)
    numbers = response.json()["numbers"]
    if not numbers:
        raise ValueError("the sandbox has no numbers to call")
    return str(numbers[0])


def get_call(sandbox_url: str, call_sid: str) -> dict[str, Any]:
    """Fetch one call's JSON from the control API."""
    response = httpx.get(f"{sandbox_url.rstrip('/')}/sandbox/calls/{call_sid}", timeout=10.0, trust_env=False)
    SandboxClientError.check(response, 200)
    data: dict[str, Any] = response.json()
    return data


def wait_for_call(sandbox_url: str, call_sid: str, *, timeout: float = 60.0) -> dict[str, Any]:
    """Poll until the call has a final status; return its JSON or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        call = get_call(sandbox_url, call_sid)
        if call["status"] in FINAL_STATUSES:
            return call
        if time.monotonic() >= deadline:
            raise TimeoutError(f"call {call_sid} still {call['status']!r} after {timeout:g} s")
        time.sleep(POLL_SECONDS)
