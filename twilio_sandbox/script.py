"""What a simulated caller does at each <Gather>: scripted entries, or live input from a person."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

DIGITS_RE = re.compile(r"^[0-9*#]+$")
MAX_SPEECH_CHARS = 500


class ScriptError(ValueError):
    """A script entry or a live input is malformed; the message is shown to the client."""


@dataclass(frozen=True)
class ScriptEntry:
    """One answer of a scripted caller: keys, or words, possibly held until they have queued long enough."""

    digits: str | None = None
    speech: str | None = None
    after_queue_seconds: float = 0.0

    @property
    def kind(self) -> str:
        """'dtmf' or 'speech': which kind of <Gather> input can take this entry."""
        return "speech" if self.speech is not None else "dtmf"

    def to_json(self) -> str | dict[str, Any]:
        """A plain digits entry stays a string, as callers wrote it; anything else is an object."""
        if self.speech is None and not self.after_queue_seconds:
            return self.digits or ""
        shown: dict[str, Any] = {"speech": self.speech} if self.speech is not None else {"digits": self.digits}
        if self.after_queue_seconds:
            shown["after_queue_seconds"] = self.after_queue_seconds
        return shown


@dataclass(frozen=True)
class LiveInput:
    """One thing a live caller did: a key press ('dtmf') or something said ('speech')."""

    kind: str
    value: str


def _digits(value: object, where: str) -> str:
    """A keypad string such as '1' or '1234#'."""
    if not isinstance(value, str) or not DIGITS_RE.match(value):
        raise ScriptError(f'{where} must be keypad keys (0-9, * and #), such as "1" or "1234#"')
    return value


def _speech(value: object, where: str) -> str:
    """Words a caller says: non-empty text of reasonable length."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_SPEECH_CHARS:
        raise ScriptError(f"{where} must be non-empty text of at most {MAX_SPEECH_CHARS} characters")
    return value.strip()


def seconds_field(body: dict[str, Any], key: str, where: str = "") -> float | None:
    """An optional non-negative, finite number of seconds."""
    value = body.get(key)
    if value is None:
        return None
    # bool is an int subclass; "true" seconds is surely a mistake.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ScriptError(f"'{where}{key}' must be a number of seconds or null")
    if value < 0:
        raise ScriptError(f"'{where}{key}' must not be negative")
    return float(value)


def parse_entry(raw: object, where: str = "entry") -> ScriptEntry:
    """One script entry: "1234#", {"speech": "..."} or {"digits": "1", "after_queue_seconds": 30}."""
    if isinstance(raw, str):
        return ScriptEntry(digits=_digits(raw, where))
    if not isinstance(raw, dict):
        raise ScriptError(f'{where} must be a keypad string or an object such as {{"speech": "repair"}}')
    unknown = set(raw) - {"digits", "speech", "after_queue_seconds"}
    if unknown:
        raise ScriptError(f"{where} has unknown field(s): {', '.join(sorted(unknown))}")
    if ("digits" in raw) == ("speech" in raw):
        raise ScriptError(f"{where} needs exactly one of 'digits' or 'speech'")
    wait = seconds_field(raw, "after_queue_seconds", f"{where}.") or 0.0
    if "speech" in raw:
        return ScriptEntry(speech=_speech(raw["speech"], f"{where}.speech"), after_queue_seconds=wait)
    return ScriptEntry(digits=_digits(raw["digits"], f"{where}.digits"), after_queue_seconds=wait)


def parse_script(raw: object, field: str = "digits") -> tuple[ScriptEntry, ...]:
    """A list of script entries (absent or null means none)."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ScriptError(f'\'{field}\' must be a list such as ["1", {{"speech": "repair"}}, "1234#"]')
    return tuple(parse_entry(entry, f"{field}[{index}]") for index, entry in enumerate(raw))


def parse_live_input(raw: object) -> list[LiveInput]:
    """A POST .../input body: {"digits": "12#"} (one input per key) or {"speech": "..."}."""
    if not isinstance(raw, dict) or len(raw) != 1 or not {"digits", "speech"} & set(raw):
        raise ScriptError('body must be {"digits": "1"} or {"speech": "..."}')
    if "speech" in raw:
        return [LiveInput("speech", _speech(raw["speech"], "'speech'"))]
    return [LiveInput("dtmf", key) for key in _digits(raw["digits"], "'digits'")]
