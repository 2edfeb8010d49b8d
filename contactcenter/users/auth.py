"""Who is calling: the session cookie names a user; endpoints state the roles they allow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import bindparam, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from contactcenter.context import Services
from contactcenter.errors import Forbidden, NotLoggedIn
from contactcenter.users.models import Role, User
from queues.models import Queue, queue_members

T = TypeVar("T")
USER = "cc.user"  # the scope key under which the route's policy (contactcenter/access) keeps the loaded user
# The scope key of a policy checked in as_user's hop: a callable(services, user) that raises its refusal.
PENDING_CHECK = "cc.pending_check"

QA_ROLES = frozenset({Role.QA, Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})
AGENT_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})
SUPERVISOR_ROLES = frozenset({Role.SUPERVISOR, Role.MANAGER, Role.ADMIN})
# Who may listen in to live calls (agents/monitoring.py): team leads (their own team's calls) and QA staff.
MONITOR_ROLES = frozenset({Role.SUPERVISOR, Role.QA})
# Who sees the wallboard: supervisors, and QA staff, who listen in to calls from it (they manage nobody).
WALLBOARD_ROLES = SUPERVISOR_ROLES | MONITOR_ROLES


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: str
    queues: tuple[str, ...]
    skills: dict[str, int]
    chat_capacity: int | None = None
    team: str | None = None
    qa_lead: bool = False


# Every authenticated request runs this: one Core query on the reader (no session, no ORM objects) took
# 0.1 ms where loading the User and its queues through the ORM took 0.7 ms, in an agent's accept before
# the caller's redirect could leave (bench/calls.py).
_LOGIN_CHECK = (
    select(
        User.id,
        User.username,
        User.display_name,
        User.role,
        User.skills,
        User.chat_capacity,
        User.team,
        User.qa_lead,
        User.active,
        Queue.name.label("queue"),
    )
    .outerjoin(queue_members, queue_members.c.user_id == User.id)
    .outerjoin(Queue, Queue.id == queue_members.c.queue_id)
    .where(User.id == bindparam("user_id"))
    .order_by(Queue.id)
)


def _load(services: Services, user_id: int) -> CurrentUser | None:
    with services.db.reader.connect() as connection:  # rolled back on leaving: it only reads
        rows = connection.execute(_LOGIN_CHECK, {"user_id": user_id}).all()
    if not rows or not rows[0].active:
        return None
    user = rows[0]
    return CurrentUser(
        user.id,
        user.username,
        user.display_name,
        user.role,
        tuple(row.queue for row in rows if row.queue is not None),
        dict(user.skills),
        user.chat_capacity,
        user.team,
        user.qa_lead,
    )


def load_user(services: Services, user_id: object) -> CurrentUser | None:
    """The active user of this id (a session's `user_id`), or None."""
    return _load(services, user_id) if isinstance(user_id, int) else None


def remember(conn: HTTPConnection, user: CurrentUser | None) -> None:
    """Keep the user the route's policy loaded, so that the endpoint reads no database for it again."""
    conn.scope[USER] = user


def remembered(conn: HTTPConnection) -> CurrentUser | None:
    user = conn.scope.get(USER)
    return user if isinstance(user, CurrentUser) else None


async def current_user(conn: HTTPConnection) -> CurrentUser | None:
    """The logged-in user of this request or websocket, if any (the one the policy loaded, if it did)."""
    if USER in conn.scope:
        return remembered(conn)
    user_id = conn.session.get("user_id")
    if not isinstance(user_id, int):
        return None
    return await run_in_threadpool(_load, conn.app.state.services, user_id)


async def require_user(conn: HTTPConnection, roles: frozenset[str] | None = None) -> CurrentUser:
    """The logged-in user; 401 if nobody is, 403 if their role may not do this."""
    return _checked(await current_user(conn), roles)


def _checked(user: CurrentUser | None, roles: frozenset[str] | None) -> CurrentUser:
    if user is None:
        raise NotLoggedIn("Log in first.")
    if roles is not None and user.role not in roles:
        raise Forbidden(f"Your role ({user.role}) may not do this.")
    return user


def as_user(conn: HTTPConnection, roles: frozenset[str], action: Callable[[CurrentUser], T]) -> Callable[[], T]:
    """`action` done as the logged-in user (checked as `require_user` does), for the thread pool: the
    user is read in the same hop as the work (one hop fewer on an agent's accept, on the caller's path)."""
    user_id = conn.session.get("user_id")
    services = conn.app.state.services
    policy_check = conn.scope.pop(PENDING_CHECK, None)  # the route's policy, checked in this same hop

    def run() -> T:
        user = load_user(services, user_id)
        if policy_check is not None:
            policy_check(services, user)
        return action(_checked(user, roles))

    return run
