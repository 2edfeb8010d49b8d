"""Console websocket benchmark: N agents' consoles open at once on ONE server process, with heartbeats;
the server's memory per connection, and how long a supervisor's announcement takes to reach all of them.
Prints a table, then one JSON line (the last line).

    python bench/console.py            # 5,000 consoles, 20 announcements 1 s apart (about 1.5 minutes)
    python bench/console.py --quick    # 1,000 consoles, 10 announcements 0.5 s apart (under a minute)

See docs/performance.md for what is measured and the latest figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests.twilio_params
from agent_sockets import cheap_password_hash, choose_cores, raise_fd_limit, web_server
from console_clients import run as client_process
from routing_latency import percentile
from webhooks_setup import Watch

from contactcenter.embedded_redis import EmbeddedRedis

PASSWORD = "bench-password-not-secret"
TARGET_KB = 64.0
TARGET_P99_MS = 100.0
FD_SLACK = 1024


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark many open agent consoles on one server process: memory per websocket and "
        "announcement fan-out latency.",
        epilog="A private redis-server and a SQLite file live in a temporary directory; nothing of the machine's "
        "is touched. The server runs `contactcenter serve`'s settings (one process).",
    )
    parser.add_argument("--quick", action="store_true", help="1,000 consoles, 10 announcements (under a minute)")
    parser.add_argument("--connections", type=int, help="console websockets (default 5000; 1000 with --quick)")
    parser.add_argument("--clients", type=int, help="client processes the sockets are spread over (default 4; 2)")
    parser.add_argument("--announcements", type=int, help="announcements posted (default 20; 10 with --quick)")
    parser.add_argument("--spacing", type=float, help="seconds between announcements (default 1; 0.5 with --quick)")
    parser.add_argument("--idle", type=float, help="seconds all sockets sit idle before memory is read (default 10; 5)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin the server to one core, clients to another")
    args = parser.parse_args(argv)
    args.connections = args.connections or (1000 if args.quick else 5000)
    args.clients = args.clients or (2 if args.quick else 4)
    args.announcements = args.announcements or (10 if args.quick else 20)
    args.spacing = args.spacing if args.spacing is not None else (0.5 if args.quick else 1.0)
    args.idle = args.idle if args.idle is not None else (5.0 if args.quick else 10.0)
    return args


def seed(database_url: str, agents: int) -> list[str]:
    """Migrate an empty database, add the demo data (its supervisor posts the announcements, with PASSWORD)
    and `agents` agents sharing one cheap password hash (see agent_sockets.cheap_password_hash)."""
    import contactcenter.models  # noqa: F401  (every table mapped before the first query)
    from contactcenter.db import Database
    from contactcenter.demo import create_demo_data
    from contactcenter.users.models import Role, User

    names = [f"console{n:05d}" for n in range(agents)]
    db = Database(database_url)
    try:
        db.upgrade()
        with db.session() as session:
            create_demo_data(session, password=PASSWORD)
            cheap = cheap_password_hash(PASSWORD)
            session.add_all(
                User(username=n, display_name=n, password_hash=cheap, role=Role.AGENT, skills={}) for n in names
            )
    finally:
        db.dispose()
    return names


@dataclass
class Memory:
    rss_kb: int
    pss_kb: int
    anon_kb: int
    fds: int

    @classmethod
    def of(cls, pid: int) -> Memory:
        """VmRSS from /proc/PID/status; Pss and anonymous memory from smaps_rollup; open files."""

        def field_kb(text: str, name: str) -> int:
            for line in text.splitlines():
                if line.startswith(name + ":"):
                    return int(line.split()[1])
            return 0

        status = Path(f"/proc/{pid}/status").read_text()
        rollup = ""
        with contextlib.suppress(OSError):
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return cls(field_kb(status, "VmRSS"), field_kb(rollup, "Pss"), field_kb(rollup, "Anonymous"), fds)


@dataclass
class Run:
    args: argparse.Namespace
    client_core: int | None
    server_core: int | None
    load_before: list[str]
    redis_version: str = "?"
    login_s: float = 0.0
    connect_s: float = 0.0
    opened: int = 0
    open_errors: list[str] = field(default_factory=list)
    before: Memory | None = None
    after: Memory | None = None
    posts: dict[int, float] = field(default_factory=dict)  # seq -> wall-clock time just before its POST
    post_ms: list[float] = field(default_factory=list)
    post_errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    all_reached_ms: list[float] = field(default_factory=list)  # per announcement: until its last socket
    first_reached_ms: list[float] = field(default_factory=list)  # per announcement: until its first socket
    misses: int = 0
    duplicates: int = 0
    reports: list[dict[str, Any]] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # during the announcements
    idle_cpu: dict[str, float] = field(default_factory=dict)  # right after them, heartbeats only, as long
    announce_s: float = 0.0
    took: float = 0.0

    def server_ms_per_announcement(self) -> float:
        """The server's CPU time per announcement: its CPU during the announcements less its idle rate."""
        extra = (self.cpu.get("server", 0.0) - self.idle_cpu.get("server", 0.0)) / 100 * self.announce_s
        return 1000 * extra / max(len(self.posts), 1)

    def total(self, key: str) -> int:
        return sum(int(r[key]) for r in self.reports)

    def problems(self) -> list[str]:
        out = []
        if self.opened < self.args.connections:
            out.append(f"only {self.opened} of {self.args.connections} consoles opened: {self.open_errors[:3]}")
        if self.post_errors:
            out.append(f"{len(self.post_errors)} announcements failed: {self.post_errors[:3]}")
        if self.misses:
            out.append(f"{self.misses} deliveries missing (announcement x socket)")
        if self.duplicates:
            out.append(f"{self.duplicates} deliveries duplicated")
        if self.reports and self.total("unexpected_closes"):
            out.append(f"{self.total('unexpected_closes')} sockets closed unexpectedly ({self.close_codes()})")
        if self.reports and self.total("behind_on_pongs"):
            out.append(f"{self.total('behind_on_pongs')} sockets missed pongs")
        if self.reports and self.total("open") != self.opened:
            out.append(f"{self.opened - self.total('open')} sockets no longer open at the end")
        return out

    def close_codes(self) -> dict[str, int]:
        codes: dict[str, int] = {}
        for report in self.reports:
            for code, n in report["close_codes"].items():
                codes[code] = codes.get(code, 0) + n
        return codes


