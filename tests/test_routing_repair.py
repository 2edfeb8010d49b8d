"""Routing's repairs, on a single Redis and on a cluster: an agent and an answered call or chat put back
after Redis lost its data (the call then ends as any other: the agent to wrap-up), and an agent held on
nothing live found and freed, checked again as it is freed (one that moved on is left alone; a warm
transfer's agent is not stuck)."""

from __future__ import annotations

import time

import pytest

from queues.engine import RoutingEngine, RoutingError
from tests.routing_realtime import agent, available, enqueue, events, offered_to
from tests.routing_steps import answer

NOW_MS = int(time.time() * 1000)


def restored(engine: RoutingEngine, agent_id: str, previous: tuple[str, str] | None = ("available", "")) -> str:
    return engine.restore_agent(
        agent_id=agent_id,
        queues=["general"],
        skills={"zh": 3},
        chat_capacity=2,
        reason="routing_rebuilt",
        previous=previous,
    )


def restore_call(engine: RoutingEngine, contact: str, agent_id: str, channel: str = "voice") -> str:
    return engine.restore_assignment(
        contact_id=contact,
        agent_id=agent_id,
        channel=channel,
        queue="general",
        priority=2,
        info={"from": "x"},
        skills=None,
        call_sid="CA1" if channel == "voice" else None,
        arrived_ms=NOW_MS - 90_000,
        answered_ms=NOW_MS - 60_000,
    )


def test_a_restored_agent_is_not_ready_remembering_its_choice_and_a_known_agent_is_left_alone(
    engine: RoutingEngine,
) -> None:
    assert restored(engine, "a1") == "not_ready"
    record = agent(engine, "a1")
    assert (record["state"], record["reason"], record["prev_state"]) == ("not_ready", "routing_rebuilt", "available")
    assert (record["queues"], record["skills"], record["chat_cap"], record["away"]) == ("general", '{"zh":3}', "2", "1")
    state_event = [e for e in events(engine) if e["type"] == "agent.state"][-1]
    assert state_event["previous_state"] == "available"
    available(engine, "a2")
    assert restored(engine, "a2") == "available"  # routing knows it: nothing changes
    enqueue(engine, "c1")
    assert offered_to(engine, "a2") == "c1"  # not to the restored agent, who has not chosen yet


def test_a_restored_call_is_the_agents_answered_and_its_end_takes_the_agent_to_wrap_up(engine: RoutingEngine) -> None:
    restored(engine, "a1")
    assert restore_call(engine, "c1", "a1") == "assigned"
    record = engine.contact("c1")
    assert (record["state"], record["agent"], record["call"]) == ("assigned", "a1", "CA1")
    assert (int(record["enqueued_at"]), int(record["answered_at"])) == (NOW_MS - 90_000, NOW_MS - 60_000)
    assert (agent(engine, "a1")["state"], agent(engine, "a1")["contact"]) == ("busy", "c1")
    assert restore_call(engine, "c1", "a1") == "assigned"  # once only
    with pytest.raises(RoutingError) as busy:
        restore_call(engine, "c2", "a1")  # SQL had the agent on two calls
    assert busy.value.code == "agent_busy"
    with pytest.raises(RoutingError) as unknown:
        restore_call(engine, "c3", "nobody")
    assert unknown.value.code == "unknown_agent"
    assert engine.finish(contact_id="c1", reason="agent_ended") == "ended"
    assert agent(engine, "a1")["state"] == "wrap_up"
    assert engine.stuck_agents(["a1"]) == []


def test_a_restored_chat_takes_one_of_its_agents_slots(engine: RoutingEngine) -> None:
    restored(engine, "a1")
    assert restore_call(engine, "h1", "a1", channel="chat") == "assigned"
    assert engine.redis.smembers("cc:{rt}:agent:a1:chats") == {b"h1"}
    assert agent(engine, "a1")["state"] == "not_ready"  # a chat does not change the agent's state
    assert engine.finish(contact_id="h1", reason="agent_ended") == "ended"


def test_an_agent_held_on_nothing_live_is_found_and_freed_once(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    assert offered_to(engine, "a1") == "c1"
    engine.redis.delete(engine.contact_key("c1"))  # the offer's record lost
    available(engine, "a2")
    enqueue(engine, "c2")
    answer(engine, contact_id="c2", agent_id="a2")  # a live call: not stuck

    stuck = engine.stuck_agents(["a1", "a2", "nobody"])

    assert [(s.agent_id, s.contact_id, s.reason) for s in stuck] == [
        ("a1", "c1", "reserved on contact c1, which routing no longer has")
    ]
    assert engine.free_agent(agent_id="a1", contact_id="c1") == "available"
    assert engine.free_agent(agent_id="a1", contact_id="c1") == ""  # moved on: left alone
    assert engine.stuck_agents(["a1", "a2"]) == []


def test_a_warm_transfers_agent_is_not_stuck_while_the_colleague_is_offered(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    answer(engine, contact_id="c1", agent_id="a1")
    engine.consult(contact_id="c1", agent_id="a1", queue="general", to_agent=None, context={"note": ""})
    assert agent(engine, "a1")["state"] == "busy"
    assert engine.stuck_agents(["a1"]) == []
