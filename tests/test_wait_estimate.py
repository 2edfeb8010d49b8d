"""The estimated wait, checked against simulated queues; the error is printed (pytest -s) and bounded."""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass

import pytest

from ivr.prompts import position as position_prompt
from queues.estimate import estimated_wait_seconds


@dataclass
class Outcome:
    predicted: float
    actual: float


def simulate(*, agents: int, load: float, mean_handle: float, callers: int, seed: int) -> list[Outcome]:
    """FIFO queue, Poisson arrivals, log-normal handle times; the estimate sees only what a live system sees."""
    rng = random.Random(seed)
    sigma = 0.6
    mu = math.log(mean_handle) - sigma**2 / 2
    arrival_rate = load * agents / mean_handle
    free_at = [0.0] * agents  # when each agent next comes free
    heapq.heapify(free_at)
    completed: list[float] = []
    clock = 0.0
    waiting_until: list[float] = []  # start times of callers still waiting, for their positions
    outcomes = []
    for _ in range(callers):
        clock += rng.expovariate(arrival_rate)
        waiting_until = [t for t in waiting_until if t > clock]
        free_now = sum(1 for t in free_at if t <= clock)
        position = len(waiting_until) + 1
        recent = completed[-200:]
        handle_estimate = sum(recent) / len(recent) if recent else None
        predicted = estimated_wait_seconds(
            position=position, staffed=agents, free=free_now, handle_seconds=handle_estimate
        )
        earliest = heapq.heappop(free_at)
        start = max(clock, earliest)
        handle = rng.lognormvariate(mu, sigma)
        heapq.heappush(free_at, start + handle)
        completed.append(handle)
        if start > clock:
            waiting_until.append(start)
        assert predicted is not None
        outcomes.append(Outcome(predicted, start - clock))
    return outcomes[callers // 10 :]  # skip the warm-up


@pytest.mark.parametrize(
    ("agents", "load"), [(3, 0.7), (10, 0.85), (20, 0.9), (40, 0.95)], ids=["3x70%", "10x85%", "20x90%", "40x95%"]
)
def test_the_estimated_wait_lands_close_to_the_simulated_wait(agents: int, load: float) -> None:
    outcomes = simulate(agents=agents, load=load, mean_handle=180.0, callers=20_000, seed=agents)
    waited = [o for o in outcomes if o.actual > 0 or o.predicted > 0]
    mean_actual = sum(o.actual for o in outcomes) / len(outcomes)
    mae = sum(abs(o.predicted - o.actual) for o in outcomes) / len(outcomes)
    bias = sum(o.predicted - o.actual for o in outcomes) / len(outcomes)
    print(
        f"\n{agents} agents at {load:.0%}: mean wait {mean_actual:.1f} s, mean absolute error {mae:.1f} s, "
        f"bias {bias:+.1f} s over {len(outcomes)} callers ({len(waited)} waited)"
    )
    # Half the mean wait at most: saying "no wait" to everyone would be off by the whole mean wait.
    assert mae < 0.5 * mean_actual
    assert abs(bias) < 0.2 * mean_actual


def test_nobody_waits_when_an_agent_is_free_and_nobody_is_promised_a_time_without_agents() -> None:
    assert estimated_wait_seconds(position=2, staffed=5, free=2, handle_seconds=200) == 0.0
    assert estimated_wait_seconds(position=1, staffed=0, free=0, handle_seconds=200) is None
    assert estimated_wait_seconds(position=3, staffed=2, free=0, handle_seconds=None) == pytest.approx(2.5 * 180 / 2)


def test_a_waiting_caller_hears_their_place_and_the_wait_in_both_languages() -> None:
    assert position_prompt(1)["en"] == "You are next in line. Please hold."
    assert position_prompt(2)["en"] == "There is 1 caller ahead of you. Please hold."
    three = position_prompt(4, 330)
    assert three["en"] == "There are 3 callers ahead of you. The expected wait is about 6 minutes. Please hold."
    assert three["zh-CN"] == "您前面还有3位客户,预计等待约6分钟,请稍候。"
    assert position_prompt(None)["zh-CN"] == "正在为您转接,请稍候。"
