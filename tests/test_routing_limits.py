"""A queue's maximum length and maximum wait."""

from __future__ import annotations

from tests.routing import Routing
from tests.routing_steps import answer


def test_a_full_queue_refuses_a_new_contact_without_keeping_any_trace_of_it(routing: Routing) -> None:
    routing.queue("general", max_length=2)
    assert routing.enqueue("c1") == "waiting"
    assert routing.enqueue("c2") == "waiting"
    assert routing.enqueue("c3") == "full"
    assert routing.waiting() == ["c1", "c2"]
    assert routing.engine.contact("c3") == {}
    [refused] = routing.events("contact.refused")
    assert refused["contact"] == "c3" and refused["reason"] == "queue_full"


def test_a_full_queue_takes_contacts_again_once_one_leaves(routing: Routing) -> None:
    routing.queue("general", max_length=1)
    routing.enqueue("c1")
    assert routing.enqueue("c2") == "full"
    routing.engine.finish(contact_id="c1", reason="abandoned")
    assert routing.enqueue("c2") == "waiting"


def test_the_maximum_length_counts_waiting_contacts_only(routing: Routing) -> None:
    routing.queue("general", max_length=1)
    routing.available("a1")
    assert routing.enqueue("c1") == "offered"
    assert routing.enqueue("c2") == "waiting"


def test_a_contact_still_waiting_at_the_maximum_wait_leaves_the_queue_and_is_counted(routing: Routing) -> None:
    routing.queue("general", max_wait_ms=60_000)
    routing.enqueue("c1")
    assert routing.later(59) == []
    assert routing.state("c1") == "waiting"
    assert routing.later(2) == ["c1"]  # the web process that reaped it sends the caller off
    assert routing.state("c1") == "timed_out"
    assert routing.waiting() == []
    [event] = routing.events("contact.timed_out")
    assert event["contact"] == "c1" and event["waited_ms"] >= 60_000
    stats = routing.engine.queue_stats(queue="general")
    assert stats["timed_out"] == 1 and stats["service_level_percent"] == 0.0
    # The caller then leaves the call: nothing more to count.
    assert routing.engine.finish(contact_id="c1", reason="abandoned") == "timed_out"
    assert routing.engine.queue_stats(queue="general")["abandoned"] == 0


def test_a_contact_being_offered_at_its_maximum_wait_is_not_taken_away_from_the_agent(routing: Routing) -> None:
    routing.queue("general", max_wait_ms=60_000, offer_timeout_ms=20_000)
    routing.enqueue("c1")
    routing.later(50)
    routing.available("a1")
    routing.later(11)
    assert routing.state("c1") == "offered"
    answer(routing.engine, contact_id="c1", agent_id="a1")
    routing.later(30)
    assert routing.state("c1") == "assigned"


def test_the_maximum_wait_counts_again_after_a_returned_offer(routing: Routing) -> None:
    routing.queue("general", max_wait_ms=60_000, offer_timeout_ms=20_000)
    routing.enqueue("c1")
    routing.later(50)
    routing.available("a1")
    routing.engine.reject(contact_id="c1", agent_id="a1")
    routing.engine.set_agent_state(agent_id="a1", state="not_ready", queues=["general"], reason="break")
    routing.later(11)
    assert routing.state("c1") == "timed_out"


def test_an_offer_that_runs_out_past_the_maximum_wait_ends_the_wait_at_the_same_reap(routing: Routing) -> None:
    routing.queue("general", max_wait_ms=60_000, offer_timeout_ms=20_000)
    routing.enqueue("c1")
    routing.later(50)
    routing.available("a1")  # offered at 50 s, until 70 s
    routing.later(11)
    assert routing.state("c1") == "offered"  # past its maximum wait, but the agent may still answer
    assert routing.later(9) == ["c1"]  # the reap at 70 s returns the offer and ends the wait
    assert routing.state("c1") == "timed_out"
