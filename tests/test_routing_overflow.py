"""Overflow steps: after a while in its queue a contact may go to agents with lower skill levels,
to the agents of extra queues, and finally to any agent (like TaskRouter workflow timeouts)."""

from __future__ import annotations

from tests.routing import Routing
from tests.routing_steps import answer

STEPS = [
    {"after_ms": 30_000, "lower_levels_by": 2},
    {"after_ms": 60_000, "queues": ["general"]},
    {"after_ms": 120_000, "any_agent": True},
]


def test_before_any_step_only_agents_with_the_full_skill_levels_of_its_queue_qualify(routing: Routing) -> None:
    routing.queue("repair", skills={"repair": 4}, overflow=STEPS)
    routing.available("junior", "repair", skills={"repair": 2})
    routing.enqueue("c1", queue="repair")
    routing.later(29)
    assert routing.state("c1") == "waiting"
    assert routing.events("contact.overflowed") == [] and routing.engine.explain(contact_id="c1") == []


def test_lowering_levels_lets_a_less_skilled_agent_of_the_queue_take_it(routing: Routing) -> None:
    routing.queue("repair", skills={"repair": 4}, overflow=STEPS)
    routing.available("junior", "repair", skills={"repair": 2})
    routing.enqueue("c1", queue="repair")
    routing.later(31)
    assert routing.holder("c1") == "junior"
    [step] = routing.events("contact.overflowed")
    assert step["step"] == 1 and step["lower_levels_by"] == 2
    decision = routing.engine.explain(contact_id="c1")[-1]
    assert decision["relaxed_by"] == 2 and "queue repair" in decision["rule"]


def test_a_lowered_level_never_drops_the_skill_itself(routing: Routing) -> None:
    routing.queue("repair", skills={"repair": 2}, overflow=[{"after_ms": 1000, "lower_levels_by": 4}])
    routing.available("no-repair", "repair")
    routing.enqueue("c1", queue="repair")
    routing.later(2)
    assert routing.state("c1") == "waiting"


def test_an_extra_queue_step_lets_that_queues_agents_take_it(routing: Routing) -> None:
    routing.queue("repair", skills={"repair": 4}, overflow=STEPS)
    routing.available("generalist", "general")
    routing.enqueue("c1", queue="repair")
    routing.later(31)
    assert routing.state("c1") == "waiting"
    routing.later(30)
    assert routing.holder("c1") == "generalist"
    assert "overflow queue general" in routing.engine.explain(contact_id="c1")[-1]["rule"]


def test_an_agent_of_the_extra_queue_who_becomes_free_later_takes_the_overflowed_contact(routing: Routing) -> None:
    routing.queue("repair", skills={"repair": 4}, overflow=STEPS)
    routing.enqueue("c1", queue="repair")
    routing.later(61)
    [step] = routing.events("contact.overflowed")  # two steps due at once are taken together
    assert step["step"] == 2 and step["queues"] == ["general"] and step["lower_levels_by"] == 2
    routing.available("generalist", "general")
    assert routing.holder("c1") == "generalist"


def test_the_any_agent_step_reaches_agents_of_unrelated_queues(routing: Routing) -> None:
    routing.queue("repair", skills={"repair": 4}, overflow=STEPS)
    routing.available("billing-agent", "billing")
    routing.enqueue("c1", queue="repair")
    routing.later(31)
    routing.later(30)
    assert routing.state("c1") == "waiting"
    routing.later(60)
    assert routing.holder("c1") == "billing-agent"
    assert [e["step"] for e in routing.events("contact.overflowed")] == [1, 2, 3]


def test_the_contacts_own_needs_still_apply_after_overflow(routing: Routing) -> None:
    """A caller who needs English keeps needing it when the match widens to other queues."""
    routing.queue("repair", skills={"repair": 4}, overflow=[{"after_ms": 1000, "queues": ["general"]}])
    routing.available("mandarin-only", "general")
    routing.enqueue("c1", queue="repair", skills={"english": 3})
    routing.later(2)
    assert routing.state("c1") == "waiting"
    routing.available("bilingual", "general", skills={"english": 3})
    assert routing.holder("c1") == "bilingual"


def test_agents_of_the_contacts_own_queue_still_come_first(routing: Routing) -> None:
    routing.queue("repair", skills={}, overflow=[{"after_ms": 1000, "queues": ["general"]}])
    routing.enqueue("c1", queue="repair")
    routing.enqueue("c2", queue="repair")
    routing.later(2)
    routing.available("generalist", "general")
    routing.clock.advance(1)
    routing.available("repairer", "repair")
    assert routing.holder("c1") == "generalist" and routing.holder("c2") == "repairer"


def test_a_returned_overflow_offer_keeps_its_place_in_every_line(routing: Routing) -> None:
    routing.queue("repair", skills={"repair": 4}, overflow=[{"after_ms": 1000, "queues": ["general"]}])
    routing.enqueue("c1", queue="repair")
    routing.later(2)
    routing.available("generalist", "general")
    routing.engine.reject(contact_id="c1", agent_id="generalist")
    assert routing.state("c1") == "waiting" and routing.waiting("repair") == ["c1"]
    score = routing.engine.redis.zscore("cc:{rt}:spill:general", "c1")
    assert score == float(routing.engine.contact("c1")["score"])


def test_a_transferred_contact_starts_over_with_the_steps_of_its_new_queue(routing: Routing) -> None:
    routing.queue("repair", skills={"repair": 4}, overflow=[{"after_ms": 1000, "queues": ["general"]}])
    routing.available("a1", "general")
    routing.enqueue("c1", queue="general")
    answer(routing.engine, contact_id="c1", agent_id="a1")
    routing.engine.transfer(contact_id="c1", agent_id="a1", queue="repair")
    record = routing.engine.contact("c1")
    assert record["needs"] == '{"repair":4}' and record["step"] == "0" and record["spill"] == ""
    routing.engine.end_wrap_up(agent_id="a1", state="available")
    assert routing.state("c1") == "waiting"
    routing.later(1.5)
    [step] = routing.events("contact.overflowed")
    assert step["queues"] == ["general"]
    assert routing.state("c1") == "waiting"  # not straight back to the agent who handed it on
    routing.later(4)
    assert routing.holder("c1") == "a1"


def test_overflow_settings_are_checked_by_the_queue_settings_api() -> None:
    from pydantic import ValidationError

    from queues.config import QueueSettings

    good = QueueSettings.model_validate({"overflow": [{"after_seconds": 30, "lower_levels_by": 1}]})
    assert good.overflow and good.overflow[0].lower_levels_by == 1
    for bad in (
        [{"after_seconds": 30}],  # widens nothing
        [{"after_seconds": 60, "any_agent": True}, {"after_seconds": 30, "lower_levels_by": 1}],  # out of order
        [{"after_seconds": 0, "any_agent": True}],
        [{"after_seconds": 30, "lower_levels_by": 9}],
        [{"after_seconds": 30, "any_agent": True, "colour": "red"}],
    ):
        try:
            QueueSettings.model_validate({"overflow": bad})
        except ValidationError:
            continue
        raise AssertionError(f"accepted {bad}")
