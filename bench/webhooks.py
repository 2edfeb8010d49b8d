"""Incoming-call webhook benchmark: POST /twilio/voice (signature check, contact + ticket + customer
in SQL, IVR flow, TwiML) against a bare Starlette endpoint that answers fixed TwiML, both run by the
same uvicorn settings and measured alternately. Prints a table, then one JSON line (the last line).

    python bench/webhooks.py            # 5 rounds of 5 s per server, 10 s at 300/s (about 90 s)
    python bench/webhooks.py --quick    # 3 rounds of 2 s per server, 4 s at 300/s (under a minute)

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

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests.twilio_params
from agent_sockets import choose_cores  # noqa: E402
from webhooks_load import Callers, Calls, Tally, Target, build_requests, closed_loop, open_loop  # noqa: E402
from webhooks_report import Report, Round, figures, table  # noqa: E402
from webhooks_rooms import hold_in_routing, leg_requests, room_requests  # noqa: E402
from webhooks_setup import Servers, Watch, count_rows, seed_database  # noqa: E402

from contactcenter.demo import CUSTOMERS  # noqa: E402
from contactcenter.embedded_redis import EmbeddedRedis  # noqa: E402

HOTLINE = "+862180000000"  # the demo hotline (contactcenter.sandbox_runtime.DEFAULT_HOTLINE)
RATE = 300
KNOWN_SHARE = 0.2  # one call in five comes from a demo customer
OTHER_CALLERS = 500
BARE_POOL = 4000  # the bare endpoint stores nothing, so its requests are reused
FIRST_ANSWERS_PER_SECOND = 1500  # first answers signed per second of the phase: more than it can take
ROOM_CALLS = 250  # calls whose room events and agent legs are signed (each request is sent again and again)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the incoming-call webhook against a bare endpoint on the same server settings.",
        epilog="Without --redis-url (or REDIS_URL) a private redis-server is started in a temporary directory. "
        "With one, that Redis is used as given and nothing in it is flushed; the app publishes the demo queues' "
        "settings to it at start, as every app process does. SQLite lives in a temporary directory.",
    )
    parser.add_argument("--quick", action="store_true", help="3 rounds of 2 s, 4 s at 300/s (under a minute)")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"), help="use this Redis (default: private)")
    parser.add_argument("--rounds", type=int, help="rounds per server (default 5; 3 quick)")
    parser.add_argument("--seconds", type=float, help="seconds per round (default 5; 2 quick)")
    parser.add_argument("--latency-seconds", type=float, help="seconds at 300/s per server (default 10; 4 quick)")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections for throughput")
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin the client to one core, the servers to another"
    )
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 5)
    args.seconds = args.seconds or (2.0 if args.quick else 5.0)
    args.latency_seconds = args.latency_seconds or (4.0 if args.quick else 10.0)
    return args


def code_version() -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return done.stdout.strip() or "not a git checkout"


async def measure(args: argparse.Namespace, servers: Servers, report: Report, redis_url: str) -> None:
    """Warm both up, alternate throughput rounds (webhook, bare, webhook, ...), 300/s each, then the
    first answers of the calls the webhook took (the webhook that registers a call), then the conference
    webhooks (a room's events, an agent leg's progress)."""
    app, bare = Target("127.0.0.1", servers.app_port), Target("127.0.0.1", servers.bare_port)
    seed = iter(range(1, 1_000_000))
    taken_calls: list[Calls] = []  # every call sent to the incoming-call webhook, in order

    def fresh(count: int) -> Calls:  # signed before the clock starts
        return build_requests(count, seed=next(seed), **servers.request_settings)

    def taken(calls: Calls, tally: Tally) -> None:
        sent = tally.ok + tally.late + tally.errors
        taken_calls.append(Calls(calls.incoming[:sent], calls.params[:sent], calls.answer_to))

    bare_requests = fresh(max(BARE_POOL, int(RATE * args.latency_seconds))).incoming
    estimate = 0.0
    for name in ("webhook", "bare"):
        calls = fresh(3000) if name == "webhook" else None
        tally, seconds, _ = await closed_loop(
            app if calls else bare,
            calls.incoming if calls else bare_requests,
            connections=args.connections,
            seconds=1.0,
            reuse=calls is None,
        )
        report.warmup[name] = tally
        if calls:
            estimate = tally.ok / seconds
            taken(calls, tally)
    for index in range(1, args.rounds + 1):
        for name in ("webhook", "bare"):
            calls = fresh(int(estimate * args.seconds * 2.5) + 1000) if name == "webhook" else None
            await asyncio.sleep(0.5)  # let the previous round's stragglers finish
            watch = Watch(servers.pids(name))
            tally, seconds, exhausted = await closed_loop(
                app if calls else bare,
                calls.incoming if calls else bare_requests,
                connections=args.connections,
                seconds=args.seconds,
                reuse=calls is None,
            )
            report.rounds.append(Round(name, index, tally, seconds, exhausted, watch.stop()))
            if calls:
                estimate = max(estimate, tally.ok / seconds)
                taken(calls, tally)
    for name, target in (("webhook", app), ("bare", bare)):
        count = int(RATE * args.latency_seconds)
        calls = fresh(count) if name == "webhook" else None
        await asyncio.sleep(1.0)
        watch = Watch(servers.pids(name))
        report.paced[name] = await open_loop(target, calls.incoming if calls else bare_requests[:count], rate=RATE)
        report.paced_cpu[name] = watch.stop()
        if calls:
            taken_calls.append(calls)
    # The first answers of as many calls as the webhook can register in the time (it is far slower).
    wanted = int(FIRST_ANSWERS_PER_SECOND * args.seconds)
    first_answers: list[bytes] = []
    for calls in taken_calls:
        first_answers += calls.first_answers(wanted - len(first_answers))
    await asyncio.sleep(1.0)
    watch = Watch(servers.pids("webhook"))
    tally, seconds, _ = await closed_loop(
        app, first_answers, connections=args.connections, seconds=args.seconds, reuse=False
    )
    report.first_answer = Round("first answer", 1, tally, seconds, False, watch.stop())
    # The conference webhooks: they store nothing new per request, so a pool is sent round and round.
    settings = servers.request_settings
    signing = {"base": settings["public_url"].rsplit("/twilio/voice", 1)[0]}
    signing |= {key: settings[key] for key in ("host", "token", "account_sid")}
    rooms = {
        "conference": room_requests(ROOM_CALLS, seed=1, **signing),
        "agent-leg": leg_requests(ROOM_CALLS, seed=2, **signing),
    }
    with hold_in_routing(redis_url, ROOM_CALLS):
        for name, requests in rooms.items():
            await asyncio.sleep(1.0)
            watch = Watch(servers.pids("webhook"))
            tally, seconds, _ = await closed_loop(
                app, requests, connections=args.connections, seconds=args.seconds, reuse=True
            )
            report.rooms.append(Round(name, 1, tally, seconds, False, watch.stop()))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
    client_core, server_core = choose_cores(args.no_pin)
    report = Report(args, client_core, server_core, code_version(), usable_cores=usable)
    with contextlib.suppress(OSError):
        report.load_before = Path("/proc/loadavg").read_text().split()[:3]
    report.callers = f"{KNOWN_SHARE:.0%} from the {len(CUSTOMERS)} demo customers, else one of {OTHER_CALLERS} mobiles"
    with tempfile.TemporaryDirectory(prefix="webhooks-bench-") as tmp:
        workdir = Path(tmp)
        redis = None if args.redis_url else EmbeddedRedis(workdir / "redis")
        redis_url = args.redis_url or (redis.start() if redis else "")
        try:
            database_url = f"sqlite:///{workdir / 'bench.db'}"
            print("setup: SQLite with the demo data, then both servers ...", file=sys.stderr, flush=True)
            seed_database(database_url)
            callers = Callers.make(
                tuple(customer[0] for customer in CUSTOMERS), OTHER_CALLERS, KNOWN_SHARE
            )  # phone first
            with Servers.start(
                workdir, redis_url=redis_url, database_url=database_url, core=server_core, callers=callers, to=HOTLINE
            ) as servers:
                report.describe_setup(
                    redis_url, redis is not None, build_requests(1, seed=0, **servers.request_settings).incoming[0]
                )
                print("measuring ...", file=sys.stderr, flush=True)
                with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                    runner.run(measure(args, servers, report, redis_url))
            report.rows = count_rows(database_url)
        finally:
            if redis:
                redis.stop()
    result = figures(report)
    report.took = time.perf_counter() - began
    print(table(report, result))
    print(json.dumps(result))
    return 1 if report.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
