"""The reaper says whose wrap-up it ended, and for which contact, to the one caller that ended it: that
process files the agent's draft (agents/wrap_up_drafts.py), so two processes reaping never file it twice."""

from __future__ import annotations

import pytest

from queues.engine import RoutingEngine, RoutingError
from tests.routing import Routing
from tests.routing_steps import answer


def handled(routing: Routing, contact: str, agent: str, channel: str = "voice") -> None:
    """The agent takes the contact and it ends: the agent (a call) or the chat is in wrap-up."""
    routing.available(agent)
    routing.engine.enqueue(contact_id=contact, queue="general", info={}, channel=channel)
    assert routing.holder(contact) == agent
    answer(routing.engine, contact_id=contact, agent_id=agent)
    routing.engine.finish(contact_id=contact, reason="ended")


def test_two_processes_reaping_the_same_ended_wrap_ups_hear_of_each_once(routing: Routing) -> None:
    routing.queue("general", wrapup_ms=20_000)
    other_process = RoutingEngine(routing.engine.redis, routing.engine.config)
    handled(routing, "call1", "a1")
    handled(routing, "chat1", "a2", channel="chat")

    routing.clock.advance(19)
    assert routing.engine.reap().wrapped_up == []
    routing.clock.advance(2)
    first, second = routing.engine.reap(), other_process.reap()

    assert sorted(first.wrapped_up) == [("a1", "call1"), ("a2", "chat1")]
    assert second.wrapped_up == []
    assert routing.agent("a1")["state"] == "available" and routing.chats("a2") == set()


def test_a_wrap_up_the_agent_ended_is_not_reported_when_its_time_comes(routing: Routing) -> None:
    routing.queue("general", wrapup_ms=20_000)
    handled(routing, "call1", "a1")
    routing.engine.end_wrap_up(agent_id="a1", voice_contact_id="call1")
    routing.clock.advance(21)
    assert routing.engine.reap().wrapped_up == []


def test_ending_the_wrap_up_of_another_call_than_the_agents_is_refused(routing: Routing) -> None:
    handled(routing, "call1", "a1")
    with pytest.raises(RoutingError) as refused:
        routing.engine.end_wrap_up(agent_id="a1", voice_contact_id="call0")
    assert refused.value.code == "not_in_wrap_up" and routing.agent("a1")["state"] == "wrap_up"
