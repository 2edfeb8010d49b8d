"""The deletion receipts' chain (`contactcenter retention verify` and its service function): intact after runs,
a changed or missing receipt found by number, the table append-only; the settings keep the audit trail longest;
another package adds a data class with one call; the worker enqueues the day's run once, after its hour;
`retention run --dry-run` changes nothing; migration 0021 goes down and up."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from redis import Redis
from rq import Queue
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from contactcenter import cli
from contactcenter.db import Database, alembic_config
from contactcenter.retention import receipts, registry, service
from contactcenter.retention.models import DeletionReceipt, RetentionMark
from contactcenter.retention.registry import Candidate, DataClass, Destroyed
from contactcenter.retention.schedule import enqueue_if_due
from contactcenter.settings import SettingsError, load_settings
from contactcenter.timeutil import utcnow
from tests.environment import clear_settings
from tests.inprocess import DemoDatabase

FORGED = "'" + "b" * 64 + "'"


@pytest.fixture
def database(demo_database: DemoDatabase, tmp_path: Path) -> Iterator[Database]:
    """A copy of the migrated demo database with six receipts in its chain."""
    db = Database(demo_database.copy(tmp_path))
    with db.session() as session:
        items = [Destroyed("recording", n, f"{n:064x}", 1000 + n, f"k{n}:abc") for n in range(1, 7)]
        receipts.append(session, data_class="recordings", policy="recordings 365 d", destroyed=items[:3], at=utcnow())
    with db.session() as session:
        receipts.append(session, data_class="recordings", policy="recordings 365 d", destroyed=items[3:], at=utcnow())
    yield db
    db.dispose()


def tampered(db: Database, *statements: str) -> None:
    """Run statements with the append-only triggers out of the way, as someone with the database's keys could."""
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE retention_receipts DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS retention_receipts_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS retention_receipts_no_delete"))
        for statement in statements:
            connection.execute(text(statement))


