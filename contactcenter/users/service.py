"""Accounts: creating users, checking passwords (argon2)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.errors import Invalid
from contactcenter.users.models import Role, User
from contactcenter.users.passwords import password_problem
from queues.models import Queue

_hasher = PasswordHasher()


class UserError(Invalid):
    """A user cannot be created or changed as asked; the message says why (a 400 in the API)."""


def check_password(password: str, *, username: str) -> None:
    """Raise UserError unless the password passes the rule (contactcenter/users/passwords.py)."""
    if problem := password_problem(password, username=username):
        raise UserError(problem)


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def check_qa_lead(*, role: str, qa_lead: bool) -> None:
    """Only QA staff are made QA leads (managers and admins do what a QA lead does already)."""
    if qa_lead and role != Role.QA:
        raise UserError("only a QA user can be a QA lead (managers and admins already are)")


def check_role(role: str) -> None:
    """Raise UserError unless `role` is one of the roles."""
    if role not in Role.__members__.values():
        raise UserError(f"role must be one of {', '.join(r.value for r in Role)}")


def check_skills(skills: dict[str, int], chat_capacity: int | None) -> None:
    """Raise UserError unless each skill's level is 1-5 and the chat capacity 0-20."""
    for skill, level in skills.items():
        if not skill or isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 5:
            raise UserError(f"skill {skill!r}: level must be a whole number from 1 to 5")
    if chat_capacity is not None and not 0 <= chat_capacity <= 20:
        raise UserError("chat capacity must be from 0 to 20")


def queues_named(session: Session, *, names: list[str]) -> list[Queue]:
    """The queues of these names; UserError naming those that do not exist."""
    found = list(session.scalars(select(Queue).where(Queue.name.in_(names)))) if names else []
    missing = set(names) - {q.name for q in found}
    if missing:
        raise UserError(f"unknown queue(s): {', '.join(sorted(missing))}")
    return found


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
    qa_lead: bool = False,
    actor: str = "system",
) -> User:
    """Add a user; queues must already exist."""
    if not username or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise UserError("username may hold letters, digits, '.', '-' and '_' only")
    check_role(role)
    check_qa_lead(role=role, qa_lead=qa_lead)
    check_password(password, username=username)
    if session.scalar(select(User).where(User.username == username)):
        raise UserError(f"user {username!r} already exists")
    check_skills(skills or {}, chat_capacity)
    wanted = queues or []
    found = queues_named(session, names=wanted)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        skills=skills or {},
        chat_capacity=chat_capacity,
        team=team or None,
        qa_lead=qa_lead,
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
        **({"qa_lead": True} if qa_lead else {}),
    )
    return user


def password_matches(user: User, password: str) -> bool:
    """Whether `password` is the user's."""
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None:
        _hasher.hash(password)  # same cost whether or not the name exists
        return None
    return user if password_matches(user, password) else None
