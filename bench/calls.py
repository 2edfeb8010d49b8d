"""Call benchmark: accept → both parties connected, through the Twilio sandbox, at a steady rate of accepts;
calls as conferences (the product as it is) side by side with the old `<Dial><Client>` bridge (the
smallest reproduction of what the product did on accept, bench/calls_dial.py), in alternating rounds.
Prints a table, then one JSON line (the last line).

    python bench/calls.py            # 20 accepts/s, 5 rounds of 5 s per path (about 2 minutes)
    python bench/calls.py --quick    # 20 accepts/s, 3 rounds of 2 s per path (under a minute)

See docs/performance.md for what is measured and the latest figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests/calendars.yaml
from calls_drive import Console, Driver  # noqa: E402
from calls_report import Report, Round, figures, table  # noqa: E402
from calls_server import never_collect  # noqa: E402
from calls_setup import Stack, seed, start_stack  # noqa: E402

from contactcenter.embedded_redis import EmbeddedRedis  # noqa: E402

WARM_UP = 10  # accepts per path before the measured rounds: code paths, connections and thread pools warm


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark accept → both parties connected: calls as conferences against the old <Dial><Client>.",
        epilog="A private redis-server and a SQLite file live in a temporary directory; nothing of the machine's "
        "is touched. The product, the sandbox and the old path's server each run as a process of their own.",
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds of 2 s per path (under a minute)")
    parser.add_argument("--rate", type=float, default=20.0, help="accepts per second (default 20)")
    parser.add_argument("--rounds", type=int, help="rounds per path (default 5; 3 quick)")
    parser.add_argument("--seconds", type=float, help="seconds of accepts per round (default 5; 2 quick)")
    parser.add_argument("--lead", type=float, default=1.0, help="seconds from a caller's ring to its accept")
    parser.add_argument("--ring-seconds", type=float, default=0.0, help="the sandbox's ring delay (default 0)")
    parser.add_argument(
        "--dump", type=Path, help="also write every accept's moments (Unix seconds) to this file, one JSON line each"
    )
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 5)
    args.seconds = args.seconds or (2.0 if args.quick else 5.0)
    args.count = max(1, round(args.rate * args.seconds))
    return args


def code_version() -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return done.stdout.strip() or "not a git checkout"


async def measure(report: Report, stack: Stack, names: list[str], redis_pid: int | None) -> None:
    """Open every console, warm both paths up, then the rounds: conference and dial back to back, the
    order swapped every round (ABBA), so neither path always runs on the machine the other left."""
    args = report.args
    async with httpx.AsyncClient(timeout=30, trust_env=False) as http:
        driver = Driver(stack, args.rate, args.lead, http)
        began = time.perf_counter()
        await driver.open(names)
        report.login_s = time.perf_counter() - began
        never_collect()  # the consoles are open: what lives from here on is the run's
        fresh = iter(driver.consoles)  # each conference accept has an agent of its own: no wrap-ups in the way

        def agents(count: int) -> list[Console]:
            return [next(fresh) for _ in range(count)]

        pids = {"product": stack.pids["product"], "old": stack.pids["dial"], "sandbox": stack.pids["sandbox"]}
        pids |= {"bench": os.getpid()} | ({"redis": redis_pid} if redis_pid else {})

        await driver.quiet()
        for path in ("conference", "dial"):
            await driver.round(path, 0, WARM_UP, agents(WARM_UP) if path == "conference" else [], pids)
        for index in range(1, args.rounds + 1):
            order = ("conference", "dial") if index % 2 else ("dial", "conference")
            for path in order:
                print(f"round {index}: {path} ...", file=sys.stderr, flush=True)
                consoles = agents(args.count) if path == "conference" else []
                accepts, cpu = await driver.round(path, index, args.count, consoles, pids)
                report.rounds.append(Round(path, index, accepts, cpu, driver.drained[-1]))
        report.problems_seen += driver.problems
        await driver.close()


def dump_accepts(report: Report, path: Path) -> None:
    """Every accept as one JSON line: where in the run its slow ones fall (together, or spread out)."""
    moments = ("due", "sent", "answered", "redirected", "caller_in", "agent_in", "connected", "joined_event")
    with path.open("w") as out:
        for run in report.rounds:
            for accept in run.accepts:
                line = {"path": accept.path, "round": accept.round, "error": accept.error}
                out.write(json.dumps(line | {name: getattr(accept, name) for name in moments}) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    report = Report(args, code_version())
    with contextlib.suppress(OSError):
        report.load_before = Path("/proc/loadavg").read_text().split()[:3]
    report.agents = WARM_UP + args.rounds * args.count
    with tempfile.TemporaryDirectory(prefix="calls-bench-") as tmp:
        workdir = Path(tmp)
        redis = EmbeddedRedis(workdir / "redis")
        redis_url = redis.start()
        try:
            from redis import Redis

            with Redis.from_url(redis_url) as client:
                report.redis = f"Redis {client.info('server').get('redis_version', '?')} (private redis-server)"
            database_url = f"sqlite:///{workdir / 'bench.db'}"
            print(f"setup: SQLite with the demo data and {report.agents} agents ...", file=sys.stderr, flush=True)
            names = seed(database_url, report.agents)
            with start_stack(
                workdir, redis_url=redis_url, database_url=database_url, ring_seconds=args.ring_seconds
            ) as stack:
                print("measuring ...", file=sys.stderr, flush=True)
                redis_pid = redis.process.pid if redis.process else None
                with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                    runner.run(measure(report, stack, names, redis_pid))
        finally:
            redis.stop()
    report.took = time.perf_counter() - began
    result = figures(report)
    if args.dump:
        dump_accepts(report, args.dump)
    print(table(report, result))
    print(json.dumps(result))
    return 1 if report.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
