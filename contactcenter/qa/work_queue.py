"""The evaluators' work queue: their items and the pool's (unassigned) with filters, a claim (one of two at
once wins, the other is told 409), opening an item (its evaluation started and linked), and a lead's skip.
Each change is an audit event on the item (subject_type `qa_sample_item`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, select, update
from sqlalchemy.orm import Session

from contactcenter.audit.service import record_event
from contactcenter.errors import Conflict, Invalid, NotFound
from contactcenter.qa import evaluations
from contactcenter.qa.models import Evaluation
from contactcenter.qa.sampling_models import ItemStatus, SampleItem, SamplingPolicy
from contactcenter.timeutil import as_utc, utcnow
from contactcenter.users.models import User

DUE = ("overdue", "today", "week")
LIMIT = 200
POOL_TRIES = 5  # pool claims lost to someone quicker before giving up with 409
# An item whose evaluation was submitted is done, whether or not a run has settled it yet (sampling_runs.settle).
EFFECTIVE = case((Evaluation.submitted_at.is_not(None), ItemStatus.DONE.value), else_=SampleItem.status)


@dataclass(frozen=True)
class Filters:
    """The work queue's filters (None: any)."""

    queue: str | None = None
    channel: str | None = None
    agent_id: int | None = None
    due: str | None = None  # overdue, today (due by tonight), week (due within 7 days)
    status: str | None = None  # one ItemStatus; None: open and claimed

    def __post_init__(self) -> None:
        if self.due is not None and self.due not in DUE:
            raise Invalid(f"due: one of {', '.join(DUE)}")
        if self.status is not None and self.status not in set(ItemStatus):
            raise Invalid(f"status: one of {', '.join(ItemStatus)}")


def _filtered(query: Select[Any], filters: Filters, *, now: datetime, zone: ZoneInfo) -> Select[Any]:
    if filters.queue:
        query = query.where(SampleItem.queue == filters.queue)
    if filters.channel:
        query = query.where(SampleItem.channel == filters.channel)
    if filters.agent_id:
        query = query.where(SampleItem.agent_id == filters.agent_id)
    tonight = datetime.combine(now.astimezone(zone).date() + timedelta(days=1), time(), tzinfo=zone)
    if filters.due == "overdue":
        query = query.where(SampleItem.due_at < now)
    elif filters.due == "today":
        query = query.where(SampleItem.due_at < tonight)
    elif filters.due == "week":
        query = query.where(SampleItem.due_at < tonight + timedelta(days=6))
    if filters.status:
        return query.where(EFFECTIVE.in_([filters.status]))
    return query.where(EFFECTIVE.in_([ItemStatus.OPEN.value, ItemStatus.CLAIMED.value]))


def _rows(session: Session, query: Select[Any], now: datetime) -> list[dict[str, Any]]:
    agent = select(User.display_name).where(User.id == SampleItem.agent_id).scalar_subquery()
    evaluator = select(User.display_name).where(User.id == SampleItem.evaluator_id).scalar_subquery()
    rows = session.execute(
        query.add_columns(EFFECTIVE.label("effective"), agent.label("agent_name"), evaluator.label("evaluator_name"))
        .add_columns(SamplingPolicy.name.label("policy_name"), SamplingPolicy.kind.label("policy_kind"))
        .join(SamplingPolicy, SamplingPolicy.id == SampleItem.policy_id)
        .order_by(SampleItem.due_at, SampleItem.id)
        .limit(LIMIT)
    )
    found = []
    for row in rows:
        item: SampleItem = row[0]
        due = as_utc(item.due_at)
        found.append(
            {
                "id": item.id,
                "contact_id": item.contact_id,
                "agent_id": item.agent_id,
                "agent_name": row.agent_name,
                "evaluator_id": item.evaluator_id,
                "evaluator_name": row.evaluator_name,
                "queue": item.queue,
                "channel": item.channel,
                "contact_ended_at": as_utc(item.contact_ended_at).isoformat() if item.contact_ended_at else None,
                "due_at": due.isoformat(),
                "overdue": row.effective in (ItemStatus.OPEN, ItemStatus.CLAIMED) and due < now,
                "status": row.effective,
                "skip_reason": item.skip_reason,
                "evaluation_id": item.evaluation_id,
                "policy": {"id": item.policy_id, "name": row.policy_name, "kind": row.policy_kind},
            }
        )
    return found


