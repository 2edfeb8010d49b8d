"""What the ticket benchmark found: its figures (the JSON line) and its table."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
from dataclasses import dataclass, field

from routing_latency import percentile
from tickets_clocks import LagFigures, SweepFigures
from tickets_desk import Timings, rows_per_kind
from tickets_rows import Seeded

TARGET_LIST_P99_MS = 50.0
TARGET_SEARCH_P99_MS = 200.0
TARGET_SWEEP_MS = 1000.0
TARGET_BREACH_LAG_MS = 2000.0


@dataclass
class Report:
    args: argparse.Namespace
    code: str
    postgres: str = ""
    redis: str = ""
    load_before: list[str] = field(default_factory=list)
    load_after: list[str] = field(default_factory=list)
    seeded: Seeded | None = None
    seed_s: float = 0.0
    created_database: bool = False  # by this run: dropped at its end
    lists: Timings = field(default_factory=Timings)
    searches: Timings = field(default_factory=Timings)
    sweep: SweepFigures = field(default_factory=SweepFigures)
    lag: LagFigures = field(default_factory=LagFigures)
    calls: Timings = field(default_factory=Timings)
    took: float = 0.0

    def problems(self) -> list[str]:
        out = []
        if self.lag.missing:
            out.append(f"{self.lag.missing} of {self.lag.clocks} breaches were never notified")
        if self.sweep.fired != self.args.due_clocks:
            out.append(f"the sweep fired {self.sweep.fired} clocks, not the {self.args.due_clocks} made due")
        return out


def _p(values: list[float], pct: float) -> float:
    return round(percentile(values, pct), 2)


def figures(report: Report) -> dict[str, float | int]:
    seeded = report.seeded
    counts = seeded.counts if seeded else {}
    lags = report.lag.lags_ms
    return {
        "list_p50_ms": _p(report.lists.values(), 50),
        "list_p99_ms": _p(report.lists.values(), 99),
        "search_p50_ms": _p(report.searches.values(), 50),
        "search_p99_ms": _p(report.searches.values(), 99),
        "list_sql_p99_ms": _p(report.lists.sql_values(), 99),
        "search_sql_p99_ms": _p(report.searches.sql_values(), 99),
        "sweep_ms": round(max(report.sweep.idle_ms, default=0.0), 1),
        "sweep_median_ms": round(statistics.median(report.sweep.idle_ms), 1) if report.sweep.idle_ms else 0.0,
        "sweep_due_ms": round(report.sweep.due_ms, 1),
        "sweep_due_fired": report.sweep.fired,
        "breach_lag_ms": round(max(lags, default=0.0), 1),
        "breach_lag_p50_ms": _p(lags, 50),
        "register_p50_ms": _p(report.calls.values("register (first answer)"), 50),
        "register_p99_ms": _p(report.calls.values("register (first answer)"), 99),
        "menu_choice_p50_ms": _p(report.calls.values(report.calls.kinds()[-1]) if report.calls.samples else [], 50),
        "menu_choice_p99_ms": _p(report.calls.values(report.calls.kinds()[-1]) if report.calls.samples else [], 99),
        "tickets": counts.get("tickets", 0),
        "open_tickets": counts.get("open tickets", 0),
        "contacts": counts.get("contacts", 0),
        "running_clocks": counts.get("running clocks", 0),
        "list_queries": len(report.lists.samples),
        "search_queries": len(report.searches.samples),
        "lag_clocks": report.lag.clocks,
        "seed_s": round(report.seed_s, 1),
    }


def _kind_lines(timings: Timings) -> list[str]:
    rows = rows_per_kind(timings)
    head = f"  {'query':<44}{'n':>5}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'SQL p50':>9}{'SQL p99':>9}{'rows':>7}"
    lines = [head]
    for kind in sorted(timings.kinds(), key=lambda k: (k.replace(" (page 2)", ""), k.endswith("(page 2)"))):
        values, sql = timings.values(kind), timings.sql_values(kind)
        lines.append(
            f"  {kind:<44}{len(values):>5}{_p(values, 50):>9.1f}{_p(values, 99):>9.1f}{max(values):>9.1f}"
            f"{_p(sql, 50):>9.1f}{_p(sql, 99):>9.1f}{rows[kind]:>7.1f}"
        )
    values, sql = timings.values(), timings.sql_values()
    lines.append(
        f"  {'all':<44}{len(values):>5}{_p(values, 50):>9.1f}{_p(values, 99):>9.1f}{max(values, default=0):>9.1f}"
        f"{_p(sql, 50):>9.1f}{_p(sql, 99):>9.1f}"
    )
    return lines


def _target(label: str, value: float, limit: float, unit: str = "ms") -> str:
    return f"  {label} <= {limit:,.0f} {unit}: {value:,.1f} {unit}  {'PASS' if value <= limit else 'FAIL'}"


def table(report: Report, result: dict[str, float | int]) -> str:
    args, seeded = report.args, report.seeded
    counts = seeded.counts if seeded else {}
    lines = [
        f"Ticket desk benchmark{' (--quick)' if args.quick else ''}",
        f"  code: {report.code}; machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {report.postgres}, {report.redis}",
        f"  load average before the run: {' '.join(report.load_before) or '?'}; after it: "
        f"{' '.join(report.load_after) or '?'}",
        f"  data: {counts.get('tickets', 0):,} tickets ({counts.get('open tickets', 0):,} open), "
        f"{counts.get('contacts', 0):,} contacts, {counts.get('customers', 0):,} customers, "
        f"{counts.get('running clocks', 0):,} running clocks (+{counts.get('met clocks', 0):,} met), "
        f"database {counts.get('database MB', 0):,} MB",
        f"  seeding: {report.seed_s:.0f} s" + (" (reused database)" if args.reuse else "") + " (not in the figures)",
        "",
        f"Desk list: desk.list_tickets, {args.list_queries} lists of {50} rows, newest activity first "
        "(a third also page 2 by `after`)",
        *_kind_lines(report.lists),
        "",
        f"Full-text search: the list's `q`, {args.search_queries} searches (1-3 Chinese words, a serial number)",
        *_kind_lines(report.searches),
        "",
        f"Minute sweep (tickets.jobs.sweep) over {counts.get('running clocks', 0):,} running clocks",
        f"  nothing due, {len(report.sweep.idle_ms)} sweeps: "
        + " ".join(f"{ms:.1f}" for ms in report.sweep.idle_ms)
        + " ms"
        + (
            f" ({report.sweep.pushed_forward} clocks of the reused database moved past the run)"
            if report.sweep.pushed_forward
            else ""
        ),
        f"  {report.sweep.fired} due (each breached and escalated to a team lead, notified): "
        f"{report.sweep.due_ms:,.0f} ms, {report.sweep.due_ms / max(report.sweep.fired, 1):.1f} ms per clock",
        "",
        f"Breach lag: {report.lag.clocks} clocks made due {args.lag_lead[0]:g}-{args.lag_lead[1]:g} s ahead, one every "
        "0.5 s; `contactcenter worker` + the outbox relay every 0.5 s; due time -> ticket.notification on the hub",
        f"  p50 {result['breach_lag_p50_ms']:.0f} ms, max {result['breach_lag_ms']:.0f} ms "
        f"({' '.join(f'{ms:.0f}' for ms in sorted(report.lag.lags_ms))}); relay passes {report.lag.relay_passes}",
        "",
        "Incoming calls on this database: the SQL of the IVR's steps (one transaction each)",
        *(_kind_lines(report.calls)[:-1] if report.calls.samples else ["  (skipped)"]),
        "",
        "Targets" + (" (for the full run)" if args.quick else ""),
        _target("list p99", float(result["list_p99_ms"]), TARGET_LIST_P99_MS),
        _target("search p99", float(result["search_p99_ms"]), TARGET_SEARCH_P99_MS),
        _target("sweep, nothing due (slowest)", float(result["sweep_ms"]), TARGET_SWEEP_MS),
        _target("breach notified after its due time (max)", float(result["breach_lag_ms"]), TARGET_BREACH_LAG_MS),
        f"  finished in {report.took:.0f} s",
    ]
    problems = report.problems()
    if problems:
        banner = "!" * 100
        lines += ["", banner, "ERRORS: THESE FIGURES ARE NOT VALID", *(f"  {p}" for p in problems), banner]
    return "\n".join(lines)
