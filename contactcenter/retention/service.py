"""The daily retention run, in two phases, each in batches that commit one at a time:

1. **Mark**: every object of every class older than its policy's days (RETENTION_<CLASS>_DAYS) that no hold
   covers gets a mark due RETENTION_GRACE_DAYS later. Held objects are not marked: released, they are marked at
   the next run and wait a whole grace period.
2. **Destroy**: every mark whose grace has passed is destroyed (its class's handler) unless a hold covers it
   now, which lifts the mark. Each object destroyed gets a receipt in the chain, in the same transaction as
   the destruction and its mark's change, so a run stopped anywhere and started again writes no receipt twice.
   Files are unlinked after the commit (their data keys are gone with it); a file a stopped run left is
   unlinked by the next (`retention_leftovers`, written with the destruction).

`dry_run` reads the same and changes nothing: what would be marked, held, destroyed and saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contactcenter.audit.service import event_row, record_rows
from contactcenter.db import Database
from contactcenter.retention import receipts
from contactcenter.retention.holds import Hold, holding, in_force
from contactcenter.retention.models import DeletionReceipt, RetentionLeftover, RetentionMark
from contactcenter.retention.registry import DataClass, Destroyed, classes
from contactcenter.settings import Settings
from contactcenter.timeutil import utcnow

log = logging.getLogger(__name__)
ACTOR = "retention"
MARK_COLUMNS = (
    RetentionMark.id,
    RetentionMark.object_id,
    RetentionMark.customer_id,
    RetentionMark.ticket_id,
    RetentionMark.agent_id,
    RetentionMark.object_at,
)
Progress = Callable[[str], None]


@dataclass
class ClassReport:
    """One class's figures of a run (a dry run's: what would be)."""

    marked: int = 0  # expired, marked for destruction after the grace period
    held: int = 0  # expired, but a hold keeps them (not marked)
    destroyed: int = 0  # grace passed, destroyed with a receipt each
    saved: int = 0  # grace passed, but a hold placed meanwhile lifted their marks
    receipts: int = 0  # receipts written (the objects and their parts: a ticket's attachments)


@dataclass
class RunReport:
    """What a run did, class by class."""

    dry_run: bool
    at: datetime
    classes: dict[str, ClassReport] = field(default_factory=dict)
    files_removed: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-able."""
        return {**asdict(self), "at": self.at.isoformat()}


