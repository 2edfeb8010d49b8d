"""A retention run over 100,000 expired recordings: seeded as stored recordings 400 days old with small fake
sealed files (a row with a path, a checksum, a master key id and a wrapped data key), then the daily run timed in
its two phases: marking them all, and, past the grace period, destroying them all (data keys cleared, files
unlinked, a hash-chained receipt each, every object audited). Then the receipts' chain is verified. Progress goes
to stderr while it runs; the last line is one JSON object (`retention_s`: marking and destroying together).

    python bench/retention.py                  # 100,000 recordings on SQLite (target: retention_s <= 60)
    python bench/retention.py --quick          # 5,000 recordings
    python bench/retention.py --database-url postgresql://postgres@127.0.0.1:5432/bench_retention

A PostgreSQL database named by --database-url is emptied and used (create it first). See docs/performance.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root
from sqlalchemy import func, insert, select, text  # noqa: E402

import contactcenter.models  # noqa: E402,F401  (every table mapped before the first query)
from contactcenter.db import Database  # noqa: E402
from contactcenter.retention import receipts, service  # noqa: E402
from contactcenter.retention.models import DeletionReceipt  # noqa: E402
from contactcenter.settings import Settings, load_settings  # noqa: E402
from contactcenter.timeutil import utcnow  # noqa: E402
from recordings.models import Recording, RecordingStatus  # noqa: E402

SEED_BATCH = 5_000
FILES_PER_DIR = 1_000
FAKE_FILE = 256  # bytes: the run unlinks files, it never reads them


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark a retention run over expired recordings.")
    parser.add_argument("--quick", action="store_true", help="5,000 recordings")
    parser.add_argument("--recordings", type=int, help="how many (default 100,000; 5,000 quick)")
    parser.add_argument("--batch", type=int, default=500, help="RETENTION_BATCH (default 500)")
    parser.add_argument("--database-url", help="a PostgreSQL database to empty and use (default: a SQLite file)")
    args = parser.parse_args(argv)
    args.recordings = args.recordings or (5_000 if args.quick else 100_000)
    return args


class Progress:
    """One line on stderr at most every half second: where the run is."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, line: str, *, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self.last >= 0.5:
            self.last = now
            print(f"  {line}", file=sys.stderr, flush=True)


def fresh_database(url: str) -> Database:
    """The schema of today, on an empty database."""
    db = Database(url)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.upgrade()
    return db


def seed(db: Database, settings: Settings, count: int, tell: Progress) -> None:
    """`count` stored recordings 400 days old, each with a small fake file of its own."""
    root = settings.recordings_path / "bench"
    at = utcnow() - timedelta(days=400)
    body = b"\x00" * FAKE_FILE
    checksum = hashlib.sha256(body).hexdigest()
    for start in range(1, count + 1, SEED_BATCH):
        rows = []
        for n in range(start, min(start + SEED_BATCH, count + 1)):
            folder = root / str(n // FILES_PER_DIR)
            if n % FILES_PER_DIR == 0 or n == start:
                folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"RE{n:032d}.wav.enc"
            path.write_bytes(body)
            rows.append(
                {
                    "id": n,
                    "provider_sid": f"RE{n:032d}",
                    "call_sid": f"CA{n:032d}",
                    "status": RecordingStatus.STORED,
                    "path": str(path),
                    "sha256": checksum,
                    "size_bytes": FAKE_FILE,
                    "content_type": "audio/wav",
                    "key_id": "0123456789abcdef",
                    "wrapped_key": f"wrapped-{n:040d}",
                    "attempts": 1,
                    "created_at": at,
                    "stored_at": at,
                }
            )
        with db.session() as session:
            session.execute(insert(Recording.__table__), rows)
        tell(f"seeded {start + len(rows) - 1:,} of {count:,} recordings")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tell = Progress()
    with tempfile.TemporaryDirectory(prefix="bench-retention-") as workdir:
        url = args.database_url or f"sqlite:///{workdir}/contactcenter.db"
        settings = load_settings(
            _env_file=None, DATABASE_URL=url, VAR_DIR=workdir, RETENTION_BATCH=args.batch, TIMEZONE="Asia/Shanghai"
        )
        db = fresh_database(settings.sqlalchemy_url)
        try:
            started = time.perf_counter()
            seed(db, settings, args.recordings, tell)
            seed_s = time.perf_counter() - started
            if db.engine.dialect.name == "postgresql":
                # A year's recordings have their planner statistics (autovacuum); a table loaded a moment ago not yet.
                with db.engine.begin() as connection:
                    connection.execute(text("ANALYZE"))
            print(f"seeded {args.recordings:,} recordings in {seed_s:.1f} s", file=sys.stderr)

            now = utcnow()
            started = time.perf_counter()
            marked = service.run(db, settings, now=now, progress=tell)
            mark_s = time.perf_counter() - started
            print(f"marked {marked.classes['recordings'].marked:,} in {mark_s:.1f} s", file=sys.stderr)

            started = time.perf_counter()
            destroyed = service.run(
                db, settings, now=now + timedelta(days=settings.retention_grace_days + 1), progress=tell
            )
            destroy_s = time.perf_counter() - started
            report = destroyed.classes["recordings"]
            print(
                f"destroyed {report.destroyed:,} ({destroyed.files_removed:,} files) in {destroy_s:.1f} s",
                file=sys.stderr,
            )

            started = time.perf_counter()
            with db.reading() as session:
                verdict = receipts.verify(session)
                total = session.scalar(select(func.count()).select_from(DeletionReceipt))
                left = session.scalar(select(func.count()).where(Recording.wrapped_key.is_not(None)))
            verify_s = time.perf_counter() - started
            files_left = sum(1 for p in (settings.recordings_path / "bench").rglob("*.enc"))
        finally:
            db.dispose()
        ok = (
            report.destroyed == args.recordings == total == verdict.count
            and verdict.broken is None
            and left == 0
            and files_left == 0
        )
        result = {
            "recordings": args.recordings,
            "database": "postgresql" if args.database_url else "sqlite",
            "batch": args.batch,
            "seed_s": round(seed_s, 2),
            "mark_s": round(mark_s, 2),
            "destroy_s": round(destroy_s, 2),
            "verify_s": round(verify_s, 2),
            "retention_s": round(mark_s + destroy_s, 2),
            "per_second": round(args.recordings / (mark_s + destroy_s)),
            "receipts": total,
            "files_removed": destroyed.files_removed,
            "all_destroyed_and_chain_intact": ok,
        }
    print(json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
