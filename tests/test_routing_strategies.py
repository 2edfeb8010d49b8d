"""Agent-selection strategies per queue, and the first offer kept for the customer's last agent."""

from __future__ import annotations

import time

import pytest
from redis import Redis
from redis.cluster import RedisCluster

from queues.engine import RoutingConfig, RoutingEngine
from tests.routing_steps import answer


@pytest.fixture
def engine(routing_redis: Redis | RedisCluster) -> RoutingEngine:
    return RoutingEngine(routing_redis, RoutingConfig(offer_timeout_ms=5_000, preferred_agent_ms=300))


def free(engine: RoutingEngine, agent: str, skills: dict[str, int] | None = None) -> None:
    engine.set_agent_state(agent_id=agent, state="available", queues=["q"], skills=skills or {})
    time.sleep(0.002)


def serve(engine: RoutingEngine, contact: str) -> str:
    """Enqueue a contact, accept it, end it and end the wrap-up; returns who got it."""
    engine.enqueue(contact_id=contact, queue="q", info={})
    agent = engine.contact(contact)["agent"]
    answer(engine, contact_id=contact, agent_id=agent)
    engine.finish(contact_id=contact, reason="completed")
    engine.end_wrap_up(agent_id=agent)
    time.sleep(0.002)
    return agent


def use(engine: RoutingEngine, strategy: str) -> None:
    engine.configure_queue(name="q", offer_timeout_ms=None, wrapup_ms=None, skills={}, strategy=strategy)


def test_fewest_today_gives_the_contact_to_the_agent_who_answered_least_even_if_not_idle_longest(
    engine: RoutingEngine,
) -> None:
    free(engine, "busy-bee")
    assert serve(engine, "warm-up") == "busy-bee"
    free(engine, "newcomer")  # idle for less time than busy-bee, but answered nothing yet today
    assert engine.redis.zrange("cc:{rt}:idle:q", 0, -1) == [b"busy-bee", b"newcomer"]  # busy-bee idle longest
    use(engine, "fewest_today")
    engine.enqueue(contact_id="c", queue="q", info={})
    assert engine.contact("c")["agent"] == "newcomer"
    why = engine.explain(contact_id="c")[-1]
    assert why["strategy"] == "fewest_today"
    assert {"agent": "busy-bee", "reason": "ranked lower by fewest_today"} in why["passed_over"]


def test_round_robin_offers_to_whoever_was_offered_a_contact_least_recently(engine: RoutingEngine) -> None:
    use(engine, "round_robin")
    for agent in ("a", "b", "c"):
        free(engine, agent)
    got = [serve(engine, f"c{i}") for i in range(6)]
    assert got == ["a", "b", "c", "a", "b", "c"]


def test_best_skill_offers_to_the_strongest_agent_for_the_needed_skills(engine: RoutingEngine) -> None:
    use(engine, "best_skill")
    free(engine, "ok", {"repair": 2, "zh": 5})
    free(engine, "strong", {"repair": 5, "zh": 3})
    engine.enqueue(contact_id="fix", queue="q", info={}, skills={"repair": 2})
    assert engine.contact("fix")["agent"] == "strong"
    why = engine.explain(contact_id="fix")[-1]
    assert {"agent": "ok", "reason": "ranked lower by best_skill"} in why["passed_over"]


def test_the_agent_who_last_served_the_customer_gets_the_first_offer_for_a_while(engine: RoutingEngine) -> None:
    free(engine, "stranger")
    free(engine, "familiar")
    engine.enqueue(contact_id="again", queue="q", info={}, preferred_agent="familiar")
    assert engine.contact("again")["agent"] == "familiar"
    assert "last served" in engine.explain(contact_id="again")[-1]["rule"]


def test_a_contact_kept_for_a_busy_agent_goes_to_anyone_once_the_preference_lapses(engine: RoutingEngine) -> None:
    free(engine, "familiar")
    engine.enqueue(contact_id="first", queue="q", info={})
    answer(engine, contact_id="first", agent_id="familiar")
    free(engine, "stranger")
    engine.enqueue(contact_id="again", queue="q", info={}, preferred_agent="familiar")
    assert engine.contact("again")["state"] == "waiting"

    time.sleep(0.35)
    engine.reap()
    assert engine.contact("again")["agent"] == "stranger"


def test_no_one_waits_for_a_last_agent_who_is_not_at_work(engine: RoutingEngine) -> None:
    free(engine, "stranger")
    engine.set_agent_state(agent_id="familiar", state="offline", queues=["q"])
    engine.enqueue(contact_id="again", queue="q", info={}, preferred_agent="familiar")
    assert engine.contact("again")["agent"] == "stranger"
