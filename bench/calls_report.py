"""What the call benchmark found: its figures (the JSON line) and its table."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version

from calls_drive import Accept
from routing_latency import percentile

TARGET_RATIO = 1.5
PATHS = ("conference", "dial")


@dataclass
class Round:
    path: str
    index: int
    accepts: list[Accept]
    cpu: dict[str, float]
    drained: float = 0.0  # seconds until the servers were idle after its callers hung up

    def done(self) -> list[Accept]:
        return [a for a in self.accepts if not a.error and a.connected is not None]

    def latencies(self) -> list[float]:
        return [(a.connected - a.sent) * 1000 for a in self.done() if a.connected is not None]

    def rate(self) -> float:
        """Accepts sent per second, first to last."""
        sent = sorted(a.sent for a in self.accepts if a.sent)
        return (len(sent) - 1) / (sent[-1] - sent[0]) if len(sent) > 1 and sent[-1] > sent[0] else 0.0

    def max_lag_ms(self) -> float:
        """How late the latest accept left against its schedule (its offer or call came late)."""
        return max(((a.sent - a.due) * 1000 for a in self.accepts if a.sent), default=0.0)


@dataclass
class Report:
    args: argparse.Namespace
    code: str
    load_before: list[str] = field(default_factory=list)
    redis: str = ""
    agents: int = 0
    login_s: float = 0.0
    rounds: list[Round] = field(default_factory=list)
    problems_seen: list[str] = field(default_factory=list)
    took: float = 0.0

    def of(self, path: str) -> list[Accept]:
        return [a for r in self.rounds if r.path == path for a in r.done()]

    def problems(self) -> list[str]:
        out = list(self.problems_seen)
        for r in self.rounds:
            errors = [a.error for a in r.accepts if a.error]
            if errors:
                out.append(f"{r.path} round {r.index}: {len(errors)} accepts failed ({', '.join(sorted(set(errors)))})")
            short = self.args.count - len(r.accepts)
            if short > 0:
                out.append(f"{r.path} round {r.index}: {short} accepts never sent")
        return out


def _ms(accepts: list[Accept], moment: Callable[[Accept], float | None], pct: float) -> float:
    values = [v for a in accepts if (v := a.ms(moment(a))) is not None]
    return percentile(values, pct)


def _connected(a: Accept) -> float | None:
    return a.connected


def _async_leg(a: Accept) -> float | None:
    """When both would have been in had the agent's leg not waited on its status callbacks (an estimate:
    the agent joins that much sooner, the caller as they did)."""
    if a.caller_in is None or a.agent_in is None or a.leg_waits is None:
        return None
    return max(a.caller_in, a.agent_in - a.leg_waits)


def round_ratios(report: Report) -> list[float]:
    """Each round's conference p99 over its dial p99 (the two ran back to back, on the machine as it was)."""
    out = []
    for index in sorted({r.index for r in report.rounds}):
        pair = {r.path: r for r in report.rounds if r.index == index}
        if len(pair) == 2 and pair["dial"].latencies():
            out.append(percentile(pair["conference"].latencies(), 99) / percentile(pair["dial"].latencies(), 99))
    return out


def figures(report: Report) -> dict[str, float]:
    conference, dial = report.of("conference"), report.of("dial")
    join_p99, dial_p99 = _ms(conference, _connected, 99), _ms(dial, _connected, 99)
    join_p50, dial_p50 = _ms(conference, _connected, 50), _ms(dial, _connected, 50)
    ratios = round_ratios(report)
    return {
        "join_p50_ms": round(join_p50, 1),
        "join_p99_ms": round(join_p99, 1),
        "dial_p50_ms": round(dial_p50, 1),
        "dial_p99_ms": round(dial_p99, 1),
        "ratio": round(join_p99 / dial_p99, 2) if dial_p99 else 0.0,
        "ratio_p50": round(join_p50 / dial_p50, 2) if dial_p50 else 0.0,
        "ratio_rounds_median": round(statistics.median(ratios), 2) if ratios else 0.0,
        "joined_event_p50_ms": round(_ms(conference, lambda a: a.joined_event, 50), 1),
        "joined_event_p99_ms": round(_ms(conference, lambda a: a.joined_event, 99), 1),
        "accept_answer_p50_ms": round(_ms(conference, lambda a: a.answered, 50), 1),
        "dial_accept_answer_p50_ms": round(_ms(dial, lambda a: a.answered, 50), 1),
        "join_p50_ms_callbacks_async": round(_ms(conference, _async_leg, 50), 1),
        "join_p99_ms_callbacks_async": round(_ms(conference, _async_leg, 99), 1),
        "leg_callbacks_p50_ms": round(percentile([a.leg_waits * 1000 for a in conference if a.leg_waits], 50), 1),
        "accepts_per_path": min(len(conference), len(dial)),
        "rate": report.args.rate,
        "errors": len(report.problems()),
    }


def _cpu(cpu: dict[str, float]) -> str:
    columns = [("product", 9), ("old", 6), ("sandbox", 9), ("redis", 7), ("bench", 7)]
    columns += [(k, 7) for k in sorted(k for k in cpu if k.startswith("core"))]
    return "".join(f"{cpu.get(name, 0):>{width}.0f}" for name, width in columns)


