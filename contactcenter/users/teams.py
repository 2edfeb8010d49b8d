"""Who supervises whom: team leads see and manage the agents of their own team, managers and
admins everyone (least privilege: a supervisor without a team manages nobody). QA staff watch every
team (the wallboard, listening in to calls) and manage nobody."""

from __future__ import annotations

from contactcenter.errors import Forbidden
from contactcenter.users.models import Role, User

EVERYONE_ROLES = frozenset({Role.MANAGER, Role.ADMIN})
AGENT_LIKE_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR})  # people who take contacts


class OutsideTeam(Forbidden):
    """The supervisor asked about, or acted on, an agent of another team."""


def sees_everyone(role: str) -> bool:
    return role in EVERYONE_ROLES


def watches_everyone(role: str) -> bool:
    """Whose wallboard shows every team: managers and admins, and QA staff (they review every team's calls)."""
    return sees_everyone(role) or role == Role.QA


def check_may_watch(*, role: str, team: str | None, agent: User) -> None:
    """Raise OutsideTeam unless the viewer may see (and listen to) `agent`: QA staff anyone, else as
    `check_may_supervise`."""
    if role != Role.QA:
        check_may_supervise(role=role, team=team, agent=agent)


def may_supervise(*, role: str, team: str | None, agent: User) -> bool:
    """Whether a supervisor/manager/admin of this role and team may see and manage `agent`."""
    if sees_everyone(role):
        return True
    return role == Role.SUPERVISOR and team is not None and agent.team == team


def check_may_supervise(*, role: str, team: str | None, agent: User) -> None:
    """Raise OutsideTeam, with a message that names the teams, unless `may_supervise`."""
    if not may_supervise(role=role, team=team, agent=agent):
        if team is None:
            raise OutsideTeam("You lead no team, so you may not manage agents; ask an admin to set your team.")
        raise OutsideTeam(
            f"Agent {agent.username} is in team {agent.team or '(none)'}, not in yours ({team}); "
            "supervisors manage their own team only."
        )