def run(
    db: Database,
    settings: Settings,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """One retention run over every registered class (see the module's docstring)."""
    now = now or utcnow()
    tell = progress or (lambda line: None)
    report = RunReport(dry_run, now)
    if not dry_run:
        report.files_removed += finish_leftovers(db)
    registered = classes()
    for data_class in registered:
        report.classes[data_class.name] = ClassReport()
        _mark(db, settings, data_class, now=now, dry_run=dry_run, report=report.classes[data_class.name], tell=tell)
    for data_class in registered:
        removed = _destroy(
            db, settings, data_class, now=now, dry_run=dry_run, report=report.classes[data_class.name], tell=tell
        )
        report.files_removed += removed
    if not dry_run:
        with db.session() as session:
            record_rows(
                session,
                [
                    event_row(
                        actor=ACTOR,
                        subject_type="retention",
                        subject_id="run",
                        kind="retention_run",
                        at=utcnow(),
                        report=report.as_dict(),
                    )
                ],
            )
    return report


def _held(holds: list[Hold], item: Any) -> list[int]:
    return holding(
        holds,
        customer_id=item.customer_id,
        ticket_id=item.ticket_id,
        agent_id=item.agent_id,
        at=item.at if hasattr(item, "at") else item.object_at,
    )


def _mark(
    db: Database,
    settings: Settings,
    data_class: DataClass,
    *,
    now: datetime,
    dry_run: bool,
    report: ClassReport,
    tell: Progress,
) -> None:
    """Mark the class's expired objects that no hold covers, a batch per transaction."""
    before = now - timedelta(days=data_class.days(settings))
    due = now + timedelta(days=settings.retention_grace_days)
    size, after = settings.retention_batch, 0
    while True:
        with db.reading() as session:
            found = list(data_class.candidates(session, before=before, after_id=after, limit=size))
            holds = in_force(session)
        if not found:
            return
        after = found[-1].object_id
        free = [c for c in found if not _held(holds, c)]
        report.held += len(found) - len(free)
        if free and not dry_run:
            try:
                with db.session() as session:
                    session.execute(
                        insert(RetentionMark.__table__),
                        [
                            {
                                "data_class": data_class.name,
                                "object_id": c.object_id,
                                "customer_id": c.customer_id,
                                "ticket_id": c.ticket_id,
                                "agent_id": c.agent_id,
                                "object_at": c.at,
                                "marked_at": now,
                                "due_at": due,
                                "state": "marked",
                            }
                            for c in free
                        ],
                    )
                    _audit(session, data_class, "retention_marked", [c.object_id for c in free], due=due.isoformat())
            except IntegrityError:  # another run marked some of them meanwhile: theirs stand
                log.warning("retention: %s batch after %s was marked by another run", data_class.name, after)
                continue
        report.marked += len(free)
        tell(f"{data_class.name}: {report.marked} marked, {report.held} held")
        if len(found) < size:
            return


def _destroy(
    db: Database,
    settings: Settings,
    data_class: DataClass,
    *,
    now: datetime,
    dry_run: bool,
    report: ClassReport,
    tell: Progress,
) -> int:
    """Destroy the class's marked objects whose grace has passed, a batch per transaction; files removed."""
    size, last, removed = settings.retention_batch, 0, 0
    while True:
        leftovers: list[str] = []
        with db.reading() if dry_run else db.session() as session:
            # Plain rows, not ORM objects: a batch is read, matched and written back by id (the run's hot loop).
            query = (
                select(*MARK_COLUMNS)
                .where(
                    RetentionMark.data_class == data_class.name,
                    RetentionMark.state == "marked",
                    RetentionMark.due_at <= now,
                    RetentionMark.id > last,
                )
                .order_by(RetentionMark.id)
                .limit(size)
            )
            if not dry_run and session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)  # another run's batch is theirs
            marks = list(session.execute(query))
            if not marks:
                return removed
            last = marks[-1].id
            holds = in_force(session)
            saved = {m.id for m in marks if _held(holds, m)}
            doomed = [m for m in marks if m.id not in saved]
            report.saved += len(saved)
            if dry_run:
                report.destroyed += len(doomed)
            else:
                _save(session, data_class, [m for m in marks if m.id in saved], holds)
                leftovers = _destroy_batch(session, settings, data_class, doomed, now=now, report=report)
        removed += unlink(db, leftovers)
        tell(f"{data_class.name}: {report.destroyed} destroyed, {report.saved} saved by a hold")
        if len(marks) < size:
            return removed


def _save(session: Session, data_class: DataClass, marks: list[Any], holds: list[Hold]) -> None:
    """Lift the marks of objects a hold now covers (marked again once it is released)."""
    if not marks:
        return
    session.execute(delete(RetentionMark).where(RetentionMark.id.in_([m.id for m in marks])))
    if data_class.audit_each:
        record_rows(
            session,
            [
                event_row(
                    actor=ACTOR,
                    subject_type=data_class.subject_type,
                    subject_id=m.object_id,
                    kind="retention_saved_by_hold",
                    at=utcnow(),
                    holds=_held(holds, m),
                )
                for m in marks
            ],
        )
    else:
        _audit(session, data_class, "retention_saved_by_hold", [m.object_id for m in marks])


