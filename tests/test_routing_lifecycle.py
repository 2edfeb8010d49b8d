"""The Redis routing engine on its own: the end of contacts, wrap-up, agent state changes and the event stream."""

from __future__ import annotations

import json
import time

import pytest

from queues.engine import RoutingEngine, RoutingError
from tests.redis_replies import entries, text
from tests.routing_realtime import P, agent, available, enqueue, events, offered_to, tick, waiting
from tests.routing_steps import answer


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
    answer(engine, contact_id="c1", agent_id="a1")

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
    answer(engine, contact_id="c1", agent_id="a1")
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
    answer(engine, contact_id="c1", agent_id="a1")
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
    answer(engine, contact_id="c1", agent_id="a2")
    enqueue(engine, "c2", "repair")
    enqueue(engine, "c3")
    time.sleep(0.25)
    engine.reap()
    engine.finish(contact_id="c1", reason="dial_completed")
    engine.end_wrap_up(agent_id="a2", state="not_ready", reason="break")
    engine.finish(contact_id="c2", reason="call_completed")
    engine.set_agent_state(agent_id="a1", state="offline", queues=["general"])

    stream = entries(engine.redis.xrange(engine.events_key))
    seqs = [json.loads(fields[b"e"])["seq"] for _id, fields in stream]
    assert len(seqs) > 15
    assert seqs == list(range(1, len(seqs) + 1))
    assert [text(entry_id) for entry_id, _ in stream] == [f"{seq}-0" for seq in seqs]
    assert int(engine.redis.get(P + "seq")) == seqs[-1]  # type: ignore[arg-type]
    assert engine.snapshot(agent_id="a1").seq == seqs[-1]
    assert all(isinstance(e["at"], int) and e["type"] for e in events(engine))


def test_a_call_produces_the_documented_sequence_of_events(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    answer(engine, contact_id="c1", agent_id="a1")
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
        ("contact.joined", "c1"),
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
    answer(engine, contact_id="c1", agent_id="a1")

    for state in ("available", "not_ready", "offline"):
        with pytest.raises(RoutingError) as busy:
            engine.set_agent_state(agent_id="a1", state=state, queues=["general"])
        assert busy.value.code == "busy"
    assert agent(engine, "a1")["state"] == "busy"
    assert engine.contact("c1")["state"] == "assigned"


def test_an_unknown_agent_state_is_refused(engine: RoutingEngine) -> None:
    with pytest.raises(ValueError, match="available, not_ready, offline"):
        engine.set_agent_state(agent_id="a1", state="busy", queues=["general"])
