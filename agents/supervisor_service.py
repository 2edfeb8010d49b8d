"""What a supervisor's wallboard shows and who may see it: the agents in the viewer's scope (their
team, or everyone for managers, admins and QA staff), the queues those agents serve, the contacts waiting
there, and which routing events concern that scope. No HTTP here (agents/wallboard.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from agents.monitoring import monitors_view
from contactcenter import errors
from contactcenter.context import Services
from contactcenter.users.auth import CurrentUser
from contactcenter.users.models import User
from contactcenter.users.shifts import outside_shift_flags
from contactcenter.users.teams import AGENT_LIKE_ROLES, OutsideTeam, check_may_watch, watches_everyone
from queues.models import Queue

Event = dict[str, Any]


class NotFound(errors.NotFound):
    """No such agent (or not one who takes contacts)."""


@dataclass(frozen=True)
class Scope:
    """The agents and queues one viewer watches; `concerns` filters the routing events for them."""

    team: str | None
    everyone: bool
    agents: frozenset[str]  # user ids, as routing events name them
    queues: tuple[str, ...]  # in display order

    def concerns(self, event: Event) -> bool:
        if event.get("broadcast"):  # announcements go to every console and wallboard
            return True
        if str(event.get("agent", "")) in self.agents or str(event.get("to_agent", "")) in self.agents:
            return True
        # Contacts of the watched queues: waiting, moved in or out, overflowing, leaving.
        return event.get("queue") in self.queues or event.get("from_queue") in self.queues


def _agents(session: Session, viewer: CurrentUser) -> list[User]:
    query = (
        select(User)
        .where(User.active.is_(True), User.role.in_(list(AGENT_LIKE_ROLES)))
        .options(selectinload(User.queues))
        .order_by(User.team, User.display_name)
    )
    if not watches_everyone(viewer.role):
        if viewer.team is None:
            return []  # a team lead without a team leads nobody
        query = query.where(User.team == viewer.team)
    return list(session.scalars(query))


def _queues(session: Session, viewer: CurrentUser, agents: list[User]) -> list[Queue]:
    """Managers (and QA staff) watch every queue; a team lead the queues their team (and they themselves) serve."""
    every = list(session.scalars(select(Queue).order_by(Queue.name)))
    if watches_everyone(viewer.role):
        return every
    served = {q.name for agent in agents for q in agent.queues} | set(viewer.queues)
    return [q for q in every if q.name in served]


def scope_of(services: Services, viewer: CurrentUser) -> Scope:
    with services.db.session() as session:
        agents = _agents(session, viewer)
        queues = _queues(session, viewer, agents)
        return Scope(
            team=viewer.team,
            everyone=watches_everyone(viewer.role),
            agents=frozenset(str(a.id) for a in agents),
            queues=tuple(q.name for q in queues),
        )


def _ms(value: str | None) -> int | None:
    return int(float(value)) if value else None


def _contact_view(record: dict[str, str]) -> dict[str, Any]:
    info = json.loads(record.get("info") or "{}")
    return {
        "contact": record.get("id"),
        "queue": record.get("queue"),
        "channel": record.get("channel", "voice"),
        "state": record.get("state"),
        "priority": int(record.get("priority") or 0),
        "enqueued_at": _ms(record.get("enqueued_at")),
        "answered_at": _ms(record.get("answered_at")),
        "callback": bool(info.get("callback")),
        "info": info,
        "monitors": monitors_view(record.get("monitors")),  # who listens in to the call
    }


def _agent_view(user: User, live: dict[str, Any] | None, outside: dict[int, int]) -> dict[str, Any]:
    record = live["record"] if live else {}
    contact = _contact_view(live["contact"]) if live and live["contact"] else None
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "team": user.team,
        "queues": [q.name for q in user.queues],
        "state": record.get("state", "offline"),
        "reason": record.get("reason", ""),
        "since": _ms(record.get("since")),
        "chats": live["chats"] if live else 0,
        "contact": contact,
        # When they logged in outside their shift (Unix ms), if they did (contactcenter/users/shifts.py).
        "outside_shift_at": outside.get(user.id),
    }


def floor_snapshot(services: Services, viewer: CurrentUser) -> dict[str, Any]:
    """The wallboard's whole picture for this viewer, as of one sequence number (`seq`)."""
    with services.db.session() as session:
        agents = _agents(session, viewer)
        queues = _queues(session, viewer, agents)
        floor = services.routing.floor(queues=[q.name for q in queues], agents=[str(a.id) for a in agents])
        live = {entry["id"]: entry for entry in floor["agents"]}
        outside = outside_shift_flags(services.redis, user_ids=[a.id for a in agents])
        return {
            "type": "snapshot",
            "seq": floor["seq"],
            "scope": {"team": viewer.team, "everyone": watches_everyone(viewer.role)},
            "queues": [
                {
                    "name": q.name,
                    "display_name": q.display_name,
                    "service_level_percent": q.service_level_percent,
                    "service_level_seconds": q.service_level_seconds,
                    "stats": services.routing.queue_stats(queue=q.name),
                }
                for q in queues
            ],
            "agents": [_agent_view(a, live.get(str(a.id)), outside) for a in agents],
            "waiting": [_contact_view(c) for c in floor["waiting"]],
        }


def list_agents(services: Services, viewer: CurrentUser, team: str | None = None) -> list[dict[str, Any]]:
    """The agents grid's rows; `team` narrows it (a team lead asking for another team is refused)."""
    if team is not None and not watches_everyone(viewer.role) and team != viewer.team:
        raise OutsideTeam(f"You lead team {viewer.team or '(none)'}; the agents of team {team} are not yours to see.")
    with services.db.session() as session:
        agents = [a for a in _agents(session, viewer) if team is None or a.team == team]
        floor = services.routing.floor(queues=[], agents=[str(a.id) for a in agents])
        outside = outside_shift_flags(services.redis, user_ids=[a.id for a in agents])
        return [_agent_view(a, live, outside) for a, live in zip(agents, floor["agents"], strict=True)]


def agent_detail(services: Services, viewer: CurrentUser, agent_id: int) -> dict[str, Any]:
    """One agent's row of the grid; OutsideTeam for another team's agent, NotFound for nobody."""
    with services.db.session() as session:
        agent = session.get(User, agent_id, options=[selectinload(User.queues)])
        if agent is None or agent.role not in AGENT_LIKE_ROLES:
            raise NotFound("No such agent.")
        check_may_watch(role=viewer.role, team=viewer.team, agent=agent)
        floor = services.routing.floor(queues=[], agents=[str(agent.id)])
        return _agent_view(agent, floor["agents"][0], outside_shift_flags(services.redis, user_ids=[agent.id]))
