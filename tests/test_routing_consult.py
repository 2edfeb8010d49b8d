"""Routing of a warm transfer: the call is offered on while the transferring agent stays on it, then
completed (they leave) or canceled (it comes back to them). Also the connecting state of a call."""

from __future__ import annotations

import pytest

from queues.engine import RoutingEngine, RoutingError
from tests.routing_realtime import agent, available, enqueue, events, offered_to, waiting
from tests.routing_steps import answer


def on_a_call(engine: RoutingEngine) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    answer(engine, contact_id="c1", agent_id="a1")


def test_an_accepted_call_connects_until_the_agent_joins_and_only_then_counts_as_answered(
    engine: RoutingEngine,
) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    assert engine.accept(contact_id="c1", agent_id="a1").state == "connecting"
    assert engine.contact("c1").get("answered_at", "") == ""
    assert engine.queue_stats(queue="general")["answered"] == 0
    with pytest.raises(RoutingError):
        engine.hold(contact_id="c1", agent_id="a1", on=True)  # nothing to hold before the agent is in
    engine.joined(contact_id="c1", agent_id="a1")
    engine.joined(contact_id="c1", agent_id="a1")  # Twilio may say it twice
    assert engine.contact("c1")["state"] == "assigned" and engine.contact("c1")["answered_at"]
    assert engine.queue_stats(queue="general")["answered"] == 1
    assert [e["type"] for e in events(engine)].count("contact.joined") == 1


def test_a_leg_that_never_joins_returns_the_call_with_its_place_and_the_agent_goes_not_ready(
    engine: RoutingEngine,
) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    enqueue(engine, "c2")
    score = float(engine.contact("c1")["score"])  # its place (c1 is offered: out of the waiting line)
    engine.accept(contact_id="c1", agent_id="a1")
    assert engine.join_failed(contact_id="c1", agent_id="a1", reason="leg_no-answer") == "waiting"
    assert waiting(engine) == ["c1", "c2"]
    assert engine.redis.zscore("cc:{rt}:waiting:general", "c1") == score
    assert (agent(engine, "a1")["state"], agent(engine, "a1")["reason"]) == ("not_ready", "missed")
    assert engine.queue_stats(queue="general")["answered"] == 0
    with pytest.raises(RoutingError):  # once only
        engine.join_failed(contact_id="c1", agent_id="a1", reason="leg_no-answer")
    returned = [e for e in events(engine) if e["type"] == "offer.returned"]
    assert returned[-1]["reason"] == "leg_no-answer"


def test_a_caller_who_hangs_up_while_the_agent_connects_is_abandoned_and_the_agent_freed(
    engine: RoutingEngine,
) -> None:
    available(engine, "a1")
    enqueue(engine, "c1")
    engine.accept(contact_id="c1", agent_id="a1")
    assert engine.finish(contact_id="c1", reason="call_completed") == "abandoned"
    assert agent(engine, "a1")["state"] == "available"


def test_a_warm_transfer_completed_leaves_the_call_with_the_colleague(engine: RoutingEngine) -> None:
    on_a_call(engine)
    available(engine, "a2")
    assert engine.consult(contact_id="c1", agent_id="a1", queue=None, to_agent="a2", context={"note": "VIP"}) == (
        "offered"
    )
    assert offered_to(engine, "a2") == "c1"
    assert agent(engine, "a1")["state"] == "busy"  # still on the call
    assert engine.contact("c1")["info"].find("VIP") > 0
    with pytest.raises(RoutingError):  # one transfer at a time
        engine.transfer(contact_id="c1", agent_id="a1", queue="general")
    with pytest.raises(RoutingError):
        engine.consult_end(contact_id="c1", agent_id="a2", outcome="complete")  # not theirs to complete
    answer(engine, contact_id="c1", agent_id="a2")
    joined = [e for e in events(engine) if e["type"] == "consult.joined"]
    assert [(e["agent"], e["by"]) for e in joined] == [("a1", "a2")]

    engine.consult_end(contact_id="c1", agent_id="a1", outcome="complete")
    assert (agent(engine, "a1")["state"], agent(engine, "a1")["reason"]) == ("wrap_up", "transferred")
    assert (engine.contact("c1")["state"], engine.contact("c1")["agent"]) == ("assigned", "a2")
    assert engine.contact("c1")["consult_from"] == ""


@pytest.mark.parametrize("stage", ["waiting", "offered", "connecting", "talking"])
def test_a_warm_transfer_canceled_at_any_stage_gives_the_call_back(engine: RoutingEngine, stage: str) -> None:
    on_a_call(engine)
    answered_at = engine.contact("c1")["answered_at"]
    if stage != "waiting":
        available(engine, "a2")
    engine.consult(contact_id="c1", agent_id="a1", queue="general", to_agent=None, context={})
    if stage in ("connecting", "talking"):
        engine.accept(contact_id="c1", agent_id="a2")
    if stage == "talking":
        engine.joined(contact_id="c1", agent_id="a2")

    assert engine.consult_end(contact_id="c1", agent_id="a1", outcome="cancel") == "assigned"
    record = engine.contact("c1")
    assert (record["state"], record["agent"], record["answered_at"]) == ("assigned", "a1", answered_at)
    assert waiting(engine) == []
    assert agent(engine, "a1")["state"] == "busy"
    if stage != "waiting":
        assert agent(engine, "a2")["state"] == "available" and agent(engine, "a2").get("contact", "") == ""
    engine.hold(contact_id="c1", agent_id="a1", on=True)  # the call is the agent's again


def test_the_caller_hanging_up_during_a_warm_transfer_sends_both_agents_to_wrap_up(engine: RoutingEngine) -> None:
    on_a_call(engine)
    available(engine, "a2")
    engine.consult(contact_id="c1", agent_id="a1", queue=None, to_agent="a2", context={})
    answer(engine, contact_id="c1", agent_id="a2")
    assert engine.finish(contact_id="c1", reason="call_completed") == "ended"
    assert agent(engine, "a1")["state"] == "wrap_up"
    assert agent(engine, "a2")["state"] == "wrap_up"
