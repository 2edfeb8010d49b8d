"""The password rule, for every way a password is set (the CLI, an admin creating a user or resetting a
password, a user changing theirs): at least MIN_LENGTH characters, not the user name, not a common
password (common_passwords.txt, shipped with the app), not one with a common password at its core
(`password123456!`), and not a few characters repeated (`aaaaaaaaaaaa`, `abababababab`)."""

from __future__ import annotations

import re
import secrets
from functools import cache
from pathlib import Path

MIN_LENGTH = 12
MIN_DISTINCT = 5
COMMON = Path(__file__).with_name("common_passwords.txt")
_DECORATION = re.compile(r"^[\d\W_]+|[\d\W_]+$")  # digits and symbols people add around a word


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, username: str) -> str | None:
    """Why this password may not be used by this user (in English), or None if it may."""
    if len(password) < MIN_LENGTH:
        return f"password must be at least {MIN_LENGTH} characters"
    lowered, name = password.lower(), username.strip().lower()
    # Contained, for names long enough that this is no accident (a random password may hold "qa").
    if name and (lowered == name or (len(name) >= 4 and name in lowered)):
        return "password must not contain the user name"
    if len(set(lowered)) < MIN_DISTINCT:
        return f"password must use at least {MIN_DISTINCT} different characters"
    core = _DECORATION.sub("", lowered)
    if lowered in common_passwords() or (len(core) >= 4 and core in common_passwords()):
        return "password is too common (it is on the list of passwords attackers try first)"
    return None


def generated_password(*, username: str) -> str:
    """A random password of 16 characters that passes the rule (demo users', an admin's reset)."""
    while problem := password_problem(password := secrets.token_urlsafe(12), username=username):
        del problem  # a random one fails about never; try another
    return password
