"""State of one sandbox call and the plumbing that lets the outside steer its TwiML interpreter."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .caller import Caller
from .config import SAFETY_CAP_SECONDS
from .ids import iso8601, utcnow
from .signals import AgentHangup, ConferenceChanged, Fetch, HangupRequested, Interrupt

FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
STATUS_EVENTS = frozenset({"initiated", "ringing", "answered", "completed"})


@dataclass(frozen=True)
class StatusCallback:
    """Where Twilio reports the call's progress, and for which StatusCallbackEvent values."""

    url: str
    method: str = "POST"
    events: frozenset[str] = field(default_factory=lambda: frozenset({"completed"}))


class Call:
    """One sandbox call: who is on it, how far it got, its log and its interrupt plumbing."""

    def __init__(
        self,
        sid: str,
        from_: str,
        to: str,
        first: Fetch,
        *,
        caller: Caller | None = None,
        direction: str = "inbound",
        status_callback: StatusCallback | None = None,
        fallback: Fetch | None = None,
    ) -> None:
        self.sid = sid
        self.from_ = from_
        self.to = to
        self.first = first
        self.caller = caller or Caller()
        self.direction = direction
        self.status_callback = status_callback
        self.fallback = fallback  # the number's voice fallback URL: asked when a TwiML fetch fails
        self.status = "queued"
        self.created_at: datetime = utcnow()
        self.answered_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.duration: int | None = None
        self.queue: str | None = None
        self.queue_result: str | None = None
        self.dialed_client: str | None = None
        self.dialed_number: str | None = None
        self.bridged = False
        self.conference: str | None = None  # the FriendlyName of the last conference the call joined
        self.in_bridge = False
        self.caller_gone = False  # once true, webhooks report CallStatus=completed
        self.ending = False
        self.recording_sids: list[str] = []
        self.log: list[dict[str, Any]] = []
        self.last_document_url: str | None = None
        # Monotonic deadlines: when the scripted caller hangs up, and the hard cap.
        self.caller_deadline: float | None = None
        self._t0 = time.monotonic()
        self._cap_deadline = self._t0 + SAFETY_CAP_SECONDS
        self._pending: Interrupt | None = None
        self._wakeup = asyncio.Event()
        # Replaced on every log entry, so a watcher (the softphone's event stream) can await the next.
        self.log_changed = asyncio.Event()

    # -- progress ---------------------------------------------------------------------

    @property
    def final(self) -> bool:
        """Whether the call has reached a final status."""
        return self.status in FINAL_STATUSES

    @property
    def live(self) -> bool:
        """Whether the call can still be redirected or hung up."""
        return not self.final and not self.ending and not self.caller_gone

    @property
    def webhook_status(self) -> str:
        """CallStatus to report in webhooks right now."""
        return "completed" if self.caller_gone else self.status

    def elapsed(self) -> float:
        """Seconds since the call was placed."""
        return time.monotonic() - self._t0

    def record(self, event: str, **fields: Any) -> None:
        """Append an entry to the human-readable call log and wake whoever watches it."""
        self.log.append({"t": round(self.elapsed(), 3), "event": event, **fields})
        self.announce()

    def announce(self) -> None:
        """Wake whoever watches the call (a new log entry, or the final status published)."""
        changed, self.log_changed = self.log_changed, asyncio.Event()
        changed.set()

    # -- interrupts -------------------------------------------------------------------

    def interrupt(self, signal: Interrupt) -> bool:
        """Queue an interrupt for the interpreter; returns False if it cannot apply."""
        if not self.live:
            return False
        if isinstance(signal, AgentHangup) and not self.in_bridge:
            return False
        if isinstance(signal, ConferenceChanged) and self._pending is not None:
            return True  # whatever is pending wakes the participant as well
        if isinstance(self._pending, HangupRequested) and not isinstance(signal, HangupRequested):
            # A hangup already on its way wins over anything that arrives later.
            return False
        self._pending = signal
        self._wakeup.set()
        return True

    def poke(self) -> None:
        """Wake a waiting interpreter so it re-checks what it waits for (input, an answer)."""
        self._wakeup.set()

    def discard(self, kind: type[Interrupt]) -> None:
        """Forget a pending interrupt of one kind that no longer applies (e.g. the call left its conference)."""
        if isinstance(self._pending, kind):
            self._pending = None

    def clear_agent_hangup(self) -> None:
        """Forget an agent hangup that arrived as the bridge was ending anyway."""
        if isinstance(self._pending, AgentHangup):
            self._pending = None

    def checkpoint(self) -> None:
        """Raise a pending interrupt or an expired deadline; otherwise return."""
        if self._pending is not None:
            signal, self._pending = self._pending, None
            raise signal
        now = time.monotonic()
        if self.caller_deadline is not None and now >= self.caller_deadline:
            raise HangupRequested("caller")
        if now >= self._cap_deadline:
            raise HangupRequested("safety-cap")

    async def sleep(self, seconds: float, *, until: Callable[[], bool] | None = None) -> bool:
        """Wait `seconds` (inf allowed) unless an interrupt or deadline cuts it short.

        With `until`, return True as soon as it holds (checked whenever the call is poked);
        False means the full time passed.
        """
        end = time.monotonic() + seconds
        while True:
            self.checkpoint()
            if until is not None and until():
                return True
            limit = min(end, self._cap_deadline, self.caller_deadline or math.inf)
            remaining = limit - time.monotonic()
            if remaining <= 0:
                if limit == end:
                    return False
                continue  # a deadline passed: checkpoint() raises it
            # Nothing is pending (checked above, with no await since), so clearing loses no signal.
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=remaining)

    # -- views ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The call as the control API shows it."""
        return {
            "call_sid": self.sid,
            "direction": self.direction,
            "from": self.from_,
            "to": self.to,
            "status": self.status,
            "interactive": self.caller.interactive,
            "started_at": iso8601(self.created_at),
            "answered_at": iso8601(self.answered_at),
            "ended_at": iso8601(self.ended_at),
            "duration": self.duration,
            "queue": self.queue,
            "queue_result": self.queue_result,
            "dialed_client": self.dialed_client,
            "dialed_number": self.dialed_number,
            "bridged": self.bridged,
            "conference": self.conference,
            "status_callback": self.status_callback.url if self.status_callback else None,
            "recording_sids": list(self.recording_sids),
            "digits_left": self.caller.script_json(),
            "log": list(self.log),
        }
