"""Sampling policies kept by QA leads: created, changed, switched off, removed while never run. Each change is an
audit event on the policy (subject_type `qa_sampling_policy`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.errors import Conflict, Forbidden, Invalid, NotFound
from contactcenter.qa.sampling_models import PolicyKind, SampleRun, SamplingPolicy
from contactcenter.timeutil import as_utc
from contactcenter.users.auth import CurrentUser
from contactcenter.users.models import Role

LEAD_ROLES = frozenset({Role.QA, Role.MANAGER, Role.ADMIN})  # QA users among them only when they lead QA
FIELDS = (
    "name",
    "kind",
    "per_agent",
    "percentage",
    "queues",
    "channel",
    "min_seconds",
    "recording_required",
    "period_days",
    "evaluator_ids",
    "assign",
    "due_days",
    "active",
)


def require_lead(user: CurrentUser) -> None:
    """QA leads, managers and admins keep the sampling; other QA staff evaluate what it gives them."""
    if user.role == Role.QA and not user.qa_lead:
        raise Forbidden("Sampling is kept by QA leads, managers and admins; QA staff evaluate their queue.")


def view(policy: SamplingPolicy) -> dict[str, Any]:
    """A policy as the API shows it."""
    return {
        **{name: getattr(policy, name) for name in FIELDS},
        "id": policy.id,
        "created_at": as_utc(policy.created_at).isoformat(),
        "updated_at": as_utc(policy.updated_at).isoformat(),
    }


def _check(policy: SamplingPolicy) -> None:
    if policy.kind == PolicyKind.PERCENTAGE and not policy.percentage:
        raise Invalid("percentage: a percentage policy needs its percentage (above 0, up to 100).")
    if policy.kind == PolicyKind.RANDOM_PER_AGENT and policy.per_agent < 1:
        raise Invalid("per_agent: a random policy takes at least one contact per agent.")


def get_policy(session: Session, *, policy_id: int) -> SamplingPolicy:
    """The policy of this id; NotFound if none."""
    policy = session.get(SamplingPolicy, policy_id)
    if policy is None:
        raise NotFound(f"No sampling policy {policy_id}.")
    return policy


def list_policies(session: Session) -> list[dict[str, Any]]:
    """Every policy, by id."""
    return [view(p) for p in session.scalars(select(SamplingPolicy).order_by(SamplingPolicy.id))]


def _saved(session: Session, policy: SamplingPolicy) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A sampling policy is already named {policy.name!r}.") from exc


def create_policy(session: Session, *, fields: dict[str, Any], actor_id: int) -> SamplingPolicy:
    """A new policy from the fields given (the rest: the model's defaults)."""
    policy = SamplingPolicy(**fields, created_by=actor_id)
    policy.queues = list(fields.get("queues") or [])
    policy.evaluator_ids = sorted(set(fields.get("evaluator_ids") or []))
    _check(policy)
    session.add(policy)
    _saved(session, policy)
    record_event(
        session, actor=f"user:{actor_id}", subject_type="qa_sampling_policy", subject_id=policy.id, kind="created"
    )
    return policy


def change_policy(session: Session, *, policy_id: int, fields: dict[str, Any], actor_id: int) -> SamplingPolicy:
    """Change the fields given; runs already made keep what they chose."""
    policy = get_policy(session, policy_id=policy_id)
    before = {name: getattr(policy, name) for name in fields}
    for name, value in fields.items():
        setattr(policy, name, sorted(set(value)) if name == "evaluator_ids" else value)
    _check(policy)
    _saved(session, policy)
    record_event(
        session,
        actor=f"user:{actor_id}",
        subject_type="qa_sampling_policy",
        subject_id=policy.id,
        kind="changed",
        before=before,
        after=fields,
    )
    return policy


def delete_policy(session: Session, *, policy_id: int, actor_id: int) -> None:
    """Remove a policy never run; one that has runs is switched off instead (its runs stay replayable)."""
    policy = get_policy(session, policy_id=policy_id)
    if session.scalar(select(SampleRun.id).where(SampleRun.policy_id == policy_id).limit(1)) is not None:
        raise Conflict("This policy has runs, kept for the audit; switch it off instead (active: false).")
    session.delete(policy)
    record_event(
        session,
        actor=f"user:{actor_id}",
        subject_type="qa_sampling_policy",
        subject_id=policy_id,
        kind="deleted",
        name=policy.name,
    )
