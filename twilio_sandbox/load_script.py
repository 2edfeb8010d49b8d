"""Caller profiles of a scripted load (`twilio-sandbox load --script FILE`), read from YAML or JSON."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .phones import PhoneBehaviour, parse_phone
from .script import ScriptEntry, ScriptError, parse_script, seconds_field

# A load caller talks this long with an agent (and on a callback) unless the profile or --talk-seconds
# says otherwise: simulated agents never hang up, so a caller who stayed would hold one for 600 s.
DEFAULT_TALK_SECONDS = 5.0


class LoadScriptError(ValueError):
    """The script file cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Profile:
    """One kind of caller: what they press or say, how patient they are, how they take a callback."""

    name: str
    weight: float
    script: tuple[ScriptEntry, ...]
    hangup_after_queue: float | None
    talk_seconds: float
    callback: PhoneBehaviour

    def call_body(self, from_: str, to: str) -> dict[str, Any]:
        """The POST /sandbox/calls body for one caller of this profile."""
        return {
            "from": from_,
            "to": to,
            "digits": [entry.to_json() for entry in self.script],
            "hangup_after_queue": self.hangup_after_queue,
            "talk_seconds": self.talk_seconds,
        }


def _profile(raw: object, index: int, default_talk_seconds: float) -> Profile:
    """One profile entry of the file."""
    where = f"profile {index + 1}"
    if not isinstance(raw, dict):
        raise ScriptError(f"{where} must be a mapping with at least a name")
    unknown = set(raw) - {"name", "weight", "digits", "hangup_after_queue", "talk_seconds", "callback"}
    if unknown:
        raise ScriptError(f"{where} has unknown field(s): {', '.join(sorted(unknown))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ScriptError(f"{where} needs a 'name'")
    weight = raw.get("weight", 1)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
        raise ScriptError(f"profile {name!r}: 'weight' must be a positive number")
    talk_seconds = seconds_field(raw, "talk_seconds", f"{name}.")
    if talk_seconds is None:
        talk_seconds = default_talk_seconds
    callback_raw = raw.get("callback") or {}
    if isinstance(callback_raw, dict) and "talk_seconds" not in callback_raw:
        callback_raw = {**callback_raw, "talk_seconds": talk_seconds}
    try:
        callback = parse_phone(callback_raw)
    except ScriptError as exc:
        raise ScriptError(f"profile {name!r}: callback: {exc}") from exc
    return Profile(
        name=name.strip(),
        weight=float(weight),
        script=parse_script(raw.get("digits"), f"{name}.digits"),
        hangup_after_queue=seconds_field(raw, "hangup_after_queue", f"{name}."),
        talk_seconds=talk_seconds,
        callback=callback,
    )


def parse_profiles(data: object, *, default_talk_seconds: float = DEFAULT_TALK_SECONDS) -> list[Profile]:
    """Profiles from decoded YAML/JSON: a list, or a mapping with a 'profiles' list; a profile without
    talk_seconds talks `default_talk_seconds`."""
    if isinstance(data, dict) and set(data) <= {"profiles"}:
        data = data.get("profiles")
    if not isinstance(data, list) or not data:
        raise ScriptError("the script must list caller profiles (a list, or 'profiles:' with a list)")
    profiles = [_profile(raw, index, default_talk_seconds) for index, raw in enumerate(data)]
    names = [p.name for p in profiles]
    if len(set(names)) != len(names):
        raise ScriptError("profile names must be unique")
    return profiles


def load_profiles(path: Path, *, default_talk_seconds: float = DEFAULT_TALK_SECONDS) -> list[Profile]:
    """Read and validate a script file (.json is JSON; anything else is YAML, a superset of JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LoadScriptError(f"cannot read {path}: {exc.strerror or exc}") from exc
    is_json = path.suffix.lower() == ".json"
    try:
        data = json.loads(text) if is_json else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise LoadScriptError(f"{path} is not valid {'JSON' if is_json else 'YAML'}: {exc}") from exc
    try:
        return parse_profiles(data, default_talk_seconds=default_talk_seconds)
    except ScriptError as exc:
        raise LoadScriptError(f"{path}: {exc}") from exc


def pick(profiles: list[Profile], rng: random.Random) -> Profile:
    """A profile chosen by weight."""
    return rng.choices(profiles, weights=[p.weight for p in profiles])[0]
