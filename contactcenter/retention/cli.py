"""`contactcenter retention …`: one retention run now (`run`, `--dry-run` to see what it would do) and the
deletion receipts' chain checked (`verify`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _run(args: argparse.Namespace) -> int:
    """Mark and destroy as the daily job does (or only report, --dry-run); progress on stderr, JSON on stdout."""
    from contactcenter.db import Database
    from contactcenter.retention.service import run
    from contactcenter.settings import load_settings

    settings = load_settings()
    db = Database(settings.sqlalchemy_url)
    try:
        db.upgrade()
        report = run(db, settings, dry_run=args.dry_run, progress=lambda line: print(line, file=sys.stderr))
    finally:
        db.dispose()
    print(json.dumps(report.as_dict(), ensure_ascii=False))
    return 0


def _verify(args: argparse.Namespace) -> int:
    """Recompute the receipts' chain: OK with the count and head (exit 0), or the first broken receipt (exit 1)."""
    from sqlalchemy.exc import SQLAlchemyError

    from contactcenter.db import Database
    from contactcenter.retention.receipts import verify
    from contactcenter.settings import load_settings

    db = Database(load_settings().sqlalchemy_url)
    try:
        with db.reading() as session:
            verdict = verify(session)
    except SQLAlchemyError as exc:
        print(f"Cannot read the receipts (run `contactcenter db upgrade` first?): {exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    if verdict.broken is not None:
        print(
            f"BROKEN at receipt {verdict.broken}: {verdict.problem} ({verdict.count} receipts before it are intact).",
            file=sys.stderr,
        )
        return 1
    print(f"OK: {verdict.count} receipts, the chain is intact; head hash {verdict.head}")
    return 0


def register(commands: Any) -> None:
    """Add `retention run` and `retention verify` to the command line."""
    retention = commands.add_parser("retention", help="retention policies, legal holds and deletion receipts")
    sub = retention.add_subparsers(dest="retention_command", required=True)
    run = sub.add_parser("run", help="mark what expired, destroy what waited out its grace period (as daily)")
    run.add_argument("--dry-run", action="store_true", help="report what would be marked and destroyed; change nothing")
    run.set_defaults(handler=_run)
    verify = sub.add_parser("verify", help="recompute the deletion receipts' hash chain; exit 1 at a broken receipt")
    verify.set_defaults(handler=_verify)
