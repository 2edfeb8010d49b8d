"""State of one sandbox call and the signals that steer its TwiML interpreter."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .config import SAFETY_CAP_SECONDS, NumberConfig
from .ids import iso8601, utcnow

FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@dataclass(frozen=True)
class Fetch:
    """Where the call's next TwiML comes from: a URL to request, or inline TwiML."""

    url: str | None
    method: str = "POST"
    twiml: str | None = None
    kind: str = "redirect"


class Interrupt(Exception):
    """Something outside the running TwiML took over the call."""


class RedirectRequested(Interrupt):
    """The REST API gave the call new TwiML (Url or Twiml)."""

    def __init__(self, fetch: Fetch) -> None:
        super().__init__(f"redirected to {fetch.url or 'inline TwiML'}")
        self.fetch = fetch


class HangupRequested(Interrupt):
    """The caller, the REST API or the safety cap ended the call."""

    def __init__(self, by: str, status: str = "completed") -> None:
        super().__init__(f"hung up by {by}")
        self.by = by
        self.status = status


class AgentHangup(Interrupt):
    """The dialled party left the bridge; the caller stays on the line."""


class LeaveQueue(Exception):
    """A <Leave> verb ran inside a waitUrl document."""


class CallEnded(Exception):
    """The TwiML itself ended the call (<Hangup/>, <Reject>)."""

    def __init__(self, by: str, status: str = "completed") -> None:
        super().__init__(by)
        self.by = by
        self.status = status


class ApplicationError(CallEnded):
    """A webhook failed; Twilio would play its application-error message and hang up."""

    def __init__(self, reason: str) -> None:
        super().__init__("application-error")
        self.reason = reason


class Call:
    """One inbound sandbox call: caller script, progress, log and interrupt plumbing."""

    def __init__(
        self,
        sid: str,
        from_: str,
        to: str,
        number: NumberConfig,
        digits: Sequence[str] = (),
        hangup_after_queue: float | None = None,
        talk_seconds: float | None = None,
    ) -> None:
        self.sid = sid
        self.from_ = from_
        self.to = to
        self.number = number
        self.hangup_after_queue = hangup_after_queue
        self.talk_seconds = talk_seconds
        self.digits: deque[str] = deque(digits)
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
        """Append an entry to the human-readable call log."""
        self.log.append({"t": round(self.elapsed(), 3), "event": event, **fields})

    def next_digits(self) -> str | None:
        """Pop the caller's next scripted keypad entry, or None when the script is done."""
        return self.digits.popleft() if self.digits else None

    # -- interrupts -------------------------------------------------------------------

    def interrupt(self, signal: Interrupt) -> bool:
        """Queue an interrupt for the interpreter; returns False if it cannot apply."""
        if not self.live:
            return False
        if isinstance(signal, AgentHangup) and not self.in_bridge:
            return False
        if isinstance(self._pending, HangupRequested) and not isinstance(signal, HangupRequested):
            # A hangup already on its way wins over anything that arrives later.
            return False
        self._pending = signal
        self._wakeup.set()
        return True

    def clear_agent_hangup(self) -> None:
        """Forget an agent hangup that arrived as the bridge was ending anyway."""
        if isinstance(self._pending, AgentHangup):
            self._pending = None
            self._wakeup.clear()

    def checkpoint(self) -> None:
        """Raise a pending interrupt or an expired deadline; otherwise return."""
        if self._pending is not None:
            signal, self._pending = self._pending, None
            self._wakeup.clear()
            raise signal
        now = time.monotonic()
        if self.caller_deadline is not None and now >= self.caller_deadline:
            raise HangupRequested("caller")
        if now >= self._cap_deadline:
            raise HangupRequested("safety-cap")

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (inf allowed) unless an interrupt or deadline cuts it short."""
        until = time.monotonic() + seconds
        while True:
            self.checkpoint()
            limit = min(until, self._cap_deadline, self.caller_deadline or math.inf)
            remaining = limit - time.monotonic()
            if remaining <= 0:
                if limit == until:
                    return
                continue  # a deadline passed: checkpoint() raises it
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=remaining)

    # -- views ------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The call as the control API shows it."""
        return {
            "call_sid": self.sid,
            "from": self.from_,
            "to": self.to,
            "status": self.status,
            "started_at": iso8601(self.created_at),
            "answered_at": iso8601(self.answered_at),
            "ended_at": iso8601(self.ended_at),
            "duration": self.duration,
            "queue": self.queue,
            "queue_result": self.queue_result,
            "dialed_client": self.dialed_client,
            "dialed_number": self.dialed_number,
            "bridged": self.bridged,
            "recording_sids": list(self.recording_sids),
            "digits_left": list(self.digits),
            "log": list(self.log),
        }
