"""What happened to each call of a load run, told only from Twilio-level facts the sandbox saw."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("answered", "abandoned", "voicemails", "ended_by_hotline", "failed", "other", "unfinished")
_TWIML_ENDINGS = {"twiml", "twiml-reject"}


def classify(call: dict[str, Any]) -> str:
    """One outcome for a finished (or not) inbound call, from its status, flags and log events."""
    log = call["log"]
    if call["status"] not in ("completed", "busy", "failed", "no-answer", "canceled"):
        return "unfinished"
    if call["bridged"]:
        return "answered"
    if any(e["event"] == "recording-started" and e.get("source") == "RecordVerb" for e in log):
        return "voicemails"
    if call["status"] == "failed" or any(e["event"] in ("application-error", "sandbox-error") for e in log):
        return "failed"
    hangups = [e.get("by") for e in log if e["event"] == "hangup"]
    if call["queue_result"] == "hangup" and "caller" in hangups:
        return "abandoned"
    if _TWIML_ENDINGS & set(hangups) or any(e["event"] == "end-of-twiml" for e in log):
        return "ended_by_hotline"
    return "other"


def queue_wait(call: dict[str, Any]) -> float | None:
    """Seconds the call spent waiting in queues (None if it never queued)."""
    log = call["log"]
    waited, since, queued = 0.0, None, False
    for entry in log:
        if entry["event"] == "enqueue" and "queue_sid" in entry:  # a full queue logs no sid: not joined
            since, queued = entry["t"], True
        elif entry["event"] == "queue-left" and since is not None:
            waited, since = waited + entry["t"] - since, None
    if since is not None:  # still waiting when the run stopped looking
        waited += log[-1]["t"] - since
    return waited if queued else None


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 3)


@dataclass
class LoadReport:
    """The run's counts, overall and per profile."""

    to: str
    calls: int
    rate: float
    seconds: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    per_profile: dict[str, Counter[str]] = field(default_factory=dict)
    waits: list[float] = field(default_factory=list)
    callbacks: int = 0

    def add(self, profile: str, call: dict[str, Any]) -> None:
        """Count one inbound call of the run."""
        outcome = classify(call)
        self.outcomes[outcome] += 1
        counts = self.per_profile.setdefault(profile, Counter())
        counts["calls"] += 1
        counts[outcome] += 1
        wait = queue_wait(call)
        if wait is not None:
            self.waits.append(wait)

    def to_json(self) -> dict[str, Any]:
        """The one JSON object the command prints last."""
        return {
            "calls": self.calls,
            **{outcome: self.outcomes[outcome] for outcome in OUTCOMES},
            "callbacks": self.callbacks,
            "queue_wait_p50": percentile(self.waits, 0.50),
            "queue_wait_p90": percentile(self.waits, 0.90),
            "queue_wait_p99": percentile(self.waits, 0.99),
            "seconds": round(self.seconds, 1),
            "profiles": {
                name: {key: counts[key] for key in ("calls", *OUTCOMES)} for name, counts in self.per_profile.items()
            },
        }

    def text(self) -> str:
        """A summary a person can read."""
        data = self.to_json()

        def seconds(value: float | None) -> str:
            return "-" if value is None else f"{value:.1f} s"

        lines = [
            f"Load: {self.calls} calls to {self.to} at {self.rate:g}/s, over in {self.seconds:.1f} s",
            f"  answered (bridged to an agent)   {data['answered']:>6}",
            f"  abandoned (hung up in a queue)   {data['abandoned']:>6}",
            f"  voicemails (a <Record> ran)      {data['voicemails']:>6}",
            f"  callbacks (outbound to callers)  {data['callbacks']:>6}",
            f"  ended by the hotline's TwiML     {data['ended_by_hotline']:>6}",
            f"  failed (application errors)      {data['failed']:>6}",
            f"  other / still going at timeout   {data['other']:>6} / {data['unfinished']}",
            f"Queue wait ({len(self.waits)} queued): p50 {seconds(data['queue_wait_p50'])}"
            f" · p90 {seconds(data['queue_wait_p90'])} · p99 {seconds(data['queue_wait_p99'])}",
            "Per profile:",
        ]
        for name, counts in data["profiles"].items():
            shown = ", ".join(f"{key} {value}" for key, value in counts.items() if key != "calls" and value)
            lines.append(f"  {name:<20} {counts['calls']:>5} calls: {shown or 'nothing yet'}")
        return "\n".join(lines)
