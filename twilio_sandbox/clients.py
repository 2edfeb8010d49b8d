"""Client devices (the agent console's browser phone in sandbox mode): registrations and their calls."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .calls import Call
from .ids import iso8601, utcnow

REGISTRATION_SECONDS = 60
CLIENT_PREFIX = "client:"  # how REST To and From name a client identity
IDENTITY_RE = re.compile(r"^[A-Za-z0-9_.@:-]{1,121}$")


@dataclass
class DeviceCall:
    """A <Dial><Client> leg as the device sees it: ringing until answered or rejected, then in progress."""

    identity: str
    call: Call  # the caller's call: its CallSid is what the device reports
    since: datetime = field(default_factory=utcnow)
    status: str = "ringing"
    outcome: str | None = None  # "answered" or "rejected", once the device decides
    muted: bool = False
    # True when the device is the far end of `call` itself (a REST-created conference participant),
    # not the agent side of a <Dial><Client> bridge.
    leg: bool = False

    def to_json(self) -> dict[str, Any]:
        """The device call as GET /sandbox/clients/{identity}/calls shows it."""
        return {
            "call_sid": self.call.sid,
            "from": self.call.from_,
            "status": self.status,
            "since": iso8601(self.since),
            "muted": self.muted,
        }


class ClientRegistry:
    """Which identities have a registered device, and the calls ringing or connected on each."""

    def __init__(self) -> None:
        self._expires: dict[str, float] = {}
        self._calls: dict[str, dict[str, DeviceCall]] = {}

    def register(self, identity: str) -> int:
        """Register (or keep registered) a device; returns the seconds the registration lasts."""
        self._expires[identity] = time.monotonic() + REGISTRATION_SECONDS
        return REGISTRATION_SECONDS

    def unregister(self, identity: str) -> bool:
        """Forget a device's registration; False if it was not registered."""
        return self._expires.pop(identity, None) is not None

    def is_registered(self, identity: str) -> bool:
        """Whether a device registered for `identity` recently enough."""
        return self._expires.get(identity, 0.0) > time.monotonic()

    def ring(self, identity: str, call: Call, *, leg: bool = False) -> DeviceCall:
        """A <Dial><Client> (or a call to `client:identity`) starts ringing the device."""
        device_call = DeviceCall(identity, call, leg=leg)
        self._calls.setdefault(identity, {})[call.sid] = device_call
        return device_call

    def end(self, device_call: DeviceCall) -> None:
        """The leg is over (answered call ended, rejected, timed out, caller gone)."""
        calls = self._calls.get(device_call.identity, {})
        if calls.get(device_call.call.sid) is device_call:
            del calls[device_call.call.sid]

    def forget(self, call: Call) -> None:
        """The call ended: no device shows it any more."""
        for calls in self._calls.values():
            calls.pop(call.sid, None)

    def calls(self, identity: str) -> list[DeviceCall]:
        """The device's ringing and connected calls, oldest first."""
        return sorted(self._calls.get(identity, {}).values(), key=lambda c: c.since)

    def find(self, identity: str, call_sid: str) -> DeviceCall | None:
        """One of the device's calls by the caller's CallSid."""
        return self._calls.get(identity, {}).get(call_sid)

    def decide(self, device_call: DeviceCall, outcome: str) -> bool:
        """Answer or reject a ringing call; False if it is not ringing (any more)."""
        if device_call.status != "ringing" or device_call.outcome is not None:
            return False
        device_call.outcome = outcome
        if outcome == "answered":
            device_call.status = "in-progress"  # the device is connected from its side at once
        device_call.call.poke()
        return True
