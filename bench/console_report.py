"""The console benchmark's figures and table (bench/console.py measures, this reports)."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routing_latency import percentile

TARGET_KB = 64.0
TARGET_P99_MS = 100.0


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
    floor: dict[str, float] = field(default_factory=dict)  # bench/socket_floor.py, same N, processes and cores
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
    } | floor_figures(run)


def floor_figures(run: Run) -> dict[str, float]:
    """The machine's floor at p99 and our p99 as a multiple of it (when the floor was measured)."""
    if not run.floor.get("p99_ms"):
        return {}
    ours = percentile(run.latencies_ms, 99)
    return {"floor_p99_ms": run.floor["p99_ms"], "p99_over_floor": round(ours / run.floor["p99_ms"], 2)}


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
        *floor_lines(run, result),
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


def floor_lines(run: Run, result: dict[str, float]) -> list[str]:
    floor = run.floor
    if not floor:
        return []
    return [
        "",
        f"The machine's floor, right after on the same cores (bench/socket_floor.py): one process writes a "
        f"148-byte frame to each of {floor['connections']:,} loopback "
        f"sockets with bare socket.send, {run.args.clients} processes read them with epoll + recv; no framework, "
        "no HTTP, no Redis",
        f"  deliveries {floor['deliveries']:,} of {floor['expected']:,}: p50 {floor['p50_ms']:.1f} ms, "
        f"p99 {floor['p99_ms']:.1f} ms, max {floor['max_ms']:.1f} ms; the send loop alone: median "
        f"{floor['send_loop_ms']:.1f} ms",
        f"  this system's p99 / the floor's p99: {result.get('p99_over_floor', 0):.2f}",
    ]


def code_version() -> str:
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return done.stdout.strip() or "not a git checkout"
