"""The legs the sandbox placed to browser phones (agents', monitors'), and their status callbacks
delivered again — late or twice, as Twilio may."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.conftest import System
from tests.webhooks import signed_post


def client_legs(system: System, identity: str) -> list[dict[str, Any]]:
    """The calls the sandbox placed to a browser phone (`agent-<user id>`), oldest first."""
    calls = httpx.get(f"{system.sandbox_url}/sandbox/calls", timeout=10).json()["calls"]
    return [call for call in reversed(calls) if call["to"] == f"client:{identity}"]


def replay_status(system: System, leg: dict[str, Any], status: str) -> httpx.Response:
    """Deliver a leg's status callback (again), as Twilio does when it retries one or sends it late."""
    where = urlsplit(leg["status_callback"])
    params = {"AccountSid": system.credentials[0], "CallSid": leg["call_sid"], "CallStatus": status}
    return signed_post(system, f"{where.path}?{where.query}", params)
