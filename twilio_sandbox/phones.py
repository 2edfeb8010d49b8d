"""Simulated phones that outbound calls reach: whether they answer, how long they ring, what the person does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .script import ScriptEntry, ScriptError, parse_script, seconds_field

ANSWERS = ("answer", "busy", "no-answer", "failed")
MAX_RING_SECONDS = 600.0  # Twilio's largest Timeout


@dataclass(frozen=True)
class PhoneBehaviour:
    """What happens when the sandbox rings one number."""

    answer: str = "answer"
    ring_seconds: float | None = None  # None: the sandbox's ring_seconds
    script: tuple[ScriptEntry, ...] = ()
    talk_seconds: float | None = None  # hang up after this long bridged to an agent (None: stay)

    def to_json(self) -> dict[str, Any]:
        """The behaviour as the control API shows it."""
        return {
            "answer": self.answer,
            "ring_seconds": self.ring_seconds,
            "digits": [entry.to_json() for entry in self.script],
            "talk_seconds": self.talk_seconds,
        }


def parse_phone(body: object) -> PhoneBehaviour:
    """Validate a POST /sandbox/phones/{number} body; raise ScriptError with a readable message."""
    if not isinstance(body, dict):
        raise ScriptError("body must be a JSON object")
    unknown = set(body) - {"answer", "ring_seconds", "digits", "talk_seconds"}
    if unknown:
        raise ScriptError(f"unknown field(s): {', '.join(sorted(unknown))}")
    answer = body.get("answer", "answer")
    if answer not in ANSWERS:
        raise ScriptError(f"'answer' must be one of {', '.join(ANSWERS)}")
    ring_seconds = seconds_field(body, "ring_seconds")
    if ring_seconds is not None and ring_seconds > MAX_RING_SECONDS:
        raise ScriptError(f"'ring_seconds' must be at most {MAX_RING_SECONDS:g}")
    return PhoneBehaviour(
        answer=answer,
        ring_seconds=ring_seconds,
        script=parse_script(body.get("digits")),
        talk_seconds=seconds_field(body, "talk_seconds"),
    )


class PhoneBook:
    """Per-number behaviours; a number nobody configured answers after the usual ring."""

    def __init__(self) -> None:
        self._phones: dict[str, PhoneBehaviour] = {}

    def get(self, number: str) -> PhoneBehaviour:
        """How the phone at `number` behaves."""
        return self._phones.get(number, PhoneBehaviour())

    def set(self, number: str, behaviour: PhoneBehaviour) -> None:
        """Configure one number (replacing what was set before)."""
        self._phones[number] = behaviour

    def reset(self, number: str) -> None:
        """Back to the default behaviour."""
        self._phones.pop(number, None)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every configured number, for the control API."""
        return {number: phone.to_json() for number, phone in sorted(self._phones.items())}
