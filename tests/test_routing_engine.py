"""The Redis routing engine on its own: queues in order, offers as leases, accept, reject and skips."""

from __future__ import annotations

import time

import pytest

from queues.engine import RoutingEngine, RoutingError
from tests.routing_realtime import SKIP_SECONDS, P, agent, available, enqueue, events, offered_to, tick, waiting
from tests.routing_steps import answer


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
    answer(engine, contact_id="c1", agent_id="first")
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

    answer(engine, contact_id="c1", agent_id="a1")

    assert engine.contact("c1")["state"] == "assigned" and engine.contact("c1")["agent"] == "a1"
    assert agent(engine, "a1")["state"] == "busy"
    assert engine.redis.zscore(P + "leases", "c1") is None
    with pytest.raises(RoutingError) as again:
        answer(engine, contact_id="c1", agent_id="a1")
    assert again.value.code == "not_offered"


def test_an_accept_names_the_caller_to_move_unless_nobody_is_on_the_line(engine: RoutingEngine) -> None:
    """The accept moves the caller into their room with the CallSid routing kept since the enqueue (no SQL
    before the move); a caller who asked to be called back hung up, and a chat has no call to move."""
    engine.enqueue(contact_id="c1", queue="general", info={}, call_sid="CA" + "1" * 32)
    engine.enqueue(contact_id="c2", queue="general", info={}, call_sid="CA" + "2" * 32)
    engine.enqueue(contact_id="c3", queue="general", info={}, channel="chat")
    assert engine.request_callback(contact_id="c2", info={"callback": True}) == "waiting"
    for agent_id in ("a1", "a2", "a3"):
        available(engine, agent_id)

    accepted = {cid: engine.accept(contact_id=cid, agent_id=engine.contact(cid)["agent"]) for cid in ("c1", "c2", "c3")}

    assert accepted["c1"].caller_call == "CA" + "1" * 32 and accepted["c1"].state == "connecting"
    assert accepted["c2"].caller_call == "" and accepted["c2"].state == "connecting"
    assert accepted["c3"].caller_call == "" and accepted["c3"].state == "assigned"


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
        answer(engine, contact_id="first-in-line", agent_id="a1")
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
    answer(engine, contact_id="c2", agent_id="a1")

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
