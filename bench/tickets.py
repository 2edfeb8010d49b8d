"""Ticket desk benchmark on PostgreSQL: a million tickets (10 % open, 5 contacts each, Chinese text), then the
desk's list and full-text search (p50/p99), the minute sweep over the running SLA clocks, the lag from a clock's
due time to its breach notification (a real worker and the outbox relay), and the SQL of a new call. Prints a
table, then one JSON line (the last line).

    python bench/tickets.py            # 1,000,000 tickets, 100,000 running clocks (seeding takes minutes)
    python bench/tickets.py --quick    # 100,000 tickets, 10,000 running clocks (about a minute)

See docs/performance.md for what is measured and the latest figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from redis import Redis
from tickets_clocks import measure_lag, measure_sweep
from tickets_desk import SqlClock, Timings, list_mix, open_calls, run_queries, search_mix
from tickets_report import Report, figures, table
from tickets_rows import Seeded, Sizes
from tickets_seed import describe, seed

from contactcenter.context import Services, build_services
from contactcenter.db import Database
from contactcenter.embedded_redis import EmbeddedRedis
from contactcenter.settings import load_settings

FULL = {"tickets": 1_000_000, "clocks": 100_000, "list_queries": 400, "search_queries": 300, "due_clocks": 200}
QUICK = {"tickets": 100_000, "clocks": 10_000, "list_queries": 200, "search_queries": 150, "due_clocks": 50}
NOT_OURS = ("test", "postgres", "template0", "template1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the ticket desk (list, search, SLA sweep, breach lag) on PostgreSQL.",
        epilog="The database --database is created on the server of --postgres-url, loaded, and dropped at the end "
        "(unless --keep); it must not exist already (unless --reuse). Without --redis-url a private redis-server is "
        "started in a temporary directory; with one, that Redis database must be empty and is flushed at the end.",
    )
    parser.add_argument("--quick", action="store_true", help="100,000 tickets and 10,000 clocks (about a minute)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server's maintenance database, to create and drop the benchmark's database from",
    )
    parser.add_argument(
        "--database", default="bench_tickets", help="the benchmark's own database (default %(default)s)"
    )
    parser.add_argument("--redis-url", help="an empty Redis database to use and flush (default: a private Redis)")
    parser.add_argument("--tickets", type=int, help="tickets (default 1,000,000; 100,000 quick)")
    parser.add_argument("--clocks", type=int, help="running SLA clocks (default 100,000; 10,000 quick)")
    parser.add_argument("--list-queries", type=int, help="desk lists timed (default 400; 200 quick)")
    parser.add_argument("--search-queries", type=int, help="searches timed (default 300; 150 quick)")
    parser.add_argument("--due-clocks", type=int, help="clocks the second sweep finds due (default 200; 50 quick)")
    parser.add_argument("--lag-clocks", type=int, default=20, help="clocks whose breach lag is timed (default 20)")
    parser.add_argument("--calls", type=int, default=50, help="new calls whose SQL is timed (default 50)")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end (for --reuse, EXPLAIN)")
    parser.add_argument("--reuse", action="store_true", help="measure a database an earlier --keep run loaded")
    args = parser.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.lag_lead = (2.0, 3.0)
    if args.database in NOT_OURS or args.database.startswith("pg_"):
        parser.error(f"--database {args.database} is not the benchmark's to create and drop")
    return args


def code_version() -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return done.stdout.strip() or "not a git checkout"


def _url(admin: str, database: str) -> str:
    return admin.rsplit("/", 1)[0] + "/" + database


def _prepare_database(args: argparse.Namespace, report: Report) -> Seeded:
    """Create, migrate and load the database (or read back a reused one); the time it took is reported apart."""
    url = _url(args.postgres_url, args.database)
    began = time.perf_counter()
    with psycopg.connect(args.postgres_url, autocommit=True) as admin:
        report.postgres = "PostgreSQL " + str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.database,)).fetchone()
        if args.reuse:
            if not exists:
                raise SystemExit(f"--reuse: there is no database {args.database}")
            return describe(url)
        if exists:
            raise SystemExit(f"database {args.database} exists: drop it, or measure it again with --reuse")
        admin.execute(f'CREATE DATABASE "{args.database}"')
        report.created_database = True
    print(f"seeding {args.tickets:,} tickets into {args.database} ...", file=sys.stderr, flush=True)
    db = Database(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        db.upgrade()
    finally:
        db.dispose()
    print(f"  migrations: {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
    seeded = seed(url, Sizes(args.tickets, args.clocks), say=lambda line: print(line, file=sys.stderr, flush=True))
    report.seed_s = time.perf_counter() - began
    return seeded


def _drop_database(args: argparse.Namespace) -> None:
    with psycopg.connect(args.postgres_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


def measure(args: argparse.Namespace, services: Services, seeded: Seeded, report: Report, workdir: Path) -> None:
    rng = random.Random(11)
    sql = SqlClock(services.db.engine)
    report.lists.sql = report.searches.sql = sql
    lists, searches = list_mix(rng, seeded, args.list_queries), search_mix(rng, seeded, args.search_queries)
    print("warming up, then the desk's lists and searches ...", file=sys.stderr, flush=True)
    run_queries(services, list_mix(rng, seeded, 26) + search_mix(rng, seeded, 10), None)  # caches, plans, jieba
    run_queries(services, lists, report.lists)
    run_queries(services, searches, report.searches)
    print("the minute sweep ...", file=sys.stderr, flush=True)
    report.sweep = measure_sweep(services, seeded, idle_runs=5, due=args.due_clocks)
    print("breach lag (worker and relay) ...", file=sys.stderr, flush=True)
    database_url = _url(args.postgres_url, args.database)
    report.lag = measure_lag(
        services, seeded, workdir, database_url=database_url, count=args.lag_clocks, lead_s=args.lag_lead
    )
    print("new calls ...", file=sys.stderr, flush=True)
    report.calls = open_calls(services, rng, seeded, args.calls, sql) if args.calls else Timings()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    report = Report(args, code_version())
    with contextlib.suppress(OSError):
        report.load_before = Path("/proc/loadavg").read_text().split()[:3]
    if args.redis_url:
        client = Redis.from_url(args.redis_url)
        if client.dbsize():
            raise SystemExit(f"{args.redis_url} is not empty: give an empty Redis database (it is flushed at the end)")
    with tempfile.TemporaryDirectory(prefix="tickets-bench-") as tmp:
        workdir = Path(tmp)
        redis = None if args.redis_url else EmbeddedRedis(workdir / "redis")
        services = None
        try:
            redis_url = args.redis_url or (redis.start() if redis else "")
            report.seeded = seeded = _prepare_database(args, report)
            settings = load_settings(
                DATABASE_URL=_url(args.postgres_url, args.database), REDIS_URL=redis_url, VAR_DIR=str(workdir / "var")
            )
            services = build_services(settings)
            info = services.redis.info("server")
            report.redis = f"Redis {info.get('redis_version', '?')}" + (" (private)" if redis else f" ({redis_url})")
            measure(args, services, seeded, report, workdir)
        finally:
            if services is not None:
                services.close()
            if redis:
                redis.stop()
            elif args.redis_url:
                Redis.from_url(args.redis_url).flushdb()
            if report.created_database and not args.keep:
                _drop_database(args)
    report.took = time.perf_counter() - began
    with contextlib.suppress(OSError):
        report.load_after = Path("/proc/loadavg").read_text().split()[:3]
    result = figures(report)
    print(table(report, result))
    print(json.dumps(result))
    return 1 if report.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
