"""A call Twilio (the sandbox) has finished and the product never heard of: the CallSid of a caller who
left while a store was out of reach, for the reconciler's and the rebuild's tests."""

from __future__ import annotations

import secrets

import httpx

from contactcenter.context import Services
from tests.hotline import wait_until
from tests.inprocess import HOTLINE
from twilio_sandbox import get_call


def finished_call(services: Services, sandbox_url: str) -> str:
    """An outbound call to a busy line: over at once, its news posted nowhere the product acts on."""
    number = f"+86139{secrets.randbelow(10**8):08d}"
    httpx.post(f"{sandbox_url}/sandbox/phones/{number}", json={"answer": "busy"}).raise_for_status()
    nowhere = services.settings.public_base_url + "/no-such-webhook"
    call_sid = services.telephony.create_call(to=number, from_=HOTLINE, url=nowhere, status_callback=nowhere)
    wait_until(lambda: get_call(sandbox_url, call_sid)["status"] in ("busy", "completed"), timeout=10)
    return call_sid
