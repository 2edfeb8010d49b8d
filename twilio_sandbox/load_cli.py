"""`twilio-sandbox load` (also `contactcenter sandbox load`): the command-line face of a scripted load run."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import httpx

from .client import SandboxClientError
from .load_agents import AgentLoginError, SimulatedAgent, start_agents, stop_agents
from .load_run import LoadOptions, LoadRun
from .load_script import DEFAULT_TALK_SECONDS, LoadScriptError, load_profiles


def _seconds(text: str) -> float:
    """A command-line number of seconds: finite and not negative."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def add_load_parser(sandbox_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `load` command among the sandbox's commands."""
    load = sandbox_commands.add_parser(
        "load",
        help="place many scripted calls and summarise what happened",
        description="Place N calls at R per second, each caller following a profile of the script file, "
        "wait for all to end and print a summary; the last line is one JSON object.",
    )
    load.add_argument("--calls", type=int, required=True, help="how many calls to place")
    load.add_argument("--rate", type=float, required=True, help="calls placed per second")
    load.add_argument(
        "--script", type=Path, required=True, help="caller profiles, YAML or JSON (see load-example.yaml)"
    )
    load.add_argument("--sandbox", default="http://127.0.0.1:8001", help="the sandbox's URL")
    load.add_argument("--to", help="the number to call (default: the sandbox's first number)")
    load.add_argument("--timeout", type=float, default=600.0, help="stop waiting after this many seconds")
    load.add_argument("--seed", type=int, help="make profile choices and caller numbers repeatable")
    load.add_argument("--json", action="store_true", help="print only the JSON object")
    load.add_argument(
        "--agent",
        action="append",
        default=[],
        metavar="USER:PASSWORD",
        help="an agent who logs in to the app, goes available and accepts offers (repeat for more)",
    )
    load.add_argument("--app", default="http://127.0.0.1:8000", help="the app's URL (for --agent)")
    load.add_argument("--answer-seconds", type=float, default=1.0, help="how long agents let an offer ring")
    load.add_argument(
        "--talk-seconds",
        type=_seconds,
        default=DEFAULT_TALK_SECONDS,
        help="how long a caller talks with an agent (and on a callback) when the profile gives no "
        f"talk_seconds (default {DEFAULT_TALK_SECONDS:g}): simulated agents never hang up",
    )
    load.set_defaults(handler=run_load_command)


def run_load_command(args: argparse.Namespace) -> int:
    """Run the load; 0 when every call ended in time, 1 when some were still going, 2 on bad input."""
    try:
        profiles = load_profiles(args.script, default_talk_seconds=args.talk_seconds)
        options = LoadOptions(args.sandbox.rstrip("/"), args.calls, args.rate, args.to, args.timeout, args.seed)
    except (LoadScriptError, ValueError) as exc:
        print(f"sandbox load: {exc}", file=sys.stderr)
        return 2
    quiet = args.json

    def progress(line: str) -> None:
        if not quiet:
            print(line, file=sys.stderr)

    agents: list[SimulatedAgent] = []
    try:
        agents = start_agents(args.app, args.agent, answer_seconds=args.answer_seconds)
        with httpx.Client(base_url=options.sandbox_url, timeout=30.0, trust_env=False) as http:
            report = LoadRun(options, profiles, http).run(progress)
    except AgentLoginError as exc:
        print(f"sandbox load: {exc}", file=sys.stderr)
        return 2
    except SandboxClientError as exc:
        print(f"sandbox load: the sandbox refused a request: {exc}", file=sys.stderr)
        return 2
    except (httpx.HTTPError, ValueError) as exc:
        print(f"sandbox load: cannot use the sandbox at {options.sandbox_url} ({exc})", file=sys.stderr)
        return 2
    finally:
        done_by = stop_agents(agents)
    summary = report.to_json()
    if agents:
        summary["agents"] = done_by
    if not quiet:
        print(report.text())
        for name, did in done_by.items():
            problems = f", {len(did['errors'])} errors: {did['errors'][0]}" if did["errors"] else ""
            print(f"  agent {name}: {did['offers']} offers, {did['accepted']} accepted{problems}")
    print(json.dumps(summary, ensure_ascii=False))
    return 1 if report.outcomes["unfinished"] else 0
