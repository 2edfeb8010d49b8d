"""Redis key names and reply decoding shared by the engine and its readers (the Lua side is lua/lib/1_base.lua)."""

from __future__ import annotations

import json
from typing import Any, overload

PREFIX = "cc:{rt}:"
CHANNELS = ("voice", "chat")
ScriptArg = bytes | str | int | float  # what a Lua script's ARGV takes
# A contact's info as the scripts store it. Built once: json.dumps with options makes a new encoder
# on every call.
info_json = json.JSONEncoder(ensure_ascii=False).encode
Skills = dict[str, int]


_SORTED_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


def skills_json(skills: Skills | None) -> str:
    """Skills as the Lua scripts read them: levels 1-5, keys sorted so equal sets compare equal."""
    if not skills:
        return "{}"
    checked = {}
    for name, level in (skills or {}).items():
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
            raise ValueError(f"skill {name!r}: level must be a whole number from 1 to 5")
        checked[str(name)] = level
    return _SORTED_JSON(checked)


def waiting_key(prefix: str, queue: str, channel: str = "voice") -> str:
    """The sorted set of contacts waiting in a queue on a channel (voice keys have no channel prefix)."""
    return f"{prefix}{'chat-' if channel == 'chat' else ''}waiting:{queue}"


@overload
def decode(value: bytes | str) -> str: ...
@overload
def decode(value: object) -> Any: ...
def decode(value: Any) -> Any:
    """Redis replies as text (bytes → str, recursively through lists)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def pairs(flat: list[Any]) -> dict[str, str]:
    """A flat [field, value, ...] reply as a dict."""
    flat = decode(flat)
    return dict(zip(flat[::2], flat[1::2], strict=True))
