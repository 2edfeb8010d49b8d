"""The routing scripts as Redis runs them: each `lua/*.lua` after the library `lua/lib/*.lua` (in name order).

Redis runs a script's whole text on every call, so every `local function` of the library is created
again each time, for every script. A library function that a script cannot reach (by name, from its own
text or from the library code it keeps) is left out of that script: the rest is the library unchanged,
in the same order. This only ever drops the definition of a function nobody calls; when in doubt (a
definition whose end is not where expected), the text is kept.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from redis import Redis
from redis.cluster import RedisCluster
from redis.commands.core import Script

LUA = Path(__file__).resolve().parent / "lua"
_FUNCTION = re.compile(r"local function ([A-Za-z_][A-Za-z0-9_]*)\(")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LINE_COMMENT = re.compile(r"^[ \t]*--.*$", re.MULTILINE)  # a whole-line comment: no code in it


def _names(text: str) -> set[str]:
    """Every word that may name a local in `text` (strings and trailing comments count too: keeping more is safe)."""
    return set(_NAME.findall(_LINE_COMMENT.sub("", text)))


def _chunks(library: str) -> list[tuple[str | None, str]]:
    """The library cut into (function name, text) pieces; name None for anything but a whole
    top-level `local function ... end` (which starts at column 0 and ends with `end` at column 0)."""
    pieces: list[tuple[str | None, list[str]]] = []
    for line in library.splitlines(keepends=True):
        match = _FUNCTION.match(line)
        starts_new = match or (line[:1] not in ("", " ", "\t", "\n") and line.rstrip() != "end")
        if starts_new or not pieces:
            pieces.append((match.group(1) if match else None, [line]))
        else:
            pieces[-1][1].append(line)
    out: list[tuple[str | None, str]] = []
    for name, lines in pieces:
        text = "".join(lines)
        body = text.rstrip()
        whole = name is not None and (body.endswith("\nend") or (len(lines) == 1 and body.endswith(" end")))
        out.append((name if whole else None, text))
    return out


@lru_cache(maxsize=4)
def _library_parts(library: str) -> tuple[list[tuple[str | None, str]], dict[str, set[str]], set[str]]:
    """The chunks; the names each function's text uses; the names the rest of the library uses."""
    chunks = _chunks(library)
    uses = {name: _names(text) for name, text in chunks if name is not None}
    always = set().union(*(_names(text) for name, text in chunks if name is None))
    return chunks, uses, always


@lru_cache(maxsize=64)
def shaken(library: str, script: str) -> str:
    """`library` then `script`, without the library functions the script cannot reach."""
    chunks, uses, always = _library_parts(library)
    wanted = _names(script) | always
    todo = [name for name in uses if name in wanted]
    while todo:
        for found in uses[todo.pop()] - wanted:
            wanted.add(found)
            if found in uses:
                todo.append(found)
    kept = "".join(text for name, text in chunks if name is None or name in wanted)
    return kept + "\n" + script


def load_scripts(redis: Redis | RedisCluster) -> dict[str, Script]:
    """Every routing script by name (`enqueue`, `accept`, ...), registered with `redis`."""
    library = "\n".join(path.read_text() for path in sorted((LUA / "lib").glob("*.lua")))
    return {path.stem: redis.register_script(shaken(library, path.read_text())) for path in LUA.glob("*.lua")}