def work_queue(
    session: Session, *, evaluator_id: int | None, filters: Filters, zone: ZoneInfo, now: datetime | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The evaluator's items (None: everyone's, for leads) and the pool's open items they may claim, soonest
    due first."""
    now = now or utcnow()
    base = select(SampleItem).outerjoin(Evaluation, Evaluation.id == SampleItem.evaluation_id)
    mine = base.where(SampleItem.evaluator_id.is_not(None))
    if evaluator_id is not None:
        mine = mine.where(SampleItem.evaluator_id == evaluator_id)
    pool = base.where(SampleItem.evaluator_id.is_(None), SampleItem.status == ItemStatus.OPEN)
    pool_filters = Filters(filters.queue, filters.channel, filters.agent_id, filters.due, None)
    return {
        "items": _rows(session, _filtered(mine, filters, now=now, zone=zone), now),
        "pool": _rows(session, _filtered(pool, pool_filters, now=now, zone=zone), now),
    }


def _item(session: Session, item_id: int) -> SampleItem:
    item = session.get(SampleItem, item_id)
    if item is None:
        raise NotFound(f"No work-queue item {item_id}.")
    return item


def _event(session: Session, item: SampleItem, kind: str, actor_id: int, **data: Any) -> None:
    record_event(
        session, actor=f"user:{actor_id}", subject_type="qa_sample_item", subject_id=item.id, kind=kind, **data
    )


def _take(session: Session, *, item_id: int, user_id: int, now: datetime) -> bool:
    """Make an unassigned open item the user's, if nobody was quicker (one conditional UPDATE: of two at once,
    PostgreSQL's row lock makes the second find it taken; SQLite lets one writer in at a time)."""
    taken = session.execute(
        update(SampleItem)
        .where(SampleItem.id == item_id, SampleItem.evaluator_id.is_(None), SampleItem.status == ItemStatus.OPEN)
        .values(evaluator_id=user_id, status=ItemStatus.CLAIMED, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(taken.rowcount)  # type: ignore[attr-defined]


def _open(session: Session, *, item: SampleItem, user_id: int, now: datetime, claimed: bool) -> SampleItem:
    """Start (or find) the user's evaluation of the item's contact, link it, and record the claim."""
    evaluation = evaluations.start(session, contact_id=item.contact_id, evaluator_id=user_id, due_at=item.due_at)
    first = item.evaluation_id is None
    item.evaluation_id = evaluation.id
    if item.status == ItemStatus.OPEN:
        item.status, item.claimed_at = ItemStatus.CLAIMED, now
    if claimed or first:
        _event(session, item, "claimed" if claimed else "opened", user_id, evaluation_id=evaluation.id)
    return item


def claim(session: Session, *, item_id: int, user_id: int, now: datetime | None = None) -> SampleItem:
    """Claim an item of the pool, or open one of the user's own: its evaluation is started and linked. Someone
    else's item, or one skipped or done, is a Conflict."""
    now = now or utcnow()
    item = _item(session, item_id)
    if item.status in (ItemStatus.SKIPPED, ItemStatus.DONE):
        raise Conflict(f"This item is {item.status}; there is nothing left to evaluate.")
    if item.agent_id == user_id:
        raise Conflict("Nobody evaluates their own contact.")
    claimed = False
    if item.evaluator_id is None:
        if not _take(session, item_id=item_id, user_id=user_id, now=now):
            raise Conflict("Someone else claimed this item just now; take another.")
        session.refresh(item)
        claimed = True
    elif item.evaluator_id != user_id:
        raise Conflict("This item is another evaluator's (claimed or assigned); take another.")
    return _open(session, item=item, user_id=user_id, now=now, claimed=claimed)


def claim_next(
    session: Session, *, user_id: int, filters: Filters, zone: ZoneInfo, now: datetime | None = None
) -> SampleItem:
    """Claim the pool's soonest-due open item matching the filters (Conflict when none is left)."""
    now = now or utcnow()
    query = select(SampleItem.id).where(SampleItem.evaluator_id.is_(None), SampleItem.status == ItemStatus.OPEN)
    query = query.where(SampleItem.agent_id != user_id)
    query = query.outerjoin(Evaluation, Evaluation.id == SampleItem.evaluation_id)
    query = _filtered(query, filters, now=now, zone=zone)
    for item_id in session.scalars(query.order_by(SampleItem.due_at, SampleItem.id).limit(POOL_TRIES)):
        if _take(session, item_id=item_id, user_id=user_id, now=now):
            item = _item(session, item_id)
            session.refresh(item)
            return _open(session, item=item, user_id=user_id, now=now, claimed=True)
    raise Conflict("The pool has no item left to claim (with these filters).")


def skip(session: Session, *, item_id: int, reason: str, actor_id: int) -> SampleItem:
    """A lead takes an item out of the queue with a reason (a draft evaluation started for it stays)."""
    reason = reason.strip()
    if not reason:
        raise Invalid("reason: say why this contact is not evaluated.")
    item = _item(session, item_id)
    if item.status in (ItemStatus.SKIPPED, ItemStatus.DONE):
        raise Conflict(f"This item is {item.status} already.")
    if item.evaluation_id is not None:
        submitted = session.scalar(select(Evaluation.submitted_at).where(Evaluation.id == item.evaluation_id))
        if submitted is not None:
            raise Conflict("This item's evaluation has been submitted; it is done.")
    item.status, item.skip_reason = ItemStatus.SKIPPED, reason
    _event(session, item, "skipped", actor_id, reason=reason)
    return item