def _breakdown(name: str, accepts: list[Accept], steps: list[tuple[str, Callable[[Accept], float | None]]]) -> str:
    parts = [f"{label} {_ms(accepts, moment, 50):.1f} / {_ms(accepts, moment, 99):.1f}" for label, moment in steps]
    return f"  {name:<11}" + "; ".join(parts)


def _leg_waits(accepts: list[Accept]) -> str:
    waits = [a.leg_waits * 1000 for a in accepts if a.leg_waits is not None]
    return f"p50 {percentile(waits, 50):.1f} / p99 {percentile(waits, 99):.1f} ms"


def table(report: Report, result: dict[str, float]) -> str:
    args = report.args
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    lines = [
        f"Call benchmark: accept → both parties connected{' (--quick)' if args.quick else ''}",
        f"  code: {report.code}; machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {report.redis}, SQLite (WAL) in a temporary directory",
        f"  load average before the run: {' '.join(report.load_before) or '?'}",
        f"  servers: uvicorn {version('uvicorn')}, one process each, not pinned: the product (contactcenter serve), "
        f"the Twilio sandbox (ring delay {args.ring_seconds:g} s) and the old path (bench/calls_dial.py), with Redis "
        "and this script on the same cores",
        f"  load: {args.rate:g} accepts/s, each {args.lead:g} s after its caller rang; {args.count} accepts per round "
        f"per path, {args.rounds} rounds, the paths alternating (ABBA); {report.agents} agents logged in with "
        f"consoles open ({report.login_s:.1f} s)",
        "  conference: accept POST → the room's conference-start in the sandbox (caller and agent both in)",
        "  dial:       accept POST (the old path's: one REST redirect to <Dial><Client>) → the caller's `bridged` in "
        "the sandbox",
        "  callers: through the product's IVR into its queues either way (conference: enquiries, offered to the "
        "agents; dial: repairs, where they wait for the old path's accept)",
        "",
        "Rounds (CPU: % of one core, from the first caller to the last accept's answer; old = the old path's server; "
        "drain: after the round's callers hung up, until the servers were idle again)",
        f"  {'round':>5}  {'path':<11}{'ok':>5}{'acc/s':>7}{'lag ms':>8}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}"
        f"{'max ms':>8}{'drain s':>8}{'product%':>9}{'old%':>6}{'sandbox%':>9}{'redis%':>7}{'bench%':>7}"
        + "".join(f"{f'core{c}%':>7}" for c in cores),
    ]
    for r in report.rounds:
        lat = r.latencies()
        spread = "".join(f"{percentile(lat, pct):>8.1f}" for pct in (50, 90, 99, 100))
        lines.append(
            f"  {r.index:>5}  {r.path:<11}{len(lat):>5}{r.rate():>7.1f}{r.max_lag_ms():>8.0f}{spread}{r.drained:>8.1f}"
            + _cpu(r.cpu)
        )
    ratios = " ".join(f"{x:.2f}" for x in round_ratios(report))
    conference, dial = report.of("conference"), report.of("dial")
    lines += [
        "",
        "All rounds (ms after the accept POST, p50 / p99)",
        _breakdown(
            "conference",
            conference,
            [
                ("accept answered", lambda a: a.answered),
                ("caller redirected", lambda a: a.redirected),
                ("caller in room", lambda a: a.caller_in),
                ("agent in room", lambda a: a.agent_in),
                ("both in (conference-start)", _connected),
                ("console hears contact.joined", lambda a: a.joined_event),
            ],
        ),
        _breakdown(
            "dial",
            dial,
            [
                ("accept answered", lambda a: a.answered),
                ("caller redirected", lambda a: a.redirected),
                ("bridged", _connected),
            ],
        ),
        "  of which the agent's leg waited for the product's answers to its status callbacks (initiated, ringing, "
        f"answered; the sandbox awaits each, Twilio does not): {_leg_waits(conference)}; without those waits "
        f"both would have been in at p50 {result['join_p50_ms_callbacks_async']:.1f} / p99 "
        f"{result['join_p99_ms_callbacks_async']:.1f} ms (estimate)",
        f"  accept → both connected: conference p50 {result['join_p50_ms']:.1f} ms, p99 {result['join_p99_ms']:.1f} ms "
        f"({len(conference)} accepts); dial p50 {result['dial_p50_ms']:.1f} ms, p99 {result['dial_p99_ms']:.1f} ms "
        f"({len(dial)})",
        f"  ratio (conference p99 / dial p99) {result['ratio']:.2f}; at p50 {result['ratio_p50']:.2f}; "
        f"per round at p99: {ratios} (median {result['ratio_rounds_median']:.2f})",
        "",
        "Target (reported, not asserted)",
        f"  join p99 / dial p99 <= {TARGET_RATIO}: {result['ratio']:.2f}  "
        f"{'MET' if 0 < result['ratio'] <= TARGET_RATIO else 'NOT MET'}",
        f"  finished in {report.took:.0f} s",
    ]
    problems = report.problems()
    if problems:
        banner = "!" * 100
        lines += ["", banner, "ERRORS: THESE FIGURES ARE NOT VALID", *(f"  {p}" for p in problems), banner]
    else:
        lines.append("  no errors: every accept was answered 200 and every caller reached their agent")
    return "\n".join(lines)
