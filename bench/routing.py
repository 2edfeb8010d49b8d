"""Routing benchmark: engine assignments per second against the Redis round-trip floor, and enqueue →
offer latency on the agents' websockets. Prints a table, then one JSON line (the last line).

    python bench/routing.py            # 2,000 agents, 50 queues, 20 skills (a few minutes)
    python bench/routing.py --quick    # 200 agents, shorter phases (under a minute)

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
from routing_data import QUEUE_COUNT, QUEUES_PER_AGENT, SKILL_COUNT, create_users, population, reset_redis
from routing_latency import Latency, measure_latency
from routing_throughput import PHASES, Throughput, measure_throughput

from contactcenter.embedded_redis import EmbeddedRedis

RATES = (200, 1000)
TARGET_ASSIGNMENTS = 5000
TARGET_RATIO = 0.5
TARGET_P99_MS_200 = 25.0


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
    args = parser.parse_args(argv)
    args.agents = args.agents or (200 if args.quick else 2000)
    args.rounds = args.rounds or (30 if args.quick else 20)
    args.seconds = args.seconds or (2.0 if args.quick else 5.0)
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


def figures(tp: Throughput, lat: Latency) -> dict[str, float]:
    by_rate = {r.rate: r for r in lat.results}
    out = {
        "assignments_per_s": round(tp.assignments_per_s, 1),
        "floor_per_s": round(tp.floor_per_s, 1),
        "floor_ratio": round(tp.assignments_per_s / tp.floor_per_s, 3) if tp.floor_per_s else 0.0,
    }
    for rate in RATES:
        out[f"offer_p50_ms_{rate}"] = round(by_rate[rate].p50_ms, 2)
        out[f"offer_p99_ms_{rate}"] = round(by_rate[rate].p99_ms, 2)
    return out


def table(
    args: argparse.Namespace, redis_version: str, tp: Throughput, lat: Latency, result: dict[str, float], took: float
) -> str:
    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

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
        "accept": "accept",
        "finish": "finish (→ wrap-up)",
        "end_wrap_up": "end_wrap_up (→ available)",
    }
    for name in PHASES:
        phase = tp.phases[name]
        us = phase.server_us_per_call
        ceiling = f"{1e6 / us:>19,.0f}" if us else f"{'-':>19}"
        lines.append(f"  {names[name]:<34}{phase.per_s:>10,.0f}{us:>15.1f}{ceiling}")
    lines += [
        f"  {'full contact lifecycles (4 calls)':<34}{tp.lifecycles_per_s:>10,.0f}",
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
        f"  finished in {took:.0f} s",
    ]
    return "\n".join(lines)


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
            print(f"throughput: {args.agents} agents, {args.rounds} rounds ...", file=sys.stderr, flush=True)
            tp = measure_throughput(redis_url, population(args.agents), threads=args.threads, rounds=args.rounds)
            print("latency: starting the web app, logging agents in ...", file=sys.stderr, flush=True)
            redis_pid = server.process.pid if server and server.process else None
            lat = run_latency(args, redis_url, redis_pid, workdir)
            reset_redis(redis_url)
        finally:
            if server:
                server.stop()
    result = figures(tp, lat)
    print(table(args, redis_version, tp, lat, result, time.perf_counter() - began))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
