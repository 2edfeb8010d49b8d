"""Queue definitions in SQL (membership, display names); live state is in `engine.py`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from queues.models import Queue


def create_queue(session: Session, *, name: str, display_name: str, actor: str = "system") -> Queue:
    """Add a queue, or return the existing one of that name."""
    existing = session.scalar(select(Queue).where(Queue.name == name))
    if existing:
        return existing
    queue = Queue(name=name, display_name=display_name)
    session.add(queue)
    session.flush()
    record_event(session, actor=actor, subject_type="queue", subject_id=queue.id, kind="created", name=name)
    return queue


def queue_names(session: Session) -> set[str]:
    """Names of every defined queue."""
    return set(session.scalars(select(Queue.name)))


def display_names(session: Session) -> dict[str, str]:
    """Every queue's name for people (`repair` → "报修 Repairs"), by its code."""
    return {
        name: display for name, display in session.execute(select(Queue.name, Queue.display_name).order_by(Queue.name))
    }
