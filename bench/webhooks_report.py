"""What the webhook benchmark found, its figures (the JSON line) and its table."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from dataclasses import dataclass, field
from importlib.metadata import version

from redis import Redis
from routing_latency import percentile
from webhooks_load import Paced, Tally

TARGET_RATIO = 0.70
TARGET_P99_MS_300 = 50.0
SERVERS = ("webhook", "bare")


@dataclass
class Round:
    server: str
    index: int
    tally: Tally
    seconds: float
    exhausted: bool  # the pre-signed requests ran out before the deadline
    cpu: dict[str, float]

    @property
    def rps(self) -> float:
        return self.tally.ok / self.seconds if self.seconds else 0.0


@dataclass
class Report:
    args: argparse.Namespace
    client_core: int | None
    server_core: int | None
    code: str
    usable_cores: int = 0
    callers: str = ""
    load_before: list[str] = field(default_factory=list)
    redis: str = ""
    request_bytes: int = 0
    request_params: int = 0
    warmup: dict[str, Tally] = field(default_factory=dict)
    rounds: list[Round] = field(default_factory=list)
    paced: dict[str, Paced] = field(default_factory=dict)
    paced_cpu: dict[str, dict[str, float]] = field(default_factory=dict)
    first_answer: Round | None = None  # the webhook that registers a call (contact, customer, ticket)
    rooms: list[Round] = field(default_factory=list)  # the conference webhooks: room events, agent legs
    rows: dict[str, int] = field(default_factory=dict)
    took: float = 0.0

    def describe_setup(self, redis_url: str, private: bool, sample_request: bytes) -> None:
        client = Redis.from_url(redis_url)
        try:
            self.redis = f"Redis {client.info('server').get('redis_version', '?')}"
        finally:
            client.close()
        self.redis += " (private redis-server, appendonly yes)" if private else " (--redis-url)"
        self.request_bytes = len(sample_request)
        self.request_params = sample_request.split(b"\r\n\r\n", 1)[1].count(b"&") + 1

    def tallies(self, server: str) -> list[Tally]:
        rounds = [r.tally for r in self.rounds if r.server == server]
        first = [self.first_answer.tally] if self.first_answer and server == "webhook" else []
        first += [r.tally for r in self.rooms] if server == "webhook" else []
        return [self.warmup[server], *rounds, *([self.paced[server].tally] if server in self.paced else []), *first]

    def registered_calls(self) -> int:
        """Calls whose first answer was answered: each one registered its call."""
        return self.first_answer.tally.ok + self.first_answer.tally.late if self.first_answer else 0

    def problems(self) -> list[str]:
        out = []
        for server in SERVERS:
            bad = sum((t.bad for t in self.tallies(server)), start=type(self.warmup[server].bad)())
            if bad:
                out.append(
                    f"{server}: {sum(bad.values())} failed requests ({', '.join(f'{k} x{v}' for k, v in bad.items())})"
                )
        short = [r for r in self.rounds if r.exhausted]
        if short:
            out.append(f"{len(short)} webhook rounds ran out of pre-signed requests before their deadline")
        if self.rows and self.rows["contacts"] != self.registered_calls():
            out.append(f"{self.rows['contacts']} contacts in SQL for {self.registered_calls()} answered first answers")
        return out


def _median_rps(report: Report, server: str) -> float:
    return statistics.median(r.rps for r in report.rounds if r.server == server)


def round_ratios(report: Report) -> list[float]:
    """webhook/bare of each round: the two ran back to back, on the machine as it was then."""
    return [w.rps / b.rps for w, b in zip(report.rounds[::2], report.rounds[1::2], strict=True) if b.rps]


def figures(report: Report) -> dict[str, float]:
    """The medians: of each server's rounds, and of the round-by-round ratios (noise on a shared
    machine moves both servers of a round together far more than it moves rounds apart)."""
    webhook, bare = _median_rps(report, "webhook"), _median_rps(report, "bare")
    p99 = percentile(report.paced["webhook"].tally.latencies, 99) * 1000
    ratios = round_ratios(report)
    return {
        "webhook_rps": round(webhook, 1),
        "bare_rps": round(bare, 1),
        "ratio": round(statistics.median(ratios), 3) if ratios else 0.0,
        "webhook_p99_ms_300": round(p99, 2),
        "first_answer_rps": round(report.first_answer.rps, 1) if report.first_answer else 0.0,
        **{f"{r.server.replace('-', '_')}_rps": round(r.rps, 1) for r in report.rooms},
    }


def _ms(values: list[float], pct: float) -> float:
    return percentile(values, pct) * 1000


def _cpu(cpu: dict[str, float], report: Report) -> str:
    cores = "".join(
        f"{cpu.get(f'core{c}', 0):>7.0f}" for c in (report.client_core, report.server_core) if c is not None
    )
    return f"{cpu.get('server', 0):>8.0f}{cpu.get('client', 0):>8.0f}{cores}"


def _pinning(report: Report) -> str:
    if report.server_core is None:
        return "not pinned (one core, or --no-pin)"
    return (
        f"servers pinned to core {report.server_core}; the client (one asyncio process, uvloop) and Redis "
        f"to core {report.client_core}"
    )


def table(report: Report, result: dict[str, float]) -> str:
    args = report.args
    core_head = "".join(f"{f'core{c}%':>7}" for c in (report.client_core, report.server_core) if c is not None)
    lines = [
        f"Webhook benchmark{' (--quick: targets are for the full run)' if args.quick else ''}",
        f"  code: {report.code}; machine: {platform.machine()}, {os.cpu_count()} cores ({report.usable_cores} usable), "
        f"Python {platform.python_version()}, {report.redis}, SQLite (WAL) in a temporary directory",
        f"  load average before the run: {' '.join(report.load_before) or '?'}",
        f"  servers: uvicorn {version('uvicorn')}, 1 worker process each, same settings (contactcenter serve's, "
        "log level warning); " + _pinning(report),
        f"  requests: POST /twilio/voice, {report.request_params} Twilio parameters ({report.request_bytes} bytes with "
        f"headers), signed over PUBLIC_BASE_URL, a new CallSid each; callers: {report.callers}",
        "",
        f"Throughput: closed loop, {args.connections} keep-alive connections, {args.seconds:g} s per round, "
        "webhook and bare alternately (CPU: % of one core per process; busy % per core, whoever used it)",
        f"  {'round':>5}  {'server':<8}{'req/s':>9}{'errors':>8}{'p50 ms':>8}{'p99 ms':>8}{'server%':>8}{'client%':>8}"
        + core_head,
    ]
    for r in report.rounds:
        lat = r.tally.latencies
        mark = "  (requests ran out)" if r.exhausted else ""
        lines.append(
            f"  {r.index:>5}  {r.server:<8}{r.rps:>9,.0f}{r.tally.errors:>8}{_ms(lat, 50):>8.1f}{_ms(lat, 99):>8.1f}"
            + _cpu(r.cpu, report)
            + mark
        )
    lines += [
        f"  medians: webhook {result['webhook_rps']:,.0f} req/s, bare {result['bare_rps']:,.0f} req/s; "
        f"ratio {result['ratio']:.3f}, the median of the rounds' "
        f"({' '.join(f'{p:.3f}' for p in round_ratios(report))})",
        "",
        "Latency at 300 requests/s: open loop, each request sent on schedule and timed from its scheduled time",
        f"  {'server':<8}{'sent':>6}{'ok':>6}{'errors':>7}{'achieved/s':>11}{'max lag ms':>11}{'conns':>6}"
        f"{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'max ms':>8}{'server%':>8}{'client%':>8}" + core_head,
    ]
    for name in SERVERS:
        paced = report.paced[name]
        lat = paced.tally.latencies
        lines.append(
            f"  {name:<8}{paced.sent:>6}{paced.tally.ok:>6}{paced.tally.errors:>7}{paced.sent / paced.seconds:>11.0f}"
            f"{paced.max_lag * 1000:>11.1f}{paced.connections:>6}{_ms(lat, 50):>8.1f}{_ms(lat, 90):>8.1f}"
            f"{_ms(lat, 99):>8.1f}{max(lat, default=0) * 1000:>8.1f}" + _cpu(report.paced_cpu[name], report)
        )
    rows, first = report.rows, report.first_answer
    if first is not None:
        lat = first.tally.latencies
        lines += [
            "",
            "First answers (POST /twilio/voice/gather from the opening: registers the call in SQL), closed loop, "
            f"{args.connections} connections, {args.seconds:g} s, calls taken by the webhook above",
            f"  {'':>5}  {'webhook':<8}{first.rps:>9,.0f}{first.tally.errors:>8}"
            f"{_ms(lat, 50):>8.1f}{_ms(lat, 99):>8.1f}" + _cpu(first.cpu, report),
        ]
    if report.rooms:
        lines += [
            "",
            "Conference webhooks (POST /twilio/voice/conference: a room's join, hold, unhold and leave events; "
            "/twilio/voice/agent-leg: an agent leg's progress), closed loop, "
            f"{args.connections} connections, {args.seconds:g} s each, calls in progress to routing",
        ]
        for r in report.rooms:
            lat = r.tally.latencies
            lines.append(
                f"  {'':>5}  {r.server:<10}{r.rps:>7,.0f}{r.tally.errors:>8}{_ms(lat, 50):>8.1f}{_ms(lat, 99):>8.1f}"
                + _cpu(r.cpu, report)
            )
    lines += [
        "",
        f"Rows written: {rows.get('contacts', 0):,} contacts for {report.registered_calls():,} answered first answers, "
        f"{rows.get('tickets', 0):,} tickets, {rows.get('customers', 0):,} customers, "
        f"{rows.get('audit_events', 0):,} audit events",
        "",
        "Targets",
        f"  webhook/bare throughput >= {TARGET_RATIO:.2f}: {result['ratio']:.3f}  "
        f"{'PASS' if result['ratio'] >= TARGET_RATIO else 'FAIL'}",
        f"  webhook p99 at 300/s <= {TARGET_P99_MS_300:.0f} ms: {result['webhook_p99_ms_300']:.1f} ms  "
        f"{'PASS' if result['webhook_p99_ms_300'] <= TARGET_P99_MS_300 else 'FAIL'}",
        f"  finished in {report.took:.0f} s",
    ]
    problems = report.problems()
    if problems:
        banner = "!" * 100
        lines += ["", banner, "ERRORS: THESE FIGURES ARE NOT VALID", *(f"  {p}" for p in problems), banner]
    else:
        lines.append("  no errors: every answer was 200 with TwiML, and every answered first answer left one contact")
    return "\n".join(lines)