def retention_cli(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> int:
    """`contactcenter retention ARGS` in this process against `db` (its exit code; capsys has what it said)."""
    clear_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("DATABASE_URL", db.url)
    return cli.main(["retention", *args])


def test_the_chain_verifies_and_a_changed_receipt_is_named(
    database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with database.reading() as session:
        verdict = receipts.verify(session)
    assert (verdict.count, verdict.broken) == (6, None)
    assert retention_cli(database, monkeypatch, tmp_path, "verify") == 0
    assert capsys.readouterr().out.startswith(f"OK: 6 receipts, the chain is intact; head hash {verdict.head}")

    tampered(database, "UPDATE retention_receipts SET size_bytes = 1 WHERE seq = 4")
    with database.reading() as session:
        verdict = receipts.verify(session)
    assert (verdict.count, verdict.broken) == (3, 4) and "content" in verdict.problem
    assert retention_cli(database, monkeypatch, tmp_path, "verify") == 1
    assert "BROKEN at receipt 4" in capsys.readouterr().err


def test_a_rewritten_hash_or_a_missing_receipt_is_found(database: Database) -> None:
    tampered(database, f"UPDATE retention_receipts SET hash = {FORGED} WHERE seq = 2")
    with database.reading() as session:
        assert receipts.verify(session).broken == 2
    tampered(database, "DELETE FROM retention_receipts WHERE seq = 2")
    with database.reading() as session:
        verdict = receipts.verify(session)
    assert verdict.broken == 3 and "receipt 2 is missing" in verdict.problem


def test_the_receipts_table_refuses_updates_and_deletes(database: Database) -> None:
    for statement in ("UPDATE retention_receipts SET checksum = 'x' WHERE seq = 1", "DELETE FROM retention_receipts"):
        with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as connection:
            connection.execute(text(statement))


def test_a_dry_run_on_the_command_line_reports_and_changes_nothing(
    database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert retention_cli(database, monkeypatch, tmp_path, "run", "--dry-run") == 0
    said = capsys.readouterr()
    report = json.loads(said.out.strip().splitlines()[-1])
    assert report["dry_run"] is True and set(report["classes"]) >= {"recordings", "tickets", "audit"}
    with database.reading() as session:
        assert session.scalar(select(RetentionMark.id).limit(1)) is None
        assert len(session.scalars(select(DeletionReceipt.seq)).all()) == 6


def test_audit_entries_must_be_kept_longer_than_anything_they_cover() -> None:
    with pytest.raises(SettingsError, match=r"RETENTION_AUDIT_DAYS: .*more days than every other .*1095"):
        load_settings(_env_file=None, RETENTION_AUDIT_DAYS=1000)
    with pytest.raises(SettingsError, match=r"RETENTION_AUDIT_DAYS: .*4000"):
        load_settings(_env_file=None, RETENTION_RECORDINGS_DAYS=4000)
    assert load_settings(_env_file=None, RETENTION_TICKETS_DAYS=2000, RETENTION_AUDIT_DAYS=2001).retention_audit_days


def test_another_package_adds_a_data_class_with_one_call(database: Database) -> None:
    """As the QA package does for its evaluations (contactcenter/qa/retention.py): register; the run marks,
    destroys and receipts them. A class of its own name: the real evaluations class stays registered."""
    old = utcnow() - timedelta(days=2000)
    gone: list[int] = []

    def candidates(session: Session, *, before: datetime, after_id: int, limit: int) -> Sequence[Candidate]:
        return [Candidate(n, old) for n in (1, 2) if n > after_id and n not in gone][:limit]

    def destroy(session: Session, *, ids: Sequence[int]) -> Sequence[Destroyed]:
        gone.extend(ids)
        return [Destroyed("example", n, "c" * 64, 10) for n in ids]

    registry.register(
        DataClass(
            "example",
            ("示例", "Example"),
            "example",
            "retention_evaluations_days",
            candidates,
            destroy,
            order=40,
        )
    )
    try:
        settings = load_settings(_env_file=None)
        now = utcnow()
        service.run(database, settings, now=now)
        report = service.run(database, settings, now=now + timedelta(days=8))
        assert report.classes["example"].destroyed == 2 and gone == [1, 2]
        with database.reading() as session:
            policies = session.scalars(
                select(DeletionReceipt.policy).where(DeletionReceipt.object_type == "example")
            ).all()
        assert policies == ["example 1095 d"] * 2
    finally:
        registry._registry.pop("example")
    with pytest.raises(ValueError, match="no setting"):
        registry.register(DataClass("x", ("x", "x"), "x", "retention_x_days", candidates, destroy))


def test_the_worker_enqueues_the_days_run_once_and_only_after_its_hour(redis_client: Redis) -> None:
    settings = load_settings(_env_file=None, RETENTION_RUN_HOUR=3)  # Asia/Shanghai
    queue = Queue("retention-test", connection=redis_client)
    early = datetime(2026, 12, 9, 18, 30, tzinfo=UTC)  # 02:30 on the 10th in Shanghai
    assert enqueue_if_due(redis_client, queue, settings, now=early) is None
    later = early + timedelta(hours=1)
    assert enqueue_if_due(redis_client, queue, settings, now=later) == "retention-2026-12-10"
    assert enqueue_if_due(redis_client, queue, settings, now=later + timedelta(hours=5)) is None
    [job] = queue.get_jobs()
    assert job.func_name == "contactcenter.retention.jobs.daily_run" and job.timeout == 6 * 3600


def test_migration_0021_goes_down_and_up(new_database: Any) -> None:
    db = Database(new_database())
    try:
        db.upgrade()
        command.downgrade(alembic_config(db.url), "0020")
        tables = set(inspect(db.engine).get_table_names())
        assert not {"legal_holds", "retention_marks", "retention_receipts"} & tables
        db.upgrade()
        assert {"legal_holds", "retention_marks", "retention_receipts"} <= set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()
