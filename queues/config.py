"""Queue settings: validated, stored in SQL, published to Redis so routing uses them at once."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.errors import Invalid
from queues.engine import RoutingEngine
from queues.models import Queue

Strategy = Literal["longest_idle", "fewest_today", "round_robin", "best_skill"]


class OverflowStep(BaseModel):
    """After `after_seconds` in the queue, widen who may take the contact (steps add up)."""

    model_config = ConfigDict(extra="forbid")

    after_seconds: int = Field(ge=1, le=86400)
    lower_levels_by: int = Field(default=0, ge=0, le=4)
    queues: list[str] = Field(default_factory=list, max_length=20)
    any_agent: bool = False

    @model_validator(mode="after")
    def _widens_something(self) -> OverflowStep:
        if not (self.lower_levels_by or self.queues or self.any_agent):
            raise ValueError("an overflow step must lower levels, add queues or allow any agent")
        return self


class QueueSettings(BaseModel):
    """What a supervisor may change about a queue (every field optional in an update)."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=128)
    skills: dict[str, int] | None = None
    strategy: Strategy | None = None
    offer_timeout_seconds: int | None = Field(default=None, ge=5, le=120)
    wrapup_seconds: int | None = Field(default=None, ge=0, le=3600)
    service_level_percent: int | None = Field(default=None, ge=1, le=100)
    service_level_seconds: int | None = Field(default=None, ge=1, le=3600)
    # Bounded like every other number here: a day, and more callers than any hotline has (unbounded, 10**30
    # reached the database and Redis as a number neither holds).
    max_wait_seconds: int | None = Field(default=None, ge=10, le=86400)
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    calendar: str | None = Field(default=None, max_length=64)
    overflow: list[OverflowStep] | None = Field(default=None, max_length=10)
    aging_seconds_per_priority: int | None = Field(default=None, ge=1, le=86400)
    weight: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _steps_in_time_order(self) -> QueueSettings:
        times = [step.after_seconds for step in self.overflow or []]
        if times != sorted(set(times)):
            raise ValueError("overflow steps must come in increasing after_seconds")
        return self


def queue_view(queue: Queue) -> dict[str, Any]:
    """A queue and its settings as JSON-ready data."""
    fields = QueueSettings.model_fields
    return {"name": queue.name, **{name: getattr(queue, name) for name in fields}}


def _overflow_for_routing(queue: Queue) -> list[dict[str, Any]]:
    return [
        {
            "after_ms": step["after_seconds"] * 1000,
            "lower_levels_by": step.get("lower_levels_by", 0),
            "queues": step.get("queues", []),
            "any_agent": step.get("any_agent", False),
        }
        for step in queue.overflow or []
    ]


def publish(engine: RoutingEngine, queue: Queue) -> None:
    """Hand one queue's routing settings to the engine."""
    engine.configure_queue(
        name=queue.name,
        offer_timeout_ms=queue.offer_timeout_seconds * 1000 if queue.offer_timeout_seconds else None,
        wrapup_ms=queue.wrapup_seconds * 1000 if queue.wrapup_seconds is not None else None,
        skills=queue.skills or {},
        service_level_ms=queue.service_level_seconds * 1000 if queue.service_level_seconds else None,
        strategy=queue.strategy or "longest_idle",
        priority_step_ms=queue.aging_seconds_per_priority * 1000 if queue.aging_seconds_per_priority else None,
        weight=queue.weight or 1,
        overflow=_overflow_for_routing(queue),
        max_length=queue.max_length,
        max_wait_ms=queue.max_wait_seconds * 1000 if queue.max_wait_seconds else None,
    )


def publish_all(session: Session, engine: RoutingEngine) -> int:
    """Hand every queue's settings to the engine (at start; Redis may have been rebuilt)."""
    queues = session.scalars(select(Queue)).all()
    for queue in queues:
        publish(engine, queue)
    return len(queues)


def update_queue(session: Session, engine: RoutingEngine, *, queue: Queue, changes: QueueSettings, actor: str) -> None:
    """Apply a supervisor's changes, audit them, and publish them to routing."""
    changed = changes.model_dump(exclude_unset=True)
    if "skills" in changed:
        for skill, level in (changed["skills"] or {}).items():
            if not 1 <= level <= 5:
                raise Invalid(f"skill {skill!r}: level must be from 1 to 5")
        changed["skills"] = changed["skills"] or {}
    if "overflow" in changed:  # every field of a step is stored, defaults included
        changed["overflow"] = [step.model_dump() for step in changes.overflow or []]
        known = {name for (name,) in session.execute(select(Queue.name))}
        for step in changed["overflow"]:
            unknown = sorted(set(step["queues"]) - known)
            if unknown:
                raise Invalid(f"overflow step after {step['after_seconds']} s: no queue {', '.join(unknown)}")
    if "weight" in changed and changed["weight"] is None:
        changed["weight"] = 1
    for name, value in changed.items():
        setattr(queue, name, value)
    session.flush()
    record_event(session, actor=actor, subject_type="queue", subject_id=queue.id, kind="settings_changed", **changed)
    publish(engine, queue)
