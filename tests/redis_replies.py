"""Redis replies as the tests' clients get them: RESP2, undecoded bytes. redis-py types each reply for
RESP3 and for decoding clients as well, so each helper checks the one shape these clients are sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Entry = tuple[bytes, dict[bytes, bytes]]  # a stream entry: its id and its fields


def text(value: object) -> str:
    """A bytes reply (a value, a member, an entry id) as text."""
    assert isinstance(value, bytes), f"expected bytes from Redis, got {value!r}"
    return value.decode()


def texts(values: Iterable[object]) -> list[str]:
    """The members of a ZRANGE (without scores), SMEMBERS or HKEYS reply as text, in reply order."""
    return [text(value) for value in values]


def text_fields(reply: Mapping[Any, object]) -> dict[str, str]:
    """An HGETALL reply as text."""
    return {text(name): text(value) for name, value in reply.items()}


def entries(reply: Iterable[tuple[object, object]] | None) -> list[Entry]:
    """An XRANGE or XREVRANGE reply: each entry's id and fields."""
    assert reply is not None, "expected stream entries from Redis, got None"
    found: list[Entry] = []
    for entry_id, fields in reply:
        assert isinstance(entry_id, bytes) and isinstance(fields, dict), (entry_id, fields)
        found.append((entry_id, fields))
    return found
