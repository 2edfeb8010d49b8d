"""Skills with levels, per-queue settings, automatic end of wrap-up, and the explanation of each offer."""

from __future__ import annotations

import time

import pytest
from redis import Redis
from redis.cluster import RedisCluster

from queues.engine import RoutingConfig, RoutingEngine, RoutingError
from tests.redis_replies import entries, texts
from tests.routing_steps import answer


@pytest.fixture
def engine(routing_redis: Redis | RedisCluster) -> RoutingEngine:
    return RoutingEngine(routing_redis, RoutingConfig(offer_timeout_ms=5_000, wrapup_ms=30_000))


@pytest.fixture
def redis_client(routing_redis: Redis | RedisCluster) -> Redis | RedisCluster:
    """Tests here that read Redis directly read the one their engine runs on, single or cluster."""
    return routing_redis


def available(engine: RoutingEngine, agent: str, queues: list[str], skills: dict[str, int]) -> None:
    engine.set_agent_state(agent_id=agent, state="available", queues=queues, skills=skills)
    time.sleep(0.002)  # distinct idle-since times keep "longest idle" unambiguous


def test_a_contact_goes_to_the_longest_idle_agent_with_the_skill_level_it_needs(engine: RoutingEngine) -> None:
    available(engine, "junior", ["billing"], {"billing": 2})
    available(engine, "senior", ["billing"], {"billing": 4})
    engine.enqueue(contact_id="c1", queue="billing", info={}, skills={"billing": 3})

    contact = engine.contact("c1")
    assert contact["state"] == "offered" and contact["agent"] == "senior"
    [why] = engine.explain(contact_id="c1")
    assert why["agent"] == "senior"
    assert why["needs"] == {"billing": 3}
    assert why["passed_over"] == [{"agent": "junior", "reason": "skill billing level 2 < 3"}]


def test_without_a_qualified_agent_the_contact_waits_and_goes_to_the_first_one_who_qualifies(
    engine: RoutingEngine,
) -> None:
    available(engine, "junior", ["billing"], {"billing": 1})
    engine.enqueue(contact_id="hard", queue="billing", info={}, skills={"billing": 5})
    engine.enqueue(contact_id="easy", queue="billing", info={}, skills={"billing": 1})
    assert engine.contact("hard")["state"] == "waiting"
    assert engine.contact("easy")["agent"] == "junior"

    available(engine, "expert", ["billing"], {"billing": 5})
    assert engine.contact("hard")["agent"] == "expert"


def test_an_agent_who_becomes_free_skips_contacts_it_is_not_qualified_for(engine: RoutingEngine) -> None:
    engine.enqueue(contact_id="vip", queue="general", priority=5, info={}, skills={"english": 4})
    engine.enqueue(contact_id="normal", queue="general", info={})
    available(engine, "agent", ["general"], {"english": 2})

    assert engine.contact("normal")["agent"] == "agent"
    assert engine.contact("vip")["state"] == "waiting"
    [why] = engine.explain(contact_id="normal")
    assert why["contacts_passed_over"] == [{"contact": "vip", "reason": "skill english level 2 < 4"}]


def test_a_queue_requires_its_own_skills_of_every_contact_and_its_settings_apply_without_restart(
    engine: RoutingEngine,
) -> None:
    engine.configure_queue(name="repair", offer_timeout_ms=2_000, wrapup_ms=30_000, skills={"repair": 2})
    available(engine, "novice", ["repair"], {"repair": 1})
    available(engine, "fixer", ["repair"], {"repair": 3})
    before = int(time.time() * 1000)
    engine.enqueue(contact_id="r1", queue="repair", info={})

    contact = engine.contact("r1")
    assert contact["agent"] == "fixer"
    assert before + 2_000 <= int(contact["deadline"]) <= time.time() * 1000 + 2_000


def test_wrap_up_ends_by_itself_after_the_queues_wrap_up_time_unless_extended(engine: RoutingEngine) -> None:
    engine.configure_queue(name="general", offer_timeout_ms=5_000, wrapup_ms=150, skills={})
    available(engine, "a1", ["general"], {})
    available(engine, "a2", ["general"], {})
    engine.enqueue(contact_id="x", queue="general", info={})
    engine.enqueue(contact_id="y", queue="general", info={})
    for contact in ("x", "y"):
        agent = engine.contact(contact)["agent"]
        answer(engine, contact_id=contact, agent_id=agent)
        engine.finish(contact_id=contact, reason="completed")
    extended = engine.contact("y")["agent"]
    engine.extend_wrap_up(agent_id=extended, seconds=60)

    time.sleep(0.2)
    engine.reap()
    plain = engine.contact("x")["agent"]
    assert engine.snapshot(agent_id=plain).agent["state"] == "available"
    assert engine.snapshot(agent_id=extended).agent["state"] == "wrap_up"
    with pytest.raises(RoutingError):
        engine.extend_wrap_up(agent_id=plain, seconds=10)


