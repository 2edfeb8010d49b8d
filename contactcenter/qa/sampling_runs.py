"""Sampling runs on the database: the candidates a policy may choose in a window (SQL), the selection and its
spread (qa/sampling.py), the run with its seed and selection kept and audited, the default policies, and the
scheduled run of every active policy once per period."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.chats.models import ChatMessage
from contactcenter.contacts.models import Contact
from contactcenter.context import Services
from contactcenter.errors import Conflict
from contactcenter.qa import sampling
from contactcenter.qa.models import Evaluation
from contactcenter.qa.sampling import Candidate, Rule
from contactcenter.qa.sampling_models import ItemStatus, PolicyKind, SampleItem, SampleRun, SamplingPolicy
from contactcenter.satisfaction.models import AgentFlag
from contactcenter.settings import Settings
from contactcenter.tickets.models import Ticket
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import Role, User
from recordings.models import Recording, RecordingStatus

log = logging.getLogger(__name__)
COMPLAINT = "complaint"  # the ticket category whose contacts the complaints policy takes
# Complaints first: a contact both policies would take is counted as the complaint's, not as a random pick.
KIND_ORDER = [PolicyKind.COMPLAINTS, PolicyKind.FLAGGED_AGENTS, PolicyKind.PERCENTAGE, PolicyKind.RANDOM_PER_AGENT]


@dataclass
class RunResult:
    """What a run chose (a dry run: what it would choose) and to whom it handed each contact."""

    policy_id: int
    window_start: datetime
    window_end: datetime
    seed: int
    candidates: int
    contact_ids: list[int]
    assignments: dict[int, int | None] = field(default_factory=dict)
    run_id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "policy_id": self.policy_id,
            "window_start": self.window_start.astimezone(UTC).isoformat(),
            "window_end": self.window_end.astimezone(UTC).isoformat(),
            "seed": self.seed,
            "candidates": self.candidates,
            "selected": len(self.contact_ids),
            "contact_ids": self.contact_ids,
            "assignments": {str(contact): evaluator for contact, evaluator in self.assignments.items()},
        }


def rule_of(policy: SamplingPolicy) -> Rule:
    return Rule(policy.kind, policy.per_agent, policy.percentage)


def defaults(settings: Settings) -> list[dict[str, Any]]:
    """The default policies: every complaint contact, every contact of a flagged agent, and N random contacts
    per agent per period of at least the minimum length with a recording (the settings' numbers)."""
    common = {"period_days": settings.qa_sample_period_days, "due_days": settings.qa_due_days}
    return [
        {"name": "投诉 Complaints", "kind": PolicyKind.COMPLAINTS, "min_seconds": 0, **common},
        {"name": "被标记坐席 Flagged agents", "kind": PolicyKind.FLAGGED_AGENTS, "min_seconds": 0, **common},
        {
            "name": "随机抽样 Random per agent",
            "kind": PolicyKind.RANDOM_PER_AGENT,
            "per_agent": settings.qa_sample_per_agent,
            "min_seconds": settings.qa_sample_min_seconds,
            **common,
        },
    ]


def ensure_defaults(session: Session, *, settings: Settings) -> list[SamplingPolicy]:
    """The default policies, created when there is no policy at all yet (the first use of sampling)."""
    if session.scalar(select(func.count()).select_from(SamplingPolicy)):
        return []
    made = [SamplingPolicy(recording_required=True, queues=[], evaluator_ids=[], **spec) for spec in defaults(settings)]
    session.add_all(made)
    session.flush()
    for policy in made:
        record_event(session, actor="system", subject_type="qa_sampling_policy", subject_id=policy.id, kind="created")
    return made


def flagged_agents(session: Session, *, now: datetime, watch_days: int) -> list[int]:
    """Agents under watch: a complaint flag not yet acknowledged by a manager, or one raised in the last
    `watch_days` days (acknowledged or not: acknowledging says the flag was seen, not that it is over)."""
    since = now - timedelta(days=watch_days)
    query = select(AgentFlag.agent_id).where(or_(AgentFlag.acknowledged_at.is_(None), AgentFlag.created_at >= since))
    return sorted(set(session.scalars(query)))


def candidates(
    session: Session, *, policy: SamplingPolicy, start: datetime, end: datetime, now: datetime, watch_days: int
) -> list[Candidate]:
    """Contacts a policy may choose: ended in [start, end), answered by an agent, of its queues and channel,
    at least its minimum length (answered → ended), with a stored recording (voice) or a message (chat) when
    it asks for one, never sampled before; complaints: their ticket's category is a complaint; flagged
    agents: the agent is under watch."""
    query = select(Contact.id, Contact.agent_id, Contact.queue, Contact.channel, Contact.answered_at, Contact.ended_at)
    query = query.where(
        Contact.ended_at >= start,
        Contact.ended_at < end,
        Contact.agent_id.is_not(None),
        Contact.answered_at.is_not(None),
        ~exists().where(SampleItem.contact_id == Contact.id),
    )
    if policy.queues:
        query = query.where(Contact.queue.in_(policy.queues))
    if policy.channel:
        query = query.where(Contact.channel == policy.channel)
    if policy.recording_required:
        stored = exists().where(Recording.contact_id == Contact.id, Recording.status == RecordingStatus.STORED)
        transcript = exists().where(ChatMessage.contact_id == Contact.id)
        query = query.where(or_(and_(Contact.channel == "voice", stored), and_(Contact.channel == "chat", transcript)))
    if policy.kind == PolicyKind.COMPLAINTS:
        query = query.join(Ticket, Ticket.id == Contact.ticket_id).where(Ticket.category == COMPLAINT)
    elif policy.kind == PolicyKind.FLAGGED_AGENTS:
        query = query.where(Contact.agent_id.in_(flagged_agents(session, now=now, watch_days=watch_days)))
    found = []
    for row in session.execute(query):
        answered, ended = as_utc(row.answered_at), as_utc(row.ended_at)
        # The length is compared here, not in SQL: date arithmetic differs between SQLite and PostgreSQL.
        if (ended - answered).total_seconds() >= policy.min_seconds:
            found.append(Candidate(row.agent_id, row.id, row.queue, row.channel, ended))
    return sorted(found)


def evaluators_of(session: Session, *, policy: SamplingPolicy) -> list[int]:
    """Who a policy's items go to: its evaluators still active, or every active QA user."""
    query = select(User.id).where(User.active.is_(True))
    if policy.evaluator_ids:
        query = query.where(User.id.in_(policy.evaluator_ids))
    else:
        query = query.where(User.role == Role.QA)
    return sorted(session.scalars(query))


def settle(session: Session) -> int:
    """Mark done the items whose evaluation has been submitted; returns how many."""
    submitted = select(Evaluation.id).where(Evaluation.submitted_at.is_not(None))
    done = update(SampleItem).where(SampleItem.status == ItemStatus.CLAIMED, SampleItem.evaluation_id.in_(submitted))
    return session.execute(done.values(status=ItemStatus.DONE, updated_at=utcnow())).rowcount or 0  # type: ignore[attr-defined]


def open_load(session: Session, *, evaluators: list[int]) -> dict[int, int]:
    """Each evaluator's items not yet done (open or claimed)."""
    query = (
        select(SampleItem.evaluator_id, func.count())
        .where(SampleItem.evaluator_id.in_(evaluators), SampleItem.status.in_([ItemStatus.OPEN, ItemStatus.CLAIMED]))
        .group_by(SampleItem.evaluator_id)
    )
    return {evaluator: count for evaluator, count in session.execute(query) if evaluator is not None}


def run_policy(
    session: Session,
    *,
    policy: SamplingPolicy,
    settings: Settings,
    now: datetime | None = None,
    seed: int | None = None,
    trigger: str,
    actor_id: int | None = None,
    dry_run: bool = False,
    period_key: str | None = None,
) -> RunResult:
    """Apply a policy to its last whole period: choose (with `seed`, or a new one), spread over its evaluators
    with due dates, keep the run and its items, and audit it. A dry run writes nothing."""
    now = now or utcnow()
    zone = ZoneInfo(settings.timezone)
    start, end = sampling.window(now, days=policy.period_days, zone=zone)
    seed = sampling.new_seed() if seed is None else seed
    settle(session)
    found = candidates(session, policy=policy, start=start, end=end, now=now, watch_days=settings.qa_flagged_watch_days)
    chosen = sampling.choose(rule_of(policy), found, seed=seed)
    evaluators = evaluators_of(session, policy=policy) if policy.assign else []
    given = sampling.spread(chosen, evaluators=evaluators, load=open_load(session, evaluators=evaluators))
    result = RunResult(policy.id, start, end, seed, len(found), [c.contact_id for c in chosen], given)
    if dry_run:
        return result
    run = SampleRun(
        policy_id=policy.id,
        window_start=start,
        window_end=end,
        seed=seed,
        trigger=trigger,
        period_key=period_key,
        candidates=len(found),
        selected=len(chosen),
        contact_ids=result.contact_ids,
        created_by=actor_id,
        created_at=now,
    )
    session.add(run)
    due = sampling.due_at(now, days=policy.due_days, zone=zone)
    try:
        session.flush()
        session.add_all(
            SampleItem(
                run_id=run.id,
                policy_id=policy.id,
                contact_id=c.contact_id,
                agent_id=c.agent_id,
                evaluator_id=given[c.contact_id],
                queue=c.queue,
                channel=c.channel,
                contact_ended_at=c.ended_at,
                due_at=due,
                created_at=now,
            )
            for c in chosen
        )
        session.flush()
    except IntegrityError as exc:  # another run took some of these contacts (or this period) meanwhile
        raise Conflict("Another sampling run took some of these contacts at the same time; run it again.") from exc
    result.run_id = run.id
    record_event(
        session,
        actor=f"user:{actor_id}" if actor_id else trigger,
        subject_type="qa_sample_run",
        subject_id=run.id,
        kind="sampled",
        **result.as_json(),
    )
    return result


def policies_in_order(session: Session, *, active_only: bool = True) -> list[SamplingPolicy]:
    """Policies complaints first, then flagged agents, percentages and random draws (ids within a kind)."""
    query = select(SamplingPolicy)
    if active_only:
        query = query.where(SamplingPolicy.active.is_(True))
    found = list(session.scalars(query))
    return sorted(found, key=lambda p: (KIND_ORDER.index(PolicyKind(p.kind)), p.id))


def period_key(policy: SamplingPolicy, end: datetime) -> str:
    return f"{policy.id}:{end.astimezone(UTC):%Y%m%dT%H%M}"


def run_due(services: Services, *, now: datetime | None = None) -> list[RunResult]:
    """The scheduled runs: every active policy whose last whole period has no scheduled run yet, each in its
    own transaction (one policy failing leaves the others' runs); a period another process ran is skipped."""
    now = now or utcnow()
    zone = ZoneInfo(services.settings.timezone)
    with services.db.session() as session:
        ensure_defaults(session, settings=services.settings)
        ids = [p.id for p in policies_in_order(session)]
    done: list[RunResult] = []
    for policy_id in ids:
        try:
            with services.db.session() as session:
                policy = session.get_one(SamplingPolicy, policy_id)
                key = period_key(policy, sampling.period_end(now, days=policy.period_days, zone=zone))
                if session.scalar(select(SampleRun.id).where(SampleRun.period_key == key)) is not None:
                    continue
                done.append(
                    run_policy(
                        session, policy=policy, settings=services.settings, now=now, trigger="scheduled", period_key=key
                    )
                )
        except Conflict:
            log.info("sampling policy %s: its period was run by another process", policy_id)
        except Exception:
            log.exception("the scheduled sampling run of policy %s failed", policy_id)
    return done
