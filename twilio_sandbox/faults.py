"""Failures injected on purpose (POST /sandbox/faults), so the app's handling of them can be tested."""

from __future__ import annotations

from dataclasses import dataclass

SLOW_ANSWER_SECONDS = 2.0
# Longer than the app's REST timeout (10 s): the app gives up while Twilio, as it may, still acts.
SLOW_REDIRECT_SECONDS = 12.0
SLOW_FETCH_SECONDS = 3.0  # long enough to kill a worker in the middle of a download


@dataclass
class Faults:
    """Failures injected on purpose, to exercise the app's retry logic. Each counter is how many of the
    next matching requests fail; taking one counts it down."""

    recording_fetch_failures: int = 0
    client_call_failures: int = 0  # calls to `client:` identities that fail (CallStatus=failed) before ringing
    # Participants.json creates answered only after SLOW_ANSWER_SECONDS, the call placed already: the
    # window in which the new leg's callbacks, or late ones of an earlier leg, reach the app first.
    slow_participant_answers: int = 0
    call_redirect_failures: int = 0  # Calls/{Sid}.json updates with a Url answered 500 (Twilio's 20500), nothing done
    slow_call_redirects: int = 0  # Calls/{Sid}.json updates with a Url answered after SLOW_REDIRECT_SECONDS, then done
    slow_recording_fetches: int = 0  # recording media answered after SLOW_FETCH_SECONDS

    def _take(self, name: str) -> bool:
        left = int(getattr(self, name))
        if left > 0:
            setattr(self, name, left - 1)
        return left > 0

    def take_recording_fetch_failure(self) -> bool:
        """Consume one injected media failure; True if this fetch must fail."""
        return self._take("recording_fetch_failures")

    def take_slow_participant_answer(self) -> bool:
        """Consume one injected slow answer; True if this Participants.json create must answer late."""
        return self._take("slow_participant_answers")

    def take_call_redirect_failure(self) -> bool:
        """Consume one injected redirect failure; True if this call update must answer 500."""
        return self._take("call_redirect_failures")

    def take_client_call_failure(self) -> bool:
        """Consume one injected client-call failure; True if this call to a device must fail."""
        return self._take("client_call_failures")

    def take_slow_call_redirect(self) -> bool:
        """Consume one injected slow redirect; True if this call update must answer late."""
        return self._take("slow_call_redirects")

    def take_slow_recording_fetch(self) -> bool:
        """Consume one injected slow download; True if this media GET must answer late."""
        return self._take("slow_recording_fetches")
