"""QA figures benchmark on PostgreSQL: 100,000 evaluations over a year (their answer rows beside them), then the
figures the page asks for (`contactcenter.qa.figures.figures`, on a reading session as the route runs it): a
month by agent, a team lead's month, a quarter by team, a quarter by queue, a month of one queue, an agent's
own month, and a year by team. Prints a table, then one JSON line (the last line).

    python bench/qa_figures.py            # 100,000 evaluations, 600 timed queries
    python bench/qa_figures.py --quick    # 100,000 evaluations, 140 timed queries (within a minute)

See docs/performance.md ("QA figures") for what is measured and the latest figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from qa_figures_seed import Seeded, seed
from routing_latency import percentile
from sqlalchemy import event

import contactcenter.models  # noqa: F401  (every table on Base.metadata)
from contactcenter.db import Base, Database
from contactcenter.qa.figures import Filters, figures, own_figures, period_of

ZONE = "Asia/Shanghai"
TARGET_P99_MS = 300.0
YEAR = "year by team"
NOT_OURS = ("test", "postgres", "template0", "template1")
Query = tuple[str, Callable[[], dict[str, object]]]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the QA figures over 100,000 evaluations on PostgreSQL.",
        epilog="The database --database is created on the server of --postgres-url, loaded, and dropped at the end "
        "(unless --keep); it must not exist already.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer timed queries (within a minute)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL server's database to create and drop the benchmark's own from",
    )
    parser.add_argument("--database", default="bench_qa_figures", help="the benchmark's own (default %(default)s)")
    parser.add_argument("--evaluations", type=int, default=100_000, help="evaluations seeded (default 100,000)")
    parser.add_argument("--rounds", type=int, help="timed rounds of the seven queries (default 80; 20 quick)")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end (for EXPLAIN)")
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (20 if args.quick else 80)
    if args.database in NOT_OURS or args.database.startswith("pg_"):
        parser.error(f"--database {args.database} is not the benchmark's to create and drop")
    return args


def _url(admin: str, database: str) -> str:
    return admin.rsplit("/", 1)[0] + "/" + database


def prepare(args: argparse.Namespace, say: Callable[[str], None]) -> tuple[Seeded, str]:
    """Create, migrate and load the benchmark's database; returns what was seeded and the server's version."""
    with psycopg.connect(args.postgres_url, autocommit=True) as admin:
        version = "PostgreSQL " + str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.database,)).fetchone():
            raise SystemExit(f"database {args.database} exists: drop it first")
        admin.execute(f'CREATE DATABASE "{args.database}"')
    url = _url(args.postgres_url, args.database)
    began = time.perf_counter()
    db = Database(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        # The models' schema, not the migrations': the answer rows' table has no migration yet, and 0018 does not
        # run on PostgreSQL (a boolean's server default of 0). Same tables and indexes as the models say.
        Base.metadata.create_all(db.engine)
    finally:
        db.dispose()
    say(f"  schema: {time.perf_counter() - began:.1f} s")
    return seed(url, evaluations=args.evaluations, say=say), version


def queries(db: Database, seeded: Seeded, rng: random.Random) -> list[Query]:
    """One of each kind of figures the page and the console ask for, over periods chosen at random."""
    today = seeded.now.astimezone(ZoneInfo(ZONE)).date()

    def month() -> tuple[date, date]:
        first = (today - timedelta(days=rng.randrange(0, 330))).replace(day=1)
        return first, min(today, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1))

    def quarter() -> tuple[date, date]:
        first = today - timedelta(days=rng.randrange(91, 365))
        return first, first + timedelta(days=90)

    def run(span: tuple[date, date], group: str, **filters: object) -> dict[str, object]:
        period = period_of(first=span[0], last=span[1], timezone=ZONE)
        with db.reading() as session:
            return figures(session, period=period, group=group, filters=Filters(**filters))  # type: ignore[arg-type]

    def own() -> dict[str, object]:
        span = month()
        with db.reading() as session:
            agent = rng.choice(list(seeded.agents))
            return own_figures(session, agent_id=agent, period=period_of(first=span[0], last=span[1], timezone=ZONE))

    team = rng.choice(list(seeded.leads))
    team_agents = frozenset(a for a, t in seeded.agents.items() if t == team) | {seeded.leads[team]}
    return [
        ("month by agent", lambda: run(month(), "agent")),
        ("team lead's month", lambda: run(month(), "agent", agents=team_agents)),
        ("quarter by team", lambda: run(quarter(), "team")),
        ("quarter by queue, chat", lambda: run(quarter(), "queue", channel="chat")),
        ("month of a queue", lambda: run(month(), "agent", queue=rng.choice(("general", "orders")))),
        ("agent's own month", own),
        (YEAR, lambda: run((today - timedelta(days=364), today), "team")),
    ]


def measure(db: Database, seeded: Seeded, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Each query kind `rounds` times, interleaved; the wall time of each and the part spent in SQL."""
    rng = random.Random(5)
    in_sql = [0.0]

    @event.listens_for(db.reader, "before_cursor_execute")
    def _before(*_: object) -> None:
        in_sql.append(time.perf_counter())

    @event.listens_for(db.reader, "after_cursor_execute")
    def _after(*_: object) -> None:
        in_sql[0] += time.perf_counter() - in_sql.pop()

    mix = queries(db, seeded, rng)
    for _, call in mix:  # warm: plans, the forms' words, the pool
        call()
    found: dict[str, dict[str, list[float]]] = {name: {"wall": [], "sql": []} for name, _ in mix}
    for _ in range(rounds):
        for name, call in mix:
            in_sql[0] = 0.0
            began = time.perf_counter()
            call()
            found[name]["wall"].append(1000 * (time.perf_counter() - began))
            found[name]["sql"].append(1000 * in_sql[0])
    return found


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    say(f"seeding {args.evaluations:,} evaluations into {args.database} ...")
    try:
        seeded, server = prepare(args, say)
        seed_s = time.perf_counter() - began
        db = Database(_url(args.postgres_url, args.database).replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            say(f"timing {args.rounds} rounds of {7} queries ...")
            timings = measure(db, seeded, args.rounds)
        finally:
            db.dispose()
    finally:
        if not args.keep:
            with psycopg.connect(args.postgres_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    # The target is the page's typical asks (a month, a quarter); a year is reported beside them.
    every = [value for name, kind in timings.items() if name != YEAR for value in kind["wall"]]
    code = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    print(f"QA figures over {seeded.counts['evaluations']:,} evaluations ({seeded.counts['regular_submitted']:,} "
          f"counted), {seeded.counts['answer_rows']:,} answer rows; {server}; Python {platform.python_version()}; "
          f"code {code}; load {' '.join(load)}")  # fmt: skip
    print(f"{'query':<26}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'SQL p50':>9}{'SQL p99':>9}")
    for name, kind in timings.items():
        wall, sql = kind["wall"], kind["sql"]
        print(f"{name:<26}{percentile(wall, 50):>9.1f}{percentile(wall, 99):>9.1f}{max(wall):>9.1f}"
              f"{percentile(sql, 50):>9.1f}{percentile(sql, 99):>9.1f}")  # fmt: skip
    p99 = percentile(every, 99)
    verdict = "met" if p99 <= TARGET_P99_MS else "MISSED"
    took = time.perf_counter() - began
    print(f"{'all but the year':<26}{percentile(every, 50):>9.1f}{p99:>9.1f}{max(every):>9.1f}")
    print(f"target p99 <= {TARGET_P99_MS:.0f} ms: {verdict}; seeding {seed_s:.1f} s, all {took:.1f} s")
    result: dict[str, object] = {
        "p50_ms": round(percentile(every, 50), 2),
        "p99_ms": round(p99, 2),
        **{
            f"{name.replace(' ', '_').replace(',', '').replace(chr(39), '')}_p99_ms": round(
                percentile(kind["wall"], 99), 2
            )
            for name, kind in timings.items()
        },  # fmt: skip
        "evaluations": seeded.counts["evaluations"],
        "answer_rows": seeded.counts["answer_rows"],
        "queries": sum(len(kind["wall"]) for kind in timings.values()),
        "seed_s": round(seed_s, 1),
        "target_met": p99 <= TARGET_P99_MS,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