def ask(conns: list[Connection], command: str, timeout: float = 300) -> list[tuple[Any, ...]]:
    """Send a command to every client process; their answers, in order."""
    for conn in conns:
        conn.send(command)
    answers = []
    for conn in conns:
        if not conn.poll(timeout):
            raise RuntimeError(f"a client process did not answer {command!r} within {timeout:.0f} s")
        answers.append(conn.recv())
    return answers


def measure(run: Run, base: str, server_pid: int, redis_pid: int | None, names: list[str]) -> None:
    args = run.args
    supervisor = httpx.Client(base_url=base, timeout=30, trust_env=False)
    supervisor.post("/login", json={"username": "supervisor", "password": PASSWORD}).raise_for_status()
    warm = supervisor.post("/api/announcements", json={"text": "warm-up"})  # loads the code paths once
    warm.raise_for_status()

    ctx = multiprocessing.get_context("spawn")
    share = -(-len(names) // args.clients)
    conns, processes = [], []
    for k in range(args.clients):
        mine, theirs = ctx.Pipe()
        chunk = names[k * share : (k + 1) * share]
        proc = ctx.Process(target=client_process, args=(theirs, base, chunk, PASSWORD, k * share, run.client_core))
        proc.start()
        conns.append(mine)
        processes.append(proc)
    try:
        began = time.perf_counter()
        logged = [conn.recv() for conn in conns]  # the processes log in as soon as they start
        run.login_s = time.perf_counter() - began
        assert all(answer[0] == "logged_in" for answer in logged), logged
        time.sleep(2)
        run.before = Memory.of(server_pid)
        print(f"memory before: {run.before}; opening {len(names)} consoles ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        connected = ask(conns, "connect")
        run.connect_s = time.perf_counter() - began
        run.opened = sum(answer[1] for answer in connected)
        run.open_errors = [e for answer in connected for e in answer[2]]
        pids = {"server": server_pid} | {f"client{k + 1}": p.pid or 0 for k, p in enumerate(processes)}
        pids |= {"redis": redis_pid} if redis_pid else {}
        time.sleep(args.idle)
        run.after = Memory.of(server_pid)
        print(f"memory after: {run.after}; announcing ...", file=sys.stderr, flush=True)

        watch = Watch(pids)
        for i in range(args.announcements):
            at = time.time()
            response = supervisor.post("/api/announcements", json={"text": f"bench announcement {i + 1}"})
            run.post_ms.append((time.time() - at) * 1000)
            if response.status_code != 201:
                run.post_errors.append(f"{response.status_code} {response.text[:200]}")
            else:
                run.posts[int(response.json()["seq"])] = at
            time.sleep(args.spacing)
        time.sleep(2)  # the last ones arrive
        run.cpu = watch.stop()
        run.announce_s = time.perf_counter() - watch.began
        watch = Watch(pids)  # the same sockets with nothing but heartbeats, for as long as the announcements took
        time.sleep(run.announce_s)
        run.idle_cpu = watch.stop()
        run.reports = [answer[1] for answer in ask(conns, "report")]
        ask(conns, "close")
    finally:
        for proc in processes:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
        supervisor.close()
    tally(run)


def tally(run: Run) -> None:
    """Latencies of every (announcement, socket) delivery; misses and duplicates."""
    seen: dict[int, dict[int, float]] = {seq: {} for seq in run.posts}
    for report in run.reports:
        for seq, socket_index, at in report["arrivals"]:
            if seq not in seen:
                continue  # the warm-up, sent before the sockets opened, or a failed post
            if socket_index in seen[seq]:
                run.duplicates += 1
            seen[seq][socket_index] = at
    for seq, arrivals in seen.items():
        run.misses += run.opened - len(arrivals)
        times = [(at - run.posts[seq]) * 1000 for at in arrivals.values()]
        run.latencies_ms += times
        if times:
            run.all_reached_ms.append(max(times))
            run.first_reached_ms.append(min(times))


def figures(run: Run) -> dict[str, float]:
    assert run.before and run.after
    n = max(run.opened, 1)
    return {
        "connections": run.opened,
        "kb_per_connection": round((run.after.rss_kb - run.before.rss_kb) / n, 1),
        "fanout_p50_ms": round(percentile(run.latencies_ms, 50), 2),
        "fanout_p99_ms": round(percentile(run.latencies_ms, 99), 2),
        "fanout_max_ms": round(max(run.latencies_ms, default=0.0), 2),
        "pss_kb_per_connection": round((run.after.pss_kb - run.before.pss_kb) / n, 1),
        "server_rss_mb": round(run.after.rss_kb / 1024, 1),
        "server_ms_per_announcement": round(run.server_ms_per_announcement(), 1),
        "misses": run.misses,
    }


def table(run: Run, result: dict[str, float]) -> str:
    args, before, after = run.args, run.before, run.after
    assert before and after

    def verdict(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    pinning = (
        f"server pinned to core {run.server_core}; the {args.clients} client processes, Redis and this script to "
        f"core {run.client_core} (os.sched_setaffinity)"
        if run.server_core is not None
        else "nothing pinned"
    )
    n = max(run.opened, 1)
    clients_cpu = sum(v for k, v in run.cpu.items() if k.startswith("client"))
    cores = " ".join(f"{k} {v:.0f}%" for k, v in run.cpu.items() if k.startswith("core"))
    idle_clients = sum(v for k, v in run.idle_cpu.items() if k.startswith("client"))
    idle_cores = " ".join(f"{k} {v:.0f}%" for k, v in run.idle_cpu.items() if k.startswith("core"))
    lines = [
        f"Console websocket benchmark{' (--quick: targets are for the full run)' if args.quick else ''}",
        f"  code: {code_version()}; machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, Redis {run.redis_version} (private redis-server), "
        "SQLite in a temporary directory",
        f"  load average before the run: {' '.join(run.load_before)}",
        "  server: contactcenter serve (uvicorn, 1 process, uvloop + httptools, websockets-sansio), log level warning",
        f"  {pinning}",
        f"  clients: {args.connections} agents logged in (POST /login) in {run.login_s:.1f} s, consoles opened "
        f"(hello, snapshot) in {run.connect_s:.1f} s over {args.clients} processes (asyncio + uvloop, websockets "
        "sans-I/O); each pings every 10 s and answers the server's pings",
        "",
        f"Memory of the server process ({run.opened} consoles open, idle {args.idle:.0f} s)",
        f"  {'':<10}{'VmRSS MB':>10}{'Pss MB':>10}{'anon MB':>10}{'open fds':>10}",
        f"  {'before':<10}{before.rss_kb / 1024:>10.1f}{before.pss_kb / 1024:>10.1f}{before.anon_kb / 1024:>10.1f}"
        f"{before.fds:>10}",
        f"  {'after':<10}{after.rss_kb / 1024:>10.1f}{after.pss_kb / 1024:>10.1f}{after.anon_kb / 1024:>10.1f}"
        f"{after.fds:>10}",
        f"  {'per conn':<10}{(after.rss_kb - before.rss_kb) / n:>8.1f}KB{(after.pss_kb - before.pss_kb) / n:>8.1f}KB"
        f"{(after.anon_kb - before.anon_kb) / n:>8.1f}KB",
        "",
        f"Fan-out: {len(run.posts)} announcements (POST /api/announcements as the supervisor, {args.spacing:g} s "
        f"apart), each timed from just before its POST to its arrival on every socket",
        f"  deliveries {len(run.latencies_ms):,} of {len(run.posts) * run.opened:,}; missing {run.misses}, "
        f"duplicated {run.duplicates}",
        f"  per delivery: p50 {result['fanout_p50_ms']:.1f} ms, p90 {percentile(run.latencies_ms, 90):.1f} ms, "
        f"p99 {result['fanout_p99_ms']:.1f} ms, max {result['fanout_max_ms']:.1f} ms",
        f"  until the first socket had it: median {percentile(run.first_reached_ms, 50):.1f} ms, "
        f"max {max(run.first_reached_ms, default=0):.1f} ms (the POST, the event's way through Redis to the server)",
        f"  until the last socket had it: median {percentile(run.all_reached_ms, 50):.1f} ms, "
        f"max {max(run.all_reached_ms, default=0):.1f} ms; the POST itself: median "
        f"{percentile(run.post_ms, 50):.1f} ms",
        f"  CPU during the announcements (% of one core): server {run.cpu.get('server', 0):.0f}, clients "
        f"{clients_cpu:.0f}, redis {run.cpu.get('redis', 0):.0f}; cores busy (whoever): {cores}",
        f"  CPU right after, as long, heartbeats only: server {run.idle_cpu.get('server', 0):.0f}, clients "
        f"{idle_clients:.0f}, redis {run.idle_cpu.get('redis', 0):.0f}; cores busy (whoever): {idle_cores}",
        f"  server CPU per announcement (above its idle rate): {result['server_ms_per_announcement']:.0f} ms, "
        f"{1000 * result['server_ms_per_announcement'] / n:.1f} µs per socket",
        "",
        f"Heartbeats: {run.total('pings'):,} pings sent, {run.total('pongs'):,} pongs back, "
        f"{run.total('server_pings'):,} server pings answered; sockets behind on pongs: "
        f"{run.total('behind_on_pongs')}; closed unexpectedly: {run.total('unexpected_closes')}; "
        f"still open at the end: {run.total('open')}",
        "",
        "Targets",
        f"  memory per connection <= {TARGET_KB:.0f} KB (VmRSS growth / connections): "
        f"{result['kb_per_connection']:.1f} KB  {verdict(result['kb_per_connection'] <= TARGET_KB)}",
        f"  fan-out p99 <= {TARGET_P99_MS:.0f} ms: {result['fanout_p99_ms']:.1f} ms  "
        f"{verdict(result['fanout_p99_ms'] <= TARGET_P99_MS)}",
        f"  finished in {run.took:.0f} s",
    ]
    problems = run.problems()
    if problems:
        lines += ["", "ERRORS: THESE FIGURES ARE NOT VALID", *(f"  {p}" for p in problems)]
    else:
        lines.append("  no errors: every socket got every announcement, no socket closed, every ping was answered")
    return "\n".join(lines)


def code_version() -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return done.stdout.strip() or "not a git checkout"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    wanted = args.connections + FD_SLACK
    limit = raise_fd_limit(wanted)
    if limit < wanted:
        print(
            f"Cannot open {args.connections} consoles here: the open-files limit is {limit} (hard limit; the server "
            f"needs one file per socket plus ~{FD_SLACK}). Raise it (ulimit -Hn, or LimitNOFILE) or use --connections.",
            file=sys.stderr,
        )
        return 1
    client_core, server_core = choose_cores(args.no_pin)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    run = Run(args, client_core, server_core, load)
    with tempfile.TemporaryDirectory(prefix="console-bench-") as tmp:
        workdir = Path(tmp)
        redis = EmbeddedRedis(workdir / "redis")
        redis_url = redis.start()
        try:
            from redis import Redis

            client = Redis.from_url(redis_url)
            run.redis_version = str(client.info("server").get("redis_version", "?"))
            client.close()
            database_url = f"sqlite:///{workdir / 'bench.db'}"
            print(f"setup: SQLite with the demo data and {args.connections} agents ...", file=sys.stderr, flush=True)
            names = seed(database_url, args.connections)
            with web_server(workdir, redis_url, database_url, core=server_core) as (base, server_pid):
                redis_pid = redis.process.pid if redis.process else None
                measure(run, base, server_pid, redis_pid, names)
        finally:
            redis.stop()
    run.took = time.perf_counter() - began
    result = figures(run)
    print(table(run, result))
    print(json.dumps(result))
    return 1 if run.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