def _destroy_batch(
    session: Session,
    settings: Settings,
    data_class: DataClass,
    marks: list[Any],
    *,
    now: datetime,
    report: ClassReport,
) -> list[str]:
    """Destroy these marked objects with their receipts and marks' change; the files to unlink after the commit."""
    if not marks:
        return []
    destroyed: list[Destroyed] = list(data_class.destroy(session, ids=[m.object_id for m in marks]))
    items = [item for d in destroyed for item in d.receipts()]
    seqs = iter(
        receipts.append(
            session, data_class=data_class.name, policy=data_class.policy(settings), destroyed=items, at=now
        )
    )
    first_seq: dict[int, int] = {}
    for d in destroyed:
        first_seq[d.object_id] = next(seqs)
        for _ in d.parts:
            next(seqs)
    by_object = {d.object_id: d for d in destroyed}
    if any(d.object_type != data_class.subject_type for d in destroyed):
        raise ValueError(f"{data_class.name}: an object's own receipt must be of type {data_class.subject_type}")
    gone = [m.id for m in marks if m.object_id not in by_object]  # deleted by someone else meanwhile
    if gone:
        session.execute(delete(RetentionMark).where(RetentionMark.id.in_(gone)))
    kept = [m.id for m in marks if m.object_id in by_object]
    if kept:  # one statement, each mark finding its receipt by the receipts' unique (type, object)
        receipt_seq = (
            select(DeletionReceipt.seq)
            .where(
                DeletionReceipt.object_type == data_class.subject_type,
                DeletionReceipt.object_id == RetentionMark.object_id,
            )
            .scalar_subquery()
        )
        session.execute(
            update(RetentionMark)
            .where(RetentionMark.id.in_(kept))
            .values(state="destroyed", destroyed_at=now, receipt_seq=receipt_seq)
            .execution_options(synchronize_session=False)
        )
    files = [path for d in destroyed for path in d.all_files()]
    if files:
        session.execute(insert(RetentionLeftover.__table__), [{"path": path} for path in files])
    if data_class.audit_each:
        record_rows(
            session,
            [
                event_row(
                    actor=ACTOR,
                    subject_type=d.object_type,
                    subject_id=d.object_id,
                    kind="retention_destroyed",
                    at=now,
                    receipt=first_seq[d.object_id],
                    policy=data_class.policy(settings),
                    parts=[[p.object_type, p.object_id] for p in d.parts],
                )
                for d in destroyed
            ],
        )
    else:
        _audit(session, data_class, "retention_destroyed", list(by_object), receipts=len(items))
    report.destroyed += len(destroyed)
    report.receipts += len(items)
    return files


def _audit(session: Session, data_class: DataClass, kind: str, ids: list[int], **data: Any) -> None:
    """The audit entries of a batch: one per object, or (the audit trail's own) one for the batch."""
    at = utcnow()
    if data_class.audit_each:
        rows = [
            event_row(
                actor=ACTOR,
                subject_type=data_class.subject_type,
                subject_id=object_id,
                kind=kind,
                at=at,
                data_class=data_class.name,
                **data,
            )
            for object_id in ids
        ]
    else:
        rows = [
            event_row(
                actor=ACTOR,
                subject_type="retention",
                subject_id=data_class.name,
                kind=kind,
                at=at,
                count=len(ids),
                first=min(ids),
                last=max(ids),
                **data,
            )
        ]
    record_rows(session, rows)


def unlink(db: Database, files: list[str]) -> int:
    """Remove destroyed objects' files (their data keys are gone already) and strike them off the leftovers."""
    if not files:
        return 0
    removed = 0
    for path in files:
        try:
            Path(path).unlink()
            removed += 1
        except FileNotFoundError:
            pass
    with db.session() as session:
        session.execute(delete(RetentionLeftover).where(RetentionLeftover.path.in_(files)))
    return removed


def finish_leftovers(db: Database) -> int:
    """Files of objects destroyed by a run stopped before it removed them: removed now."""
    with db.reading() as session:
        files = list(session.scalars(select(RetentionLeftover.path)))
    return unlink(db, files)