@pytest.mark.parametrize("skills", [{"billing": 0}, {"billing": 6}, {"billing": "3"}, {"billing": True}])
def test_skill_levels_outside_1_to_5_are_refused(engine: RoutingEngine, skills: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="level must be a whole number from 1 to 5"):
        engine.set_agent_state(agent_id="a", state="available", queues=["q"], skills=skills)  # type: ignore[arg-type]


def test_a_caller_who_rings_back_within_the_window_gets_their_old_place(redis_client: Redis) -> None:
    engine = RoutingEngine(redis_client, RoutingConfig(rering_ms=300))
    engine.enqueue(contact_id="first-call", queue="general", info={}, caller="+8613800138000")
    time.sleep(0.002)
    engine.enqueue(contact_id="other", queue="general", info={}, caller="+8613900139000")
    first_score = engine.contact("first-call")["score"]
    engine.finish(contact_id="first-call", reason="queue_hangup")

    engine.enqueue(contact_id="second-call", queue="general", info={}, caller="+8613800138000")
    assert engine.contact("second-call")["score"] == first_score
    assert texts(redis_client.zrange("cc:{rt}:waiting:general", 0, -1)) == ["second-call", "other"]

    engine.finish(contact_id="second-call", reason="queue_hangup")
    time.sleep(0.35)
    engine.enqueue(contact_id="too-late", queue="general", info={}, caller="+8613800138000")
    assert texts(redis_client.zrange("cc:{rt}:waiting:general", 0, -1)) == ["other", "too-late"]


def test_a_supervisor_raises_a_waiting_contacts_priority_or_moves_it_keeping_its_arrival_time(
    engine: RoutingEngine, redis_client: Redis
) -> None:
    for contact in ("a", "b", "c"):
        engine.enqueue(contact_id=contact, queue="general", info={})
        time.sleep(0.002)
    engine.enqueue(contact_id="x", queue="repair", info={})

    engine.requeue(contact_id="c", priority=5)
    assert texts(redis_client.zrange("cc:{rt}:waiting:general", 0, -1)) == ["c", "a", "b"]

    engine.requeue(contact_id="a", priority=0, queue="repair")
    assert texts(redis_client.zrange("cc:{rt}:waiting:repair", 0, -1)) == ["a", "x"]
    events = [e for _id, e in entries(redis_client.xrange("cc:{rt}:events"))]
    assert b"contact.requeued" in events[-1][b"e"]

    available(engine, "fixer", ["repair"], {})
    assert engine.contact("a")["agent"] == "fixer"
    with pytest.raises(RoutingError) as refused:
        engine.requeue(contact_id="a", priority=3)
    assert refused.value.code == "not_waiting"


def test_queue_statistics_count_answers_within_the_service_level_abandons_and_handle_time(
    engine: RoutingEngine,
) -> None:
    engine.configure_queue(name="general", offer_timeout_ms=5_000, wrapup_ms=30_000, skills={}, service_level_ms=50)
    available(engine, "a1", ["general"], {})
    engine.set_agent_state(agent_id="a2", state="not_ready", queues=["general"], reason="break")
    engine.enqueue(contact_id="fast", queue="general", info={})
    answer(engine, contact_id="fast", agent_id="a1")
    engine.enqueue(contact_id="slow", queue="general", info={})
    engine.enqueue(contact_id="gone", queue="general", info={})
    time.sleep(0.08)
    engine.finish(contact_id="gone", reason="queue_hangup")
    stats = engine.queue_stats(queue="general")
    assert stats["waiting"] == 1 and stats["longest_wait_seconds"] >= 0.08
    assert stats["agents"] == {"busy": 1, "not_ready": 1}

    time.sleep(0.02)
    engine.finish(contact_id="fast", reason="completed")
    engine.end_wrap_up(agent_id="a1")
    answer(engine, contact_id="slow", agent_id="a1")
    stats = engine.queue_stats(queue="general")
    assert (stats["answered"], stats["abandoned"], stats["waiting"]) == (2, 1, 0)
    assert stats["service_level_percent"] == round(100 / 3, 1)
    assert stats["abandonment_rate_percent"] == round(100 / 3, 1)
    assert stats["average_speed_of_answer_seconds"] is not None
    assert stats["average_handle_time_seconds"] >= 0.1
    mine = engine.agent_stats(agent_id="a1")
    assert (mine["answered"], mine["handled"]) == (2, 1)


def test_a_waiting_contact_knows_its_place_and_expected_wait(engine: RoutingEngine) -> None:
    engine.set_agent_state(agent_id="a1", state="available", queues=["general"])
    engine.set_agent_state(agent_id="a2", state="available", queues=["general"])
    for contact in ("c1", "c2", "c3", "c4", "c5"):
        engine.enqueue(contact_id=contact, queue="general", info={})
        time.sleep(0.002)
    assert engine.wait_estimate(contact_id="c1") is None  # offered, not waiting
    estimate = engine.wait_estimate(contact_id="c5")
    assert estimate == {"position": 3, "queue_size": 3, "staffed": 2, "estimated_wait_seconds": 2.5 * 180 / 2}
