"""The wallboard's figures over time (queues/history.py): one sample a minute whoever asks, kept 24 hours."""

from __future__ import annotations

import pytest
from redis import Redis

from queues import history
from queues.engine import RoutingEngine

HOUR_MS = 3600 * 1000
NOON = 1_795_000_000_000 // history.MINUTE_MS * history.MINUTE_MS  # a whole minute


@pytest.fixture
def routing(redis_client: Redis) -> RoutingEngine:
    return RoutingEngine(redis_client)


def test_each_minute_is_sampled_once_however_many_processes_try(routing: RoutingEngine) -> None:
    routing.enqueue(contact_id="101", queue="general", info={"from": "+8613800138000"})

    assert history.sample(routing, ["general", "repair"], now_ms=NOON + 5_000) is True
    assert history.sample(routing, ["general", "repair"], now_ms=NOON + 40_000) is False  # another process, same minute
    assert history.sample(routing, ["general", "repair"], now_ms=NOON + 65_000) is True

    found = history.history(routing, ["general", "repair"], hours=1, now_ms=NOON + 70_000)
    general = found["queues"]["general"]
    assert [p["at"] for p in general] == [NOON, NOON + 60_000]
    assert [p["waiting"] for p in general] == [1, 1]
    assert general[0]["service_level_percent"] is None  # nobody answered or abandoned yet today
    assert [p["waiting"] for p in found["queues"]["repair"]] == [0, 0]


def test_samples_older_than_a_day_are_dropped_and_hours_choose_the_window(routing: RoutingEngine) -> None:
    old = {"at": NOON - 25 * HOUR_MS, "waiting": 4, "longest_wait_seconds": 80.0, "service_level_percent": 75.0}
    earlier = {"at": NOON - 2 * HOUR_MS, "waiting": 2, "longest_wait_seconds": 30.0, "service_level_percent": 90.0}
    history.record(routing, "general", old, now_ms=NOON - 25 * HOUR_MS)
    history.record(routing, "general", earlier, now_ms=NOON - 2 * HOUR_MS)
    history.sample(routing, ["general"], now_ms=NOON)

    whole_day = history.history(routing, ["general"], hours=24, now_ms=NOON)["queues"]["general"]
    assert [p["at"] for p in whole_day] == [NOON - 2 * HOUR_MS, NOON]
    assert routing.redis.zcard(f"{routing.prefix}history:general") == 2  # the 25-hour-old one is gone
    last_hour = history.history(routing, ["general"], hours=1, now_ms=NOON)["queues"]["general"]
    assert [p["at"] for p in last_hour] == [NOON]


@pytest.mark.parametrize("hours", [0, 25, -3])
def test_the_window_is_one_to_twenty_four_hours(routing: RoutingEngine, hours: int) -> None:
    with pytest.raises(ValueError, match="hours must be a whole number from 1 to 24"):
        history.history(routing, ["general"], hours=hours)
