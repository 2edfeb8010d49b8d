"""Running a scripted load against a sandbox: place N calls at R per second, wait, report."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from .calls import FINAL_STATUSES
from .client import SandboxClientError, first_number
from .load_report import LoadReport
from .load_script import Profile, pick

POLL_SECONDS = 0.5


@dataclass(frozen=True)
class LoadOptions:
    """What to run: how many calls, how fast, to which number, for how long at most."""

    sandbox_url: str
    calls: int
    rate: float
    to: str | None = None
    timeout: float = 600.0
    seed: int | None = None

    def __post_init__(self) -> None:
        """Refuse settings that cannot make a run."""
        if self.calls < 1 or self.rate <= 0 or self.timeout <= 0:
            raise ValueError("calls must be at least 1, and rate and timeout positive")


def caller_numbers(count: int, rng: random.Random) -> list[str]:
    """`count` distinct Chinese mobile numbers (+86 139…), one per call, so callbacks can be traced."""
    start = rng.randrange(10**8 - count)
    return [f"+86139{start + index:08d}" for index in range(count)]


class LoadRun:
    """One load run over the sandbox's control API (sync httpx; the sandbox does the concurrency)."""

    def __init__(self, options: LoadOptions, profiles: list[Profile], http: httpx.Client) -> None:
        self.options = options
        self.profiles = profiles
        self.http = http
        self.rng = random.Random(options.seed)
        self.placed: dict[str, tuple[str, str]] = {}  # CallSid → (profile name, caller number)

    def _check(self, response: httpx.Response, expected: int) -> Any:
        SandboxClientError.check(response, expected)
        return response.json()

    def target(self) -> str:
        """The number to call: --to, else the sandbox's first number."""
        return self.options.to or first_number(self.options.sandbox_url)

    def run(self, progress: Callable[[str], None] = lambda line: None) -> LoadReport:
        """Place the calls on schedule, wait for them to end (or the timeout), and count."""
        options = self.options
        to = self.target()
        started = time.monotonic()
        since = datetime.now().astimezone()
        numbers = caller_numbers(options.calls, self.rng)
        for index, number in enumerate(numbers):
            delay = started + index / options.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            profile = pick(self.profiles, self.rng)
            # The app may call this caller back: its phone answers as the profile says.
            self._check(self.http.post(f"/sandbox/phones/{number}", json=profile.callback.to_json()), 200)
            placed = self._check(self.http.post("/sandbox/calls", json=profile.call_body(number, to)), 201)
            self.placed[placed["call_sid"]] = (profile.name, number)
        progress(f"placed {len(self.placed)} calls in {time.monotonic() - started:.1f} s; waiting for them to end")
        calls = self._wait(started + options.timeout)
        report = LoadReport(to=to, calls=options.calls, rate=options.rate, seconds=time.monotonic() - started)
        for sid, (profile_name, _) in self.placed.items():
            report.add(profile_name, calls[sid])
        callers = {number for _, number in self.placed.values()}
        report.callbacks = sum(
            1
            for call in calls.values()
            if call["direction"] == "outbound-api"
            and call["to"] in callers
            and datetime.fromisoformat(call["started_at"]) >= since
        )
        return report

    def _wait(self, deadline: float) -> dict[str, dict[str, Any]]:
        """Poll the sandbox until every placed call has a final status, or the deadline."""
        while True:
            listed = self._check(self.http.get("/sandbox/calls"), 200)["calls"]
            calls = {call["call_sid"]: call for call in listed}
            done = all(calls[sid]["status"] in FINAL_STATUSES for sid in self.placed)
            if done or time.monotonic() >= deadline:
                return calls
            time.sleep(POLL_SECONDS)
