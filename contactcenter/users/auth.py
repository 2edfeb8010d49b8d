"""Who is calling: the session cookie names a user; endpoints state the roles they allow."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import selectinload
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from contactcenter.context import Services
from contactcenter.errors import Forbidden, NotLoggedIn
from contactcenter.users.models import Role, User

T = TypeVar("T")

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


def _load(services: Services, user_id: int) -> CurrentUser | None:
    with services.db.reading() as session:
        user = session.get(User, user_id, options=[selectinload(User.queues)])
        if user is None or not user.active:
            return None
        return CurrentUser(
            user.id,
            user.username,
            user.display_name,
            user.role,
            tuple(q.name for q in user.queues),
            dict(user.skills),
            user.chat_capacity,
            user.team,
        )


async def current_user(conn: HTTPConnection) -> CurrentUser | None:
    """The logged-in user of this request or websocket, if any."""
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

    def run() -> T:
        return action(_checked(_load(services, user_id) if isinstance(user_id, int) else None, roles))

    return run
