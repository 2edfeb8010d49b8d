"""Priority from the customer's grade, escalations and callbacks, with aging so nobody starves;
and cross-queue weights for agents who serve several queues."""

from __future__ import annotations

from tests.routing import Routing


def test_a_higher_priority_goes_first_and_equal_priorities_are_first_come_first_served(routing: Routing) -> None:
    for contact, priority in (("early", 0), ("key-account", 5), ("later", 0), ("escalated", 7)):
        routing.enqueue(contact, priority=priority)
    assert routing.waiting() == ["escalated", "key-account", "early", "later"]


def test_aging_lets_a_long_wait_overtake_a_higher_priority(routing: Routing) -> None:
    """One priority level is worth 120 s of waiting by default: a caller who has waited more
    than 5 x 120 s is ahead of a key account (priority 5) who just rang."""
    routing.enqueue("patient", priority=0)
    routing.clock.advance(599)
    routing.enqueue("key-account-1", priority=5)
    routing.clock.advance(2)
    routing.enqueue("key-account-2", priority=5)
    assert routing.waiting() == ["key-account-1", "patient", "key-account-2"]


def test_the_aging_rate_is_a_queue_setting(routing: Routing) -> None:
    routing.queue("general", priority_step_ms=10_000)
    routing.enqueue("patient", priority=0)
    routing.clock.advance(31)
    routing.enqueue("vip", priority=3)
    assert routing.waiting() == ["patient", "vip"]


def test_a_very_long_aging_step_keeps_priority_strict(routing: Routing) -> None:
    routing.queue("general", priority_step_ms=86_400_000)
    routing.enqueue("patient", priority=0)
    routing.clock.advance(3 * 3600)
    routing.enqueue("vip", priority=1)
    assert routing.waiting() == ["vip", "patient"]


def test_a_free_agent_of_two_queues_takes_the_longer_wait_when_weights_are_equal(routing: Routing) -> None:
    routing.enqueue("repair-caller", queue="repair")
    routing.clock.advance(30)
    routing.enqueue("general-caller", queue="general")
    routing.clock.advance(10)
    routing.available("a1", "general", "repair")
    assert routing.holder("repair-caller") == "a1"


def test_a_queue_weight_multiplies_its_callers_waiting_time_for_agents_of_several_queues(routing: Routing) -> None:
    """Complaints weigh 3: its caller who waited 15 s beats a general caller who waited 40 s."""
    routing.queue("complaints", weight=3)
    routing.enqueue("general-caller", queue="general")
    routing.clock.advance(25)
    routing.enqueue("complaint", queue="complaints")
    routing.clock.advance(15)
    routing.available("a1", "general", "complaints")
    assert routing.holder("complaint") == "a1"
    decision = routing.engine.explain(contact_id="complaint")[-1]
    assert "queue weight" in decision["rule"]


def test_a_supervisor_raising_priority_moves_the_contact_ahead_but_keeps_its_arrival_time(routing: Routing) -> None:
    routing.enqueue("first", priority=2)
    routing.enqueue("second", priority=0)
    routing.enqueue("third", priority=0)
    arrived = routing.engine.contact("third")["enqueued_at"]
    routing.engine.requeue(contact_id="third", priority=4)
    assert routing.waiting() == ["third", "first", "second"]
    routing.engine.requeue(contact_id="third", priority=0)
    assert routing.waiting() == ["first", "second", "third"]
    assert routing.engine.contact("third")["enqueued_at"] == arrived
