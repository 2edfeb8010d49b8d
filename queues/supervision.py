"""Supervisor actions on live routing: reprioritize or move a waiting contact, force an agent's state."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from contactcenter.audit.service import record_event
from contactcenter.context import Services
from contactcenter.errors import APIError
from contactcenter.users.models import User
from contactcenter.users.teams import check_may_supervise
from queues.engine import RoutingError
from queues.models import Queue


class SupervisionError(APIError):
    """The action cannot be done (409 unless said otherwise); the message says why."""

    status = 409


@contextmanager
def routing_refusals() -> Iterator[None]:
    """Routing's refusals as the supervisor hears them: an unknown contact 404, a value routing does not
    take (a state, a priority) 400, anything else 409."""
    try:
        yield
    except RoutingError as exc:
        raise SupervisionError(str(exc), 404 if exc.code == "unknown" else 409, code=exc.code) from exc
    except ValueError as exc:
        raise SupervisionError(f"Bad request: {exc}", 400) from exc


def requeue_contact(services: Services, *, contact_id: int, priority: int, queue: str | None, actor: str) -> str:
    """Change a waiting contact's priority and/or queue; audited, and an event for every console."""
    with services.db.session() as session:
        if queue is not None and session.scalar(select(Queue.id).where(Queue.name == queue)) is None:
            raise SupervisionError(f"There is no queue {queue!r}.", 404)
        with routing_refusals():
            state = services.routing.requeue(contact_id=str(contact_id), priority=priority, queue=queue)
        record_event(
            session,
            actor=actor,
            subject_type="contact",
            subject_id=contact_id,
            kind="requeued",
            priority=priority,
            queue=queue,
        )
    return state


def force_agent_state(services: Services, *, agent_id: int, state: str, reason: str, actor: str) -> str:
    """Put an agent in a state (e.g. not ready after they walked away); audited."""
    with services.db.session() as session:
        agent = session.get(User, agent_id, options=[selectinload(User.queues)])
        if agent is None:
            raise SupervisionError("No such agent.", 404)
        _check_team(session, actor, agent)
        with routing_refusals():
            new_state = services.routing.set_agent_state(
                agent_id=str(agent.id),
                state=state,
                queues=[q.name for q in agent.queues],
                reason=reason,
                skills=dict(agent.skills),
                chat_capacity=agent.chat_capacity,
            )
        record_event(
            session,
            actor=actor,
            subject_type="agent",
            subject_id=agent.id,
            kind="state_forced",
            state=new_state,
            reason=reason,
        )
    return new_state


def _check_team(session: Session, actor: str, agent: User) -> None:
    """A team lead forces only their own team's agents (actors are written `user:<id>` by the routes)."""
    kind, _, actor_id = actor.partition(":")
    boss = session.get(User, int(actor_id)) if kind == "user" and actor_id.isdigit() else None
    if boss is None:
        return  # the system itself (CLI, jobs): not a person with a team
    check_may_supervise(role=boss.role, team=boss.team, agent=agent)
