"""The access log's hash chain: `contactcenter audit verify` says OK with the count on an intact chain and
names the first changed or missing entry (exit 1) once someone with the database's keys got around its
append-only triggers; two writers at once (two processes' engines) never fork it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from contactcenter import cli
from contactcenter.audit.access import Action, record_read, verify
from contactcenter.db import Database
from contactcenter.users.auth import CurrentUser
from tests.environment import clear_settings
from tests.inprocess import DemoDatabase

QA = CurrentUser(7, "qa", "陈静 Chen Jing", "qa", (), {})
FORGED = "'" + "a" * 64 + "'"  # a hash as SQL text


@pytest.fixture
def database(demo_database: DemoDatabase, tmp_path: Path) -> Iterator[Database]:
    """A copy of the migrated demo database (a few ms), with five entries in its access log."""
    db = Database(demo_database.copy(tmp_path))
    for recording in range(1, 6):
        record_read(db, viewer=QA, action=Action.PLAY, object_type="recording", object_id=recording, address="10.0.0.9")
    yield db
    db.dispose()


def audit_verify(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str) -> int:
    """`contactcenter audit verify ARGS` run in this process against `db` (its exit code; capsys has what it said)."""
    clear_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("DATABASE_URL", db.url)
    return cli.main(["audit", "verify", *args])


def tampered(db: Database, *statements: str) -> None:
    """Run statements with the append-only triggers out of the way, as an attacker with the keys could."""
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE access_log DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS access_log_no_update"))
            connection.execute(text("DROP TRIGGER IF EXISTS access_log_no_delete"))
        for statement in statements:
            connection.execute(text(statement))


def test_verify_says_ok_with_the_count_of_an_intact_chain_written_by_two_writers_at_once(
    database: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = Database(database.url)  # another process's engine: its own pool, its own turns

    def read_many(db: Database, first: int) -> None:
        for n in range(first, first + 15):
            record_read(db, viewer=QA, action=Action.READ, object_type="ticket", object_id=n, address="10.0.0.1")

    writers = [threading.Thread(target=read_many, args=(db, n)) for db, n in ((database, 100), (other, 200))]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    other.dispose()
    with database.reading() as session:
        verdict = verify(session)
    assert (verdict.count, verdict.broken) == (35, None)
    assert audit_verify(database, monkeypatch, tmp_path) == 0
    assert capsys.readouterr().out.startswith(f"OK: 35 entries, the chain is intact; head hash {verdict.head}")
    # The last entries cut off: the rest is a whole chain, but no longer holds the head noted before.
    tampered(database, "DELETE FROM access_log WHERE seq >= 34")
    assert audit_verify(database, monkeypatch, tmp_path) == 0
    assert audit_verify(database, monkeypatch, tmp_path, "--head", verdict.head) == 1
    assert "is no longer in the chain" in capsys.readouterr().err
    with database.reading() as session:
        assert verify(session, noted=verdict.head).count == 33
    # Recomputing a changed entry's own hash is not enough: the next entry still names the old one.
    with database.reading() as session:
        assert verify(session, noted=verify(session).head).noted_found
    tampered(database, f"UPDATE access_log SET hash = {FORGED} WHERE seq = 20")
    with database.reading() as session:
        assert (verify(session).broken, verify(session).count) == (20, 19)
    tampered(database, f"UPDATE access_log SET prev_hash = {FORGED} WHERE seq = 21")
    with database.reading() as session:
        assert verify(session).broken == 20


@pytest.mark.parametrize(
    ("change", "broken", "problem"),
    [
        ("UPDATE access_log SET object_id = '99' WHERE seq = 3", 3, "does not match its hash"),
        ("DELETE FROM access_log WHERE seq = 2", 3, "entry 2 is missing"),
    ],
)
def test_verify_names_the_first_changed_or_missing_entry(
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    change: str,
    broken: int,
    problem: str,
) -> None:
    tampered(database, change)
    assert audit_verify(database, monkeypatch, tmp_path) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"BROKEN at entry {broken}: ") and problem in err
