"""Chaos harness: a whole contact center (two `serve` processes behind a balancer, a worker, the Twilio
sandbox, its own Redis with an append-only file) taking scripted calls with simulated agents while each
fault of bench/chaos_scenarios.py is injected in turn. After each scenario one JSON line; the last line
sums them (`seconds_to_heal`: the worst). Exit status 1 when a target is missed.

    python bench/chaos.py              # 30 calls per scenario (about 6 minutes)
    python bench/chaos.py --quick      # 6 calls per scenario (about 2 minutes)
    python bench/chaos.py --scenario redis_restart --scenario twilio_rest_500

See docs/reliability.md for what each count means, the targets and the latest figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from chaos_agents import start_agents, stop_agents
from chaos_measure import Observer, Problems
from chaos_scenarios import SCENARIOS, Scenario, Stage
from chaos_system import AGENTS, HOTLINE, PASSWORD, ChaosSystem

from contactcenter.context import build_services
from contactcenter.settings import load_settings

PATIENCE_SECONDS = 60  # a caller waits this long in a queue before hanging up
HEAL_LIMIT_SECONDS = 60  # a scenario that has not healed by then is reported as not healed
TARGET_HEAL_SECONDS = 10.0
ZERO_TARGETS = ("dropped_by_us", "ghosts", "zombies", "agents_stuck", "duplicates", "recordings_missing")
KEYS = ("calls", "completed", "abandoned_by_caller", *ZERO_TARGETS)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Break a running contact center on purpose and count the damage.")
    parser.add_argument("--quick", action="store_true", help="6 calls per scenario instead of 30")
    parser.add_argument("--calls", type=int, help="calls per scenario")
    parser.add_argument("--scenario", action="append", choices=[s.name for s in SCENARIOS], help="run only these")
    parser.add_argument("--database-url", help="use this (empty) database instead of SQLite in a temporary directory")
    parser.add_argument("--keep", type=Path, help="run in this directory and keep it (logs of every process)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.calls = args.calls or (6 if args.quick else 30)
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    return args


class Placer(threading.Thread):
    """Places a scenario's calls on schedule, through the sandbox's control API."""

    def __init__(self, sandbox: httpx.Client, scenario: Scenario, count: int, rng: random.Random) -> None:
        super().__init__(daemon=True)
        self.sandbox, self.scenario, self.count, self.rng = sandbox, scenario, count, rng
        self.sids: list[str] = []

    def run(self) -> None:
        started = time.monotonic()
        for index in range(self.count):
            time.sleep(max(0.0, started + index / self.scenario.rate - time.monotonic()))
            body = {
                "from": f"+86139{self.rng.randrange(10**8):08d}",
                "to": HOTLINE,
                "digits": ["1", "1"],
                "hangup_after_queue": PATIENCE_SECONDS,
                "talk_seconds": self.scenario.talk_seconds,
            }
            response = self.sandbox.post("/sandbox/calls", json=body)
            response.raise_for_status()
            self.sids.append(response.json()["call_sid"])


def _problems(observer: Observer, *, final: bool = False, since_fault: float = 0.0) -> Problems | None:
    try:
        return observer.problems(final=final, since_fault=since_fault)
    except Exception:  # a store being down while we look is not healed
        return None


def run_scenario(
    stage: Stage, observer: Observer, scenario: Scenario, calls: int, rng: random.Random
) -> dict[str, Any]:
    """Place the calls, inject the fault, time the healing, wait for every call to end, count."""
    stage.notes.clear()
    for agent in stage.agents:
        agent.errors.clear()
    observer.begin()
    stage.first_contact = observer.first_contact
    placer = Placer(stage.sandbox, scenario, calls, rng)
    placer.start()
    fault_ended = scenario.fault(stage)
    heal: float | None = None
    while time.monotonic() - fault_ended < HEAL_LIMIT_SECONDS:
        found = _problems(observer, since_fault=time.monotonic() - fault_ended)
        if found is not None and found.healed():
            heal = time.monotonic() - fault_ended
            break
        time.sleep(0.5)
    placer.join()
    _wait_calls_over(observer, placer.sids, PATIENCE_SECONDS + 30)
    final = _settled(observer)
    counts, dropped = observer.outcomes(placer.sids)
    line: dict[str, Any] = {"scenario": scenario.name, "calls": calls}
    line |= {key: counts.get(key, 0) for key in ("completed", "abandoned_by_caller", "dropped_by_us")}
    line |= {key: getattr(final, key) for key in ZERO_TARGETS[1:]}
    line["seconds_to_heal"] = round(heal, 1) if heal is not None else None
    missed = any(line[key] for key in ZERO_TARGETS) or heal is None or heal > TARGET_HEAL_SECONDS
    # What the agents could not do (refused or failed requests) tells why a target was missed.
    refused = [f"{a.username}: {a.errors[-1]}" for a in stage.agents if a.errors] if missed else []
    if final.details or stage.notes or dropped or refused:
        line["notes"] = [*stage.notes, *final.details, *dropped, *refused][:12]
    return line


def _wait_calls_over(observer: Observer, sids: list[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calls = observer.calls()
        if all(calls[sid]["status"] in ("completed", "busy", "failed", "no-answer", "canceled") for sid in sids):
            return
        time.sleep(0.5)


def _settled(observer: Observer, timeout: float = 30.0) -> Problems:
    """The stores once the calls are over: looked at until all is well or `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = _problems(observer, final=True)
        if found is not None and (found.healed() or time.monotonic() >= deadline):
            return found
        time.sleep(0.5)


def summed(lines: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {"scenario": "all"}
    for key in KEYS:
        total[key] = sum(line[key] for line in lines)
    heals = [line["seconds_to_heal"] for line in lines]
    total["seconds_to_heal"] = None if None in heals else max(heals, default=0.0)
    return total


def met(total: dict[str, Any]) -> bool:
    heal = total["seconds_to_heal"]
    return all(total[key] == 0 for key in ZERO_TARGETS) and heal is not None and heal <= TARGET_HEAL_SECONDS


def _stop_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # the system is stopped on the way out (ChaosSystem.stop)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, _stop_on_signal)
    scenarios = [s for s in SCENARIOS if not args.scenario or s.name in args.scenario]
    with tempfile.TemporaryDirectory(prefix="chaos-") as temporary:
        workdir = args.keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        system = ChaosSystem(workdir.resolve(), database_url=args.database_url)
        started = time.monotonic()
        try:
            system.start()
            os.environ.update(system.env)
            services = build_services(load_settings())
            agents = start_agents([system.web_url(0), system.web_url(1)], AGENTS, PASSWORD)
            sandbox = httpx.Client(base_url=system.sandbox_url, timeout=30.0, trust_env=False)
            observer = Observer(services, system.sandbox_url, [agent.user_id for agent in agents])
            stage = Stage(system, agents, services, sandbox)
            print(f"system up in {time.monotonic() - started:.1f} s; logs in {system.logs}", file=sys.stderr)
            time.sleep(2)  # the agents go available
            rng = random.Random(args.seed)
            lines = []
            for scenario in scenarios:
                line = run_scenario(stage, observer, scenario, args.calls, rng)
                lines.append(line)
                print(json.dumps(line, ensure_ascii=False), flush=True)
            stop_agents(agents)
            services.close()
        finally:
            system.stop()
        total = summed(lines)
        total["seconds"] = round(time.monotonic() - started, 1)
        print(json.dumps(total, ensure_ascii=False), flush=True)
        return 0 if met(total) else 1


if __name__ == "__main__":
    raise SystemExit(main())
