"""User administration (admins): list, create, edit, disable or enable a user, reset a password; and a
user changing their own password. A change of role, a disabled account and a new password end every
session of the user at once (contactcenter/users/sessions.py). Every change is audited."""

from __future__ import annotations

from typing import Any

from redis import Redis
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from contactcenter.audit.service import record_event
from contactcenter.errors import NotFound
from contactcenter.users.models import Role, User
from contactcenter.users.passwords import generated_password
from contactcenter.users.schemas import UserChanges
from contactcenter.users.service import (
    UserError,
    check_password,
    check_qa_lead,
    check_role,
    check_skills,
    hash_password,
    password_matches,
    queues_named,
)
from contactcenter.users.sessions import end_user_sessions


class NoSuchUser(NotFound):
    """No user has this id."""


def user_view(user: User) -> dict[str, Any]:
    """A user as the admin API shows it (never the password hash)."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "queues": [q.name for q in user.queues],
        "skills": dict(user.skills),
        "chat_capacity": user.chat_capacity,
        "team": user.team,
        "qa_lead": user.qa_lead,
        "active": user.active,
        "must_change_password": user.must_change_password,
        "created_at": user.created_at.isoformat(),
    }


def list_users(session: Session) -> list[User]:
    """Every user, disabled ones included, by user name."""
    return list(session.scalars(select(User).options(selectinload(User.queues)).order_by(User.username)))


def get_user(session: Session, *, user_id: int) -> User:
    """The user of this id; NoSuchUser if there is none."""
    user = session.get(User, user_id, options=[selectinload(User.queues)])
    if user is None:
        raise NoSuchUser(f"No user {user_id}.")
    return user


def update_user(session: Session, redis: Redis, *, user_id: int, changes: UserChanges, actor: str) -> User:
    """Change what `changes` names; a new role, or disabling, ends the user's sessions at once."""
    user = get_user(session, user_id=user_id)
    sent = changes.model_dump(exclude_unset=True)
    if "role" in sent:
        check_role(sent["role"])
    check_skills(sent.get("skills") or {}, sent.get("chat_capacity"))
    if sent.get("role", Role.QA) != Role.QA and user.qa_lead and "qa_lead" not in sent:
        sent["qa_lead"] = False  # a QA lead moved to another role leads QA no more
    check_qa_lead(role=sent.get("role", user.role), qa_lead=sent.get("qa_lead", user.qa_lead))
    before: dict[str, Any] = {}
    for field, value in sent.items():
        old = [q.name for q in user.queues] if field == "queues" else getattr(user, field)
        if old == value:
            continue
        before[field] = old
        if field == "queues":
            user.queues = queues_named(session, names=value)
        else:
            setattr(user, field, (value or None) if field == "team" else value)  # a blank team is none
    if not before:
        return user
    record_event(
        session,
        actor=actor,
        subject_type="user",
        subject_id=user.id,
        kind="updated",
        before=before,
        after={field: sent[field] for field in before},
    )
    if "role" in before or sent.get("active") is False:
        session.flush()
        end_user_sessions(redis, user_id=user.id)
    return user


def reset_password(session: Session, redis: Redis, *, user_id: int, password: str | None, actor: str) -> str:
    """Give the user a temporary password (this one, or a generated one, returned) that they must change at
    their next login; their sessions end at once."""
    user = get_user(session, user_id=user_id)
    temporary = password or generated_password(username=user.username)
    check_password(temporary, username=user.username)
    user.password_hash, user.must_change_password = hash_password(temporary), True
    record_event(session, actor=actor, subject_type="user", subject_id=user.id, kind="password_reset")
    session.flush()
    end_user_sessions(redis, user_id=user.id)
    return temporary


def change_password(session: Session, redis: Redis, *, user_id: int, current: str, new: str) -> User:
    """The user sets a new password (knowing the current one); every session of theirs ends."""
    user = get_user(session, user_id=user_id)
    if not password_matches(user, current):
        raise UserError("the current password is wrong")
    if new == current:
        raise UserError("the new password must differ from the current one")
    check_password(new, username=user.username)
    user.password_hash, user.must_change_password = hash_password(new), False
    record_event(session, actor=f"user:{user.id}", subject_type="user", subject_id=user.id, kind="password_changed")
    session.flush()
    end_user_sessions(redis, user_id=user.id)
    return user
