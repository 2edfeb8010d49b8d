"""Routing benchmark: engine assignments per second against the Redis round-trip floor, side by side
without and with the reconciler and the outbox relay running against the same Redis and database, and
enqueue → offer latency on the agents' websockets. Prints a table, then one JSON line (the last line).

    python bench/routing.py            # 2,000 agents, 50 queues, 20 skills (a few minutes)
    python bench/routing.py --quick    # 200 agents, shorter phases (under a minute)
    python bench/routing.py --alone    # throughput without the side-by-side rounds

See docs/performance.md for what is measured and the latest figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agent_sockets import raise_fd_limit, web_server
from routing_beside import Beside, prepare_database
from routing_data import QUEUE_COUNT, QUEUES_PER_AGENT, SKILL_COUNT, create_users, population, reset_redis
from routing_latency import Latency, measure_latency
from routing_throughput import PHASES, SideBySide, contact_ids, measure_throughput, schedule

from contactcenter.embedded_redis import EmbeddedRedis

RATES = (200, 1000)
TARGET_ASSIGNMENTS = 5000
TARGET_RATIO = 0.5
TARGET_P99_MS_200 = 25.0
# Issue 14: the reconciler and the outbox may not take the assignment rate below today's or its ratio to
# the floor below 0.45, measured side by side with them running and not.
TARGET_BESIDE_ASSIGNMENTS = 5300
TARGET_BESIDE_RATIO = 0.45


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the routing engine and the offer path to agent websockets.",
        epilog="Without --redis-url a private redis-server is started in a temporary directory and removed "
        "afterwards; the machine's Redis is never touched. With --redis-url that URL is used as given "
        "(pick a spare database, e.g. redis://localhost:6379/15): that database, and only that one, is "
        "FLUSHED (FLUSHDB) before each phase and at the end.",
    )
    parser.add_argument("--quick", action="store_true", help="200 agents and short phases (under a minute)")
    parser.add_argument("--redis-url", help="use this Redis database instead of a private server (it is flushed!)")
    parser.add_argument("--agents", type=int, help="agents and websockets (default 2000; 200 with --quick)")
    parser.add_argument("--threads", type=int, default=4, help="client threads/connections for throughput")
    parser.add_argument("--rounds", type=int, help="throughput rounds of agents/2 assignments (default 20; 30 quick)")
    parser.add_argument("--seconds", type=float, help="duration of each arrival rate (default 5; 2 quick)")
    parser.add_argument("--alone", action="store_true", help="no side-by-side rounds with the reconciler and relay")
    parser.add_argument(
        "--reconcile-every",
        type=float,
        default=1.0,
        help="seconds between reconciler passes in the side-by-side rounds (default 1; production: 5)",
    )
    parser.add_argument("--block", type=int, help="rounds in a row on each side (default rounds/5)")
    args = parser.parse_args(argv)
    args.agents = args.agents or (200 if args.quick else 2000)
    args.rounds = args.rounds or (30 if args.quick else 20)
    args.seconds = args.seconds or (2.0 if args.quick else 5.0)
    args.block = args.block or max(1, args.rounds // 5)
    if args.agents < 2 * QUEUE_COUNT:
        parser.error(f"--agents must be at least {2 * QUEUE_COUNT}")
    return args


def run_latency(args: argparse.Namespace, redis_url: str, redis_pid: int | None, workdir: Path) -> Latency:
    pop = population(args.agents)
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    ids = create_users(database_url, pop)
    reset_redis(redis_url)  # before the app starts: it publishes the queues' settings to Redis
    with web_server(workdir, redis_url, database_url) as (base, web_pid):
        pids = {"bench": os.getpid(), "web": web_pid} | ({"redis": redis_pid} if redis_pid else {})
        try:
            import uvloop

            factory: Any = uvloop.new_event_loop
        except ImportError:
            factory = None
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(measure_latency(base, redis_url, pop, ids, list(RATES), args.seconds, pids))


def run_throughput(args: argparse.Namespace, redis_url: str, workdir: Path) -> tuple[SideBySide, dict[str, Any]]:
    """The throughput rounds; unless --alone, as many again with the reconciler and the relay beside
    (alternate blocks), and what their process reports."""
    pop = population(args.agents)
    if args.alone:
        return measure_throughput(redis_url, pop, threads=args.threads, rounds=args.rounds), {}
    database_url = f"sqlite:///{workdir / 'beside.db'}"
    prepare_database(database_url, contact_ids(len(schedule(args.rounds, args.block, True)), args.agents // 2))
    beside = Beside(workdir, redis_url, database_url, args.reconcile_every)
    try:
        sides = measure_throughput(
            redis_url, pop, threads=args.threads, rounds=args.rounds, beside=beside, block=args.block
        )
    finally:
        reported = beside.close()
    return sides, beside.ready | reported


def figures(sides: SideBySide, lat: Latency, beside: dict[str, Any]) -> dict[str, float]:
    tp, by_rate = sides.alone, {r.rate: r for r in lat.results}
    out = {
        "assignments_per_s": round(tp.assignments_per_s, 1),
        "floor_per_s": round(tp.floor_per_s, 1),
        "floor_ratio": _ratio(tp.assignments_per_s, tp.floor_per_s),
    }
    if sides.beside:
        with_ = sides.beside
        passes = beside.get("passes", {})
        out |= {
            "assignments_per_s_beside": round(with_.assignments_per_s, 1),
            "floor_per_s_beside": round(with_.floor_per_s, 1),
            "floor_ratio_beside": _ratio(with_.assignments_per_s, with_.floor_per_s),
            "beside_ratio": _ratio(with_.assignments_per_s, tp.assignments_per_s),
            "reconcile_passes": passes.get("count", 0),
            "reconcile_pass_ms_median": passes.get("median_ms", 0.0),
            "reconcile_repairs": beside.get("repairs", 0),
        }
    for rate in RATES:
        out[f"offer_p50_ms_{rate}"] = round(by_rate[rate].p50_ms, 2)
        out[f"offer_p99_ms_{rate}"] = round(by_rate[rate].p99_ms, 2)
    return out


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def side_by_side(args: argparse.Namespace, sides: SideBySide, result: dict[str, float], beside: dict[str, Any]) -> str:
    """The throughput without and with the reconciler and the outbox relay running."""
    passes, relays = beside.get("passes", {}), beside.get("relays", {})
    rows = [
        ("without (as above)", result["floor_per_s"], result["assignments_per_s"], result["floor_ratio"]),
        (
            "with reconciler + relay",
            result["floor_per_s_beside"],
            result["assignments_per_s_beside"],
            result["floor_ratio_beside"],
        ),
    ]
    lines = [
        "",
        f"Side by side: the same rounds, in alternate blocks of {args.block} ({sides.alone.rounds} rounds each side), "
        f"without and with the reconciler (a pass every {args.reconcile_every:g} s; production: every 5 s) and the "
        "outbox relay (every 0.5 s) in a process of their own, against the same Redis and a SQLite database",
        f"  {'':<34}{'floor/s':>10}{'assignments/s':>15}{'ratio to floor':>16}",
        *(f"  {name:<34}{floor:>10,.0f}{rate:>15,.0f}{ratio:>16.3f}" for name, floor, rate, ratio in rows),
        f"  {'with / without':<34}{'':>10}{result['beside_ratio']:>15.3f}",
        f"  reconciler: {passes.get('count', 0)} passes, median {passes.get('median_ms', 0):.1f} ms, max "
        f"{passes.get('max_ms', 0):.1f} ms, {beside.get('repairs', 0)} repairs (first pass, sweeping every record: "
        f"{beside.get('first_pass_ms', 0):.0f} ms, before the rounds); relay: {relays.get('count', 0)} looks, median "
        f"{relays.get('median_ms', 0):.1f} ms",
        f"  routing's records at the end: {sides.records:,} (the reconciler reads only the live ones)",
    ]
    return "\n".join(lines)


def table(
    args: argparse.Namespace,
    redis_version: str,
    sides: SideBySide,
    lat: Latency,
    result: dict[str, float],
    beside: dict[str, Any],
    took: float,
) -> str:
    tp = sides.alone

    lines = [
        f"Routing benchmark{' (--quick: targets are for the full run)' if args.quick else ''}",
        f"  machine: {platform.machine()}, {_cores()} cores, Python {platform.python_version()}, Redis {redis_version} "
        f"({'--redis-url' if args.redis_url else 'private redis-server, appendonly yes'}); everything on this machine",
        f"  setup: {args.agents} agents, {QUEUE_COUNT} queues, {SKILL_COUNT} skills; each agent in {QUEUES_PER_AGENT} "
        "queues with skill levels; each queue needs 1 skill at level >= 2, which its agents have",
        "  (skills go to the engine: configure_queue / set_agent_state; it checks them on every match); "
        "strategy longest_idle",
        "",
        f"Assignment throughput ({tp.threads} threads, one connection each, used for the floor and the engine "
        f"alike; {tp.rounds} rounds of {tp.contacts_per_round} contacts)",
        f"  {'operation':<34}{'ok/s':>10}{'Redis µs/call':>15}{'Redis-bound max/s':>19}",
    ]
    names = {
        "floor": "floor: trivial Lua `return 1`",
        "enqueue": "enqueue + match = assignment",
        "accept": "accept (→ connecting)",
        "joined": "joined (→ answered)",
        "finish": "finish (→ wrap-up)",
        "end_wrap_up": "end_wrap_up (→ available)",
    }
    for name in PHASES:
        phase = tp.phases[name]
        us = phase.server_us_per_call
        ceiling = f"{1e6 / us:>19,.0f}" if us else f"{'-':>19}"
        lines.append(f"  {names[name]:<34}{phase.per_s:>10,.0f}{us:>15.1f}{ceiling}")
    lines += [
        f"  {'full contact lifecycles (5 calls)':<34}{tp.lifecycles_per_s:>10,.0f}",
        *([side_by_side(args, sides, result, beside)] if sides.beside else []),
        "",
        f"Offer latency: enqueue() → offer.created on the agent's websocket ({lat.agents} consoles logged in "
        f"and connected in {lat.login_s:.1f} s + {lat.connect_s:.1f} s)",
        f"  {'rate/s':>8}{'sent':>7}{'recv':>7}{'achieved/s':>12}{'max lag ms':>12}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'max ms':>9}  CPU: machine busy; per process % of one core",
    ]
    for r in lat.results:
        lines.append(
            f"  {r.rate:>8}{r.sent:>7}{r.received:>7}{r.achieved_per_s:>12.0f}{r.max_lag_ms:>12.1f}"
            f"{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.max_ms:>9.2f}  {r.machine_busy_percent:.0f}%; "
            + " ".join(f"{name} {pct:.0f}" for name, pct in r.cpu_percent.items())
        )
    if lat.free_errors:
        lines.append(f"  {lat.free_errors} offers could not be accepted/finished (see RoutingError)")
    lines += [
        "",
        "Targets",
        f"  assignments/s >= {TARGET_ASSIGNMENTS:,}: {result['assignments_per_s']:,.0f}  "
        f"{verdict(result['assignments_per_s'] >= TARGET_ASSIGNMENTS)}",
        f"  ratio to floor >= {TARGET_RATIO}: {result['floor_ratio']:.3f}  "
        f"{verdict(result['floor_ratio'] >= TARGET_RATIO)}",
        f"  p99 at 200/s <= {TARGET_P99_MS_200:.0f} ms: {result['offer_p99_ms_200']:.2f} ms  "
        f"{verdict(result['offer_p99_ms_200'] <= TARGET_P99_MS_200)}",
    ]
    if sides.beside:
        lines += [
            f"  with reconciler + relay: assignments/s >= {TARGET_BESIDE_ASSIGNMENTS:,}: "
            f"{result['assignments_per_s_beside']:,.0f}  "
            f"{verdict(result['assignments_per_s_beside'] >= TARGET_BESIDE_ASSIGNMENTS)}",
            f"  with reconciler + relay: ratio to floor >= {TARGET_BESIDE_RATIO}: {result['floor_ratio_beside']:.3f}  "
            f"{verdict(result['floor_ratio_beside'] >= TARGET_BESIDE_RATIO)}",
        ]
    lines += [
        f"  finished in {took:.0f} s",
    ]
    return "\n".join(lines)


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b else 0.0


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    raise_fd_limit(4 * args.agents + 1024)
    with tempfile.TemporaryDirectory(prefix="routing-bench-") as tmp:
        workdir = Path(tmp)
        server = None if args.redis_url else EmbeddedRedis(workdir / "redis")
        redis_url = args.redis_url or (server.start() if server else "")
        try:
            redis_version = reset_redis(redis_url)
            each = "" if args.alone else " each side, without and with the reconciler and relay"
            print(f"throughput: {args.agents} agents, {args.rounds} rounds{each} ...", file=sys.stderr, flush=True)
            sides, beside = run_throughput(args, redis_url, workdir)
            print("latency: starting the web app, logging agents in ...", file=sys.stderr, flush=True)
            redis_pid = server.process.pid if server and server.process else None
            lat = run_latency(args, redis_url, redis_pid, workdir)
            reset_redis(redis_url)
        finally:
            if server:
                server.stop()
    result = figures(sides, lat, beside)
    print(table(args, redis_version, sides, lat, result, beside, time.perf_counter() - began))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
