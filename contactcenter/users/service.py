"""Accounts: creating users, checking passwords (argon2)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.users.models import Role, User
from queues.models import Queue

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why."""


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    queues: list[str] | None = None,
    skills: dict[str, int] | None = None,
    chat_capacity: int | None = None,
    team: str | None = None,
    actor: str = "system",
) -> User:
    """Add a user; queues must already exist."""
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise UserError("username may hold letters, digits, '.', '-' and '_' only")
    if role not in Role.__members__.values():
        raise UserError(f"role must be one of {', '.join(r.value for r in Role)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User).where(User.username == username)):
        raise UserError(f"user {username!r} already exists")
    for skill, level in (skills or {}).items():
        if not skill or isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise UserError(f"skill {skill!r}: level must be a whole number from 1 to 5")
    if chat_capacity is not None and not 0 <= chat_capacity <= 20:
        raise UserError("chat capacity must be from 0 to 20")
    wanted = queues or []
    found = session.scalars(select(Queue).where(Queue.name.in_(wanted))).all() if wanted else []
    missing = set(wanted) - {q.name for q in found}
    if missing:
        raise UserError(f"unknown queue(s): {', '.join(sorted(missing))}")
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        skills=skills or {},
        chat_capacity=chat_capacity,
        team=team or None,
        queues=list(found),
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        subject_type="user",
        subject_id=user.id,
        kind="created",
        role=role,
        queues=wanted,
        team=team,
    )
    return user


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        _hasher.hash(password)  # same cost whether or not the name exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user
