"""Failures injected on purpose (POST /sandbox/faults), so the app's handling of them can be tested."""

from __future__ import annotations

from dataclasses import dataclass

SLOW_ANSWER_SECONDS = 2.0


@dataclass
class Faults:
    """Failures injected on purpose, to exercise the app's retry logic."""

    recording_fetch_failures: int = 0
    client_call_failures: int = 0  # calls to `client:` identities that fail (CallStatus=failed) before ringing
    # Participants.json creates answered only after SLOW_ANSWER_SECONDS, the call placed already: the
    # window in which the new leg's callbacks, or late ones of an earlier leg, reach the app first.
    slow_participant_answers: int = 0
    call_redirect_failures: int = 0  # Calls/{Sid}.json updates with a Url answered 500 (Twilio's 20500), nothing done

    def take_recording_fetch_failure(self) -> bool:
        """Consume one injected media failure; True if this fetch must fail."""
        if self.recording_fetch_failures > 0:
            self.recording_fetch_failures -= 1
            return True
        return False

    def take_slow_participant_answer(self) -> bool:
        """Consume one injected slow answer; True if this Participants.json create must answer late."""
        if self.slow_participant_answers > 0:
            self.slow_participant_answers -= 1
            return True
        return False

    def take_call_redirect_failure(self) -> bool:
        """Consume one injected redirect failure; True if this call update must answer 500."""
        if self.call_redirect_failures > 0:
            self.call_redirect_failures -= 1
            return True
        return False

    def take_client_call_failure(self) -> bool:
        """Consume one injected client-call failure; True if this call to a device must fail."""
        if self.client_call_failures > 0:
            self.client_call_failures -= 1
            return True
        return False
