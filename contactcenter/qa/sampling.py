"""Sampling's pure rules, without a database: which candidates a policy chooses (reproducibly: the same seed and
the same candidates give the same selection), how the chosen are spread over evaluators, the periods runs cover,
due dates in working days, and each agent's target."""

from __future__ import annotations

import math
import random
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from contactcenter.qa.sampling_models import PolicyKind

SEED_BITS = 53  # a seed a browser's JSON number holds exactly


@dataclass(frozen=True, order=True)
class Candidate:
    """A contact a policy may choose: ordered by agent, then contact (the stable order the seed draws from)."""

    agent_id: int
    contact_id: int
    queue: str | None = None
    channel: str = "voice"
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Rule:
    """What a policy asks of a selection (sampling_models.SamplingPolicy's numbers)."""

    kind: str
    per_agent: int = 0
    percentage: float | None = None


def new_seed() -> int:
    """A fresh seed for a run that was given none (kept with the run, so it can be replayed)."""
    return secrets.randbits(SEED_BITS)


def quota(rule: Rule, eligible: int) -> int:
    """How many of an agent's `eligible` contacts the rule takes (never more than there are)."""
    if rule.kind in (PolicyKind.COMPLAINTS, PolicyKind.FLAGGED_AGENTS):
        return eligible
    if rule.kind == PolicyKind.PERCENTAGE:
        wanted = max(rule.per_agent, math.ceil((rule.percentage or 0) * eligible / 100))
    else:
        wanted = rule.per_agent
    return min(wanted, eligible)


def by_agent(candidates: Iterable[Candidate]) -> dict[int, list[Candidate]]:
    """Candidates per agent, each list in the stable order, the agents in id order."""
    grouped: dict[int, list[Candidate]] = defaultdict(list)
    for candidate in sorted(set(candidates)):
        grouped[candidate.agent_id].append(candidate)
    return dict(grouped)


def choose(rule: Rule, candidates: Iterable[Candidate], *, seed: int) -> list[Candidate]:
    """The rule's selection: one draw per agent, agents in id order, from a generator seeded with `seed`
    over the candidates sorted by (agent, contact); the order the candidates came in does not matter."""
    rng = random.Random(seed)
    chosen: list[Candidate] = []
    for mine in by_agent(candidates).values():
        chosen.extend(sorted(rng.sample(mine, quota(rule, len(mine)))))
    return chosen


def spread(
    chosen: Sequence[Candidate], *, evaluators: Sequence[int], load: dict[int, int] | None = None
) -> dict[int, int | None]:
    """Contact id → evaluator: each item goes to the evaluator with the fewest open items so far (their
    current `load` plus what this spread gave them), ties to the lowest id, never to the agent evaluated (a
    team lead may be both). With equal loads, the counts given differ by at most one. None: nobody may take it."""
    counts = {evaluator: (load or {}).get(evaluator, 0) for evaluator in sorted(set(evaluators))}
    given: dict[int, int | None] = {}
    for candidate in chosen:
        allowed = [evaluator for evaluator in counts if evaluator != candidate.agent_id]
        if not allowed:
            given[candidate.contact_id] = None
            continue
        pick = min(allowed, key=lambda evaluator: (counts[evaluator], evaluator))
        counts[pick] += 1
        given[candidate.contact_id] = pick
    return given


def period_end(now: datetime, *, days: int, zone: ZoneInfo) -> datetime:
    """The end of the last whole period before `now`: a local midnight whose date's day number is a multiple
    of `days` from Monday 1 January of year 1 (7 days: every Monday 00:00 in the hotline's time zone)."""
    today = now.astimezone(zone).date()
    day = today - timedelta(days=(today.toordinal() - 1) % days)
    return datetime.combine(day, time(), tzinfo=zone)


def window(now: datetime, *, days: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The last whole period before `now`: [start, end), local midnights (see `period_end`)."""
    end = period_end(now, days=days, zone=zone)
    start = datetime.combine(end.date() - timedelta(days=days), time(), tzinfo=zone)
    return start, end


def add_working_days(day: date, days: int) -> date:
    """The date `days` working days (Monday to Friday; public holidays count as working days) after `day`."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def due_at(start: datetime, *, days: int, zone: ZoneInfo) -> datetime:
    """When an item sampled at `start` is due: the end (next local midnight) of the day `days` working days
    later, in the hotline's time zone; 0 days: the end of the sampling day."""
    last = add_working_days(start.astimezone(zone).date(), days)
    return datetime.combine(last + timedelta(days=1), time(), tzinfo=zone)


def target(rule: Rule, handled: int) -> int:
    """How many of an agent's `handled` contacts the rule wants evaluated in a period (complaints, flags: no
    fixed target, 0)."""
    if rule.kind in (PolicyKind.COMPLAINTS, PolicyKind.FLAGGED_AGENTS):
        return 0
    return quota(rule, handled)
