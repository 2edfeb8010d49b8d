"""Exceptions that steer a call's TwiML interpreter from outside (interrupts) or from the TwiML itself."""

from __future__ import annotations

from dataclasses import dataclass


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
    """The TwiML itself (<Hangup/>, <Reject>) or the called phone (busy, no answer) ended the call."""

    def __init__(self, by: str, status: str = "completed") -> None:
        super().__init__(by)
        self.by = by
        self.status = status


class ApplicationError(CallEnded):
    """A webhook failed; Twilio would play its application-error message and hang up."""

    def __init__(self, reason: str) -> None:
        super().__init__("application-error")
        self.reason = reason


class ConferenceChanged(Interrupt):
    """The conference around a participant changed (it started, a hold, a kick, its end): look again."""
