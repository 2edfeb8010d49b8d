"""The Redis routing engine on its own: queues, agents, offers as leases, and the event stream."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from redis import Redis
from redis.cluster import RedisCluster

from queues.engine import RoutingConfig, RoutingEngine, RoutingError

P = "cc:{rt}:"
SKIP_SECONDS = 5.0


@pytest.fixture
def engine(routing_redis: Redis | RedisCluster) -> RoutingEngine:
    return RoutingEngine(routing_redis, RoutingConfig(offer_timeout_ms=10_000))


@pytest.fixture
def short_offers(routing_redis: Redis | RedisCluster) -> RoutingEngine:
    return RoutingEngine(routing_redis, RoutingConfig(offer_timeout_ms=200))


def tick() -> None:
    time.sleep(0.003)


def enqueue(engine: RoutingEngine, contact: str, queue: str = "general", priority: int = 0) -> str:
    _created, state = engine.enqueue(contact_id=contact, queue=queue, priority=priority, info={"from": contact})
    tick()
    return state


def available(engine: RoutingEngine, agent: str, *queues: str) -> str:
    state = engine.set_agent_state(agent_id=agent, state="available", queues=list(queues or ["general"]))
    tick()
    return state


def agent(engine: RoutingEngine, agent_id: str) -> dict[str, str]:
    raw = engine.redis.hgetall(P + "agent:" + agent_id)
    return {k.decode(): v.decode() for k, v in raw.items()}  # type: ignore[union-attr]


def offered_to(engine: RoutingEngine, agent_id: str) -> str | None:
    contact = agent(engine, agent_id).get("contact") or None
    if contact is not None:
        assert engine.contact(contact)["state"] == "offered"
        assert engine.contact(contact)["agent"] == agent_id
    return contact


def waiting(engine: RoutingEngine, queue: str = "general") -> list[str]:
    return [m.decode() for m in engine.redis.zrange(P + "waiting:" + queue, 0, -1)]  # type: ignore[union-attr]


def events(engine: RoutingEngine) -> list[dict[str, Any]]:
    return [json.loads(fields[b"e"]) for _id, fields in engine.redis.xrange(engine.events_key)]  # type: ignore[union-attr]


def test_contacts_wait_in_priority_order_then_first_come_first_served(engine: RoutingEngine) -> None:
    enqueue(engine, "early-normal", priority=0)
    enqueue(engine, "early-urgent", priority=5)
    enqueue(engine, "late-normal", priority=0)
    enqueue(engine, "late-urgent", priority=5)
    enqueue(engine, "vip", priority=9)

    order = ["vip", "early-urgent", "late-urgent", "early-normal", "late-normal"]
    assert waiting(engine) == order
    assert [engine.position(contact_id=c, queue="general") for c in order] == [(i, 5) for i in range(1, 6)]
    for number, contact in enumerate(order, start=1):
        available(engine, f"agent-{number}")
        assert offered_to(engine, f"agent-{number}") == contact


def test_a_priority_outside_0_to_9_is_refused(engine: RoutingEngine) -> None:
    with pytest.raises(ValueError, match="between 0 and 9"):
        engine.enqueue(contact_id="c1", queue="general", priority=10, info={})
    assert waiting(engine) == []


def test_enqueueing_the_same_contact_again_changes_nothing(engine: RoutingEngine) -> None:
    assert engine.enqueue(contact_id="c1", queue="general", priority=0, info={"n": 1}) == (True, "waiting")
    seq = engine.redis.get(P + "seq")
    record = engine.contact("c1")
    tick()

    assert engine.enqueue(contact_id="c1", queue="repair", priority=9, info={"n": 2}) == (False, "waiting")

    assert engine.contact("c1") == record
    assert waiting(engine) == ["c1"] and waiting(engine, "repair") == []
    assert engine.redis.get(P + "seq") == seq
    assert [e["type"] for e in events(engine)] == ["contact.queued"]


def test_a_new_contact_goes_to_the_longest_idle_agent_of_its_queue(engine: RoutingEngine) -> None:
    available(engine, "other-queue", "repair")
    available(engine, "first")
    available(engine, "second")
    available(engine, "third")

    enqueue(engine, "c1")
    assert offered_to(engine, "first") == "c1"
    enqueue(engine, "c2")
    assert offered_to(engine, "second") == "c2"
    assert offered_to(engine, "other-queue") is None
    assert agent(engine, "third")["state"] == "available"


def test_an_agent_who_finished_a_call_rejoins_at_the_back_of_the_idle_line(engine: RoutingEngine) -> None:
    available(engine, "first")
    available(engine, "second")
    enqueue(engine, "c1")
    engine.accept(contact_id="c1", agent_id="first")
    engine.finish(contact_id="c1", reason="call_completed")
    engine.end_wrap_up(agent_id="first")
    tick()

    enqueue(engine, "c2")

    assert offered_to(engine, "second") == "c2"


def test_setting_available_again_keeps_the_agents_place_in_the_idle_line(engine: RoutingEngine) -> None:
    available(engine, "first")
    available(engine, "second")
    available(engine, "first")

    enqueue(engine, "c1")

    assert offered_to(engine, "first") == "c1"


def test_an_agent_becoming_available_takes_the_best_contact_across_its_queues(engine: RoutingEngine) -> None:
    enqueue(engine, "general-early", "general")
    enqueue(engine, "repair-urgent", "repair", priority=3)
    enqueue(engine, "complaint-later", "complaints", priority=3)
    enqueue(engine, "repair-normal", "repair")

    available(engine, "a1", "general", "repair", "complaints")
    assert offered_to(engine, "a1") == "repair-urgent"
    available(engine, "a2", "general", "repair", "complaints")
    assert offered_to(engine, "a2") == "complaint-later"
    available(engine, "a3", "repair", "general")
    assert offered_to(engine, "a3") == "general-early"
    available(engine, "a4", "complaints")
    assert offered_to(engine, "a4") is None
    assert agent(engine, "a4")["state"] == "available"


def test_an_accepted_offer_assigns_the_contact_and_makes_the_agent_busy(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")

    engine.accept(contact_id="c1", agent_id="a1")

    assert engine.contact("c1")["state"] == "assigned" and engine.contact("c1")["agent"] == "a1"
    assert agent(engine, "a1")["state"] == "busy"
    assert engine.redis.zscore(P + "leases", "c1") is None
    with pytest.raises(RoutingError) as again:
        engine.accept(contact_id="c1", agent_id="a1")
    assert again.value.code == "not_offered"


def test_only_the_agent_offered_the_contact_can_accept_or_reject_it(engine: RoutingEngine) -> None:
    available(engine, "a1")
    available(engine, "a2")
    enqueue(engine, "c1")
    for action in (engine.accept, engine.reject):
        with pytest.raises(RoutingError) as refused:
            action(contact_id="c1", agent_id="a2")
        assert refused.value.code == "not_offered"
    assert offered_to(engine, "a1") == "c1"


def test_accepting_after_the_deadline_is_refused_and_the_reaper_returns_the_contact_with_its_place(
    short_offers: RoutingEngine,
) -> None:
    engine = short_offers
    enqueue(engine, "first-in-line")
    enqueue(engine, "second-in-line")
    score = engine.contact("first-in-line")["score"]
    available(engine, "a1")
    assert offered_to(engine, "a1") == "first-in-line"
    time.sleep(0.25)

    with pytest.raises(RoutingError) as expired:
        engine.accept(contact_id="first-in-line", agent_id="a1")
    assert expired.value.code == "expired"
    assert engine.reap().handled >= 1

    record = engine.contact("first-in-line")
    assert record["score"] == score
    assert engine.redis.zscore(P + "waiting:general", "first-in-line") == float(score)
    assert record["state"] == "waiting" and record["skip_agent"] == "a1"
    returned = [e for e in events(engine) if e["type"] == "offer.returned"]
    assert returned == [{**returned[0], "contact": "first-in-line", "agent": "a1", "reason": "timeout"}]
    assert agent(engine, "a1")["missed"] == "1"
    assert offered_to(engine, "a1") == "second-in-line"


def test_two_missed_offers_in_a_row_put_the_agent_in_not_ready_missed(short_offers: RoutingEngine) -> None:
    engine = short_offers
    enqueue(engine, "c1")
    enqueue(engine, "c2")
    available(engine, "a1")
    assert offered_to(engine, "a1") == "c1"
    time.sleep(0.25)
    engine.reap()
    assert offered_to(engine, "a1") == "c2"
    time.sleep(0.25)

    engine.reap()

    state = agent(engine, "a1")
    assert state["state"] == "not_ready" and state["reason"] == "missed"
    assert waiting(engine) == ["c1", "c2"]
    assert engine.redis.zscore(P + "idle:general", "a1") is None
    enqueue(engine, "c3")
    assert engine.contact("c3")["state"] == "waiting"


def test_an_accepted_offer_resets_the_missed_count(short_offers: RoutingEngine) -> None:
    engine = short_offers
    enqueue(engine, "c1")
    enqueue(engine, "c2")
    available(engine, "a1")
    time.sleep(0.25)
    engine.reap()
    assert offered_to(engine, "a1") == "c2"
    engine.accept(contact_id="c2", agent_id="a1")

    assert agent(engine, "a1")["missed"] == "0"


def test_a_rejected_contact_goes_at_once_to_another_free_agent(engine: RoutingEngine) -> None:
    available(engine, "a1")
    available(engine, "a2")
    enqueue(engine, "c1")
    assert offered_to(engine, "a1") == "c1"

    engine.reject(contact_id="c1", agent_id="a1")

    assert offered_to(engine, "a2") == "c1"
    assert agent(engine, "a1")["state"] == "available"
    assert agent(engine, "a1")["missed"] == "0"


def test_a_rejected_contact_comes_back_to_the_same_agent_only_after_the_skip_period(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    score = engine.contact("c1")["score"]

    engine.reject(contact_id="c1", agent_id="a1")

    assert offered_to(engine, "a1") is None
    assert waiting(engine) == ["c1"] and engine.contact("c1")["score"] == score
    retry_at = engine.redis.zscore(P + "retry", "c1")
    assert retry_at is not None
    assert retry_at - int(engine.contact("c1")["skip_until"]) == 0
    engine.reap()
    assert offered_to(engine, "a1") is None

    time.sleep(SKIP_SECONDS + 0.2)
    engine.reap()

    assert offered_to(engine, "a1") == "c1"
    assert engine.redis.zscore(P + "retry", "c1") is None


def test_finishing_a_waiting_contact_abandons_it_and_takes_it_out_of_the_queue(engine: RoutingEngine) -> None:
    enqueue(engine, "c1")
    enqueue(engine, "c2")

    assert engine.finish(contact_id="c1", reason="call_completed") == "abandoned"

    assert engine.contact("c1")["state"] == "abandoned"
    assert waiting(engine) == ["c2"]
    assert engine.position(contact_id="c2", queue="general") == (1, 1)
    assert engine.redis.ttl(P + "contact:c1") > 0
    assert engine.finish(contact_id="c1", reason="call_completed") == "abandoned"
    available(engine, "a1")
    assert offered_to(engine, "a1") == "c2"


def test_finishing_an_offered_contact_abandons_it_and_frees_the_agent(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    assert offered_to(engine, "a1") == "c1"

    assert engine.finish(contact_id="c1", reason="call_completed") == "abandoned"

    assert engine.contact("c1")["state"] == "abandoned"
    assert agent(engine, "a1")["state"] == "available"
    assert engine.redis.zscore(P + "leases", "c1") is None
    assert engine.redis.zscore(P + "idle:general", "a1") is not None
    last = events(engine)[-3:]
    assert [(e["type"], e.get("reason"), e.get("state")) for e in last] == [
        ("offer.revoked", "caller_hung_up", None),
        ("contact.abandoned", "call_completed", None),
        ("agent.state", "", "available"),
    ]
    enqueue(engine, "c2")
    assert offered_to(engine, "a1") == "c2"


def test_finishing_an_assigned_contact_ends_it_and_puts_the_agent_in_wrap_up(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    engine.accept(contact_id="c1", agent_id="a1")

    assert engine.finish(contact_id="c1", reason="dial_completed") == "ended"

    assert engine.contact("c1")["state"] == "ended"
    assert agent(engine, "a1")["state"] == "wrap_up"
    enqueue(engine, "c2")
    assert engine.contact("c2")["state"] == "waiting"
    assert engine.finish(contact_id="c1", reason="call_completed") == "ended"
    assert agent(engine, "a1")["state"] == "wrap_up"


def test_finishing_an_unknown_contact_is_an_error(engine: RoutingEngine) -> None:
    with pytest.raises(RoutingError) as unknown:
        engine.finish(contact_id="nobody", reason="call_completed")
    assert unknown.value.code == "unknown"


def test_ending_wrap_up_makes_the_agent_available_and_takes_the_next_waiting_contact(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    engine.accept(contact_id="c1", agent_id="a1")
    enqueue(engine, "c2")
    engine.finish(contact_id="c1", reason="dial_completed")

    assert engine.end_wrap_up(agent_id="a1") == "reserved"

    assert offered_to(engine, "a1") == "c2"
    with pytest.raises(RoutingError) as not_in_wrap_up:
        engine.end_wrap_up(agent_id="a1")
    assert not_in_wrap_up.value.code == "not_in_wrap_up"


def test_ending_wrap_up_into_not_ready_takes_no_contact(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    engine.accept(contact_id="c1", agent_id="a1")
    enqueue(engine, "c2")
    engine.finish(contact_id="c1", reason="dial_completed")

    assert engine.end_wrap_up(agent_id="a1", state="not_ready", reason="after_call_work") == "not_ready"

    assert agent(engine, "a1")["reason"] == "after_call_work"
    assert waiting(engine) == ["c2"]


def test_every_change_goes_on_the_stream_with_consecutive_sequence_numbers(short_offers: RoutingEngine) -> None:
    engine = short_offers
    available(engine, "a1")
    available(engine, "a2", "general", "repair")
    enqueue(engine, "c1")
    engine.reject(contact_id="c1", agent_id="a1")
    engine.accept(contact_id="c1", agent_id="a2")
    enqueue(engine, "c2", "repair")
    enqueue(engine, "c3")
    time.sleep(0.25)
    engine.reap()
    engine.finish(contact_id="c1", reason="dial_completed")
    engine.end_wrap_up(agent_id="a2", state="not_ready", reason="break")
    engine.finish(contact_id="c2", reason="call_completed")
    engine.set_agent_state(agent_id="a1", state="offline", queues=["general"])

    entries = engine.redis.xrange(engine.events_key)
    seqs = [json.loads(fields[b"e"])["seq"] for _id, fields in entries]
    assert len(seqs) > 15
    assert seqs == list(range(1, len(seqs) + 1))
    assert [entry_id.decode() for entry_id, _ in entries] == [f"{seq}-0" for seq in seqs]
    assert int(engine.redis.get(P + "seq")) == seqs[-1]  # type: ignore[arg-type]
    assert engine.snapshot(agent_id="a1").seq == seqs[-1]
    assert all(isinstance(e["at"], int) and e["type"] for e in events(engine))


def test_a_call_produces_the_documented_sequence_of_events(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    engine.accept(contact_id="c1", agent_id="a1")
    engine.finish(contact_id="c1", reason="dial_completed")
    engine.end_wrap_up(agent_id="a1")

    summary = [(e["type"], e.get("state") or e.get("contact")) for e in events(engine)]
    assert summary == [
        ("agent.state", "available"),
        ("contact.queued", "c1"),
        ("offer.created", "c1"),
        ("agent.state", "reserved"),
        ("offer.accepted", "c1"),
        ("agent.state", "busy"),
        ("contact.ended", "c1"),
        ("agent.state", "wrap_up"),
        ("agent.state", "available"),
    ]
    offer = events(engine)[2]
    assert offer["agent"] == "a1" and offer["queue"] == "general" and offer["info"] == {"from": "c1"}
    assert offer["deadline"] == offer["at"] + 10_000


def test_going_not_ready_while_reserved_returns_the_contact_with_its_place(engine: RoutingEngine) -> None:
    enqueue(engine, "first")
    enqueue(engine, "second")
    score = engine.contact("first")["score"]
    available(engine, "a1")
    assert offered_to(engine, "a1") == "first"

    assert engine.set_agent_state(agent_id="a1", state="not_ready", queues=["general"], reason="break") == "not_ready"

    assert engine.contact("first")["state"] == "waiting" and engine.contact("first")["score"] == score
    assert waiting(engine) == ["first", "second"]
    assert engine.redis.zscore(P + "leases", "first") is None
    returned = [e for e in events(engine) if e["type"] == "offer.returned"]
    assert [(e["contact"], e["agent"], e["reason"]) for e in returned] == [("first", "a1", "agent_not_ready")]
    assert agent(engine, "a1")["state"] == "not_ready" and agent(engine, "a1")["reason"] == "break"
    tick()
    available(engine, "a2")
    assert offered_to(engine, "a2") == "first"


def test_going_offline_while_reserved_hands_the_contact_to_a_free_agent(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    available(engine, "a2")

    engine.set_agent_state(agent_id="a1", state="offline", queues=["general"])

    assert offered_to(engine, "a2") == "c1"
    assert agent(engine, "a1")["state"] == "offline"


def test_setting_available_while_reserved_keeps_the_offer(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    assert engine.set_agent_state(agent_id="a1", state="available", queues=["general"]) == "reserved"
    assert offered_to(engine, "a1") == "c1"


def test_changing_state_while_busy_is_refused(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    engine.accept(contact_id="c1", agent_id="a1")

    for state in ("available", "not_ready", "offline"):
        with pytest.raises(RoutingError) as busy:
            engine.set_agent_state(agent_id="a1", state=state, queues=["general"])
        assert busy.value.code == "busy"
    assert agent(engine, "a1")["state"] == "busy"
    assert engine.contact("c1")["state"] == "assigned"


def test_an_unknown_agent_state_is_refused(engine: RoutingEngine) -> None:
    with pytest.raises(ValueError, match="available, not_ready, offline"):
        engine.set_agent_state(agent_id="a1", state="busy", queues=["general"])
