"""Channel capacity: one voice call, up to N chats (default 3), and whether a call blocks chats."""

from __future__ import annotations

import pytest

from queues.engine import RoutingConfig, RoutingEngine
from tests.routing import Routing
from tests.routing_steps import answer


def chat(routing: Routing, contact: str, queue: str = "general") -> str:
    return routing.enqueue(contact, queue=queue, channel="chat")


def test_an_agent_takes_up_to_three_chats_at_once_by_default(routing: Routing) -> None:
    routing.available("a1")
    for n in range(1, 5):
        chat(routing, f"chat{n}")
    assert routing.chats("a1") == {"chat1", "chat2", "chat3"}
    assert routing.state("chat4") == "waiting" and routing.waiting(channel="chat") == ["chat4"]
    assert routing.agent("a1")["state"] == "available"  # chats do not reserve the agent's phone


def test_the_agents_own_chat_capacity_wins_over_the_default(routing: Routing) -> None:
    routing.available("a1", chat_capacity=1)
    chat(routing, "chat1")
    chat(routing, "chat2")
    assert routing.chats("a1") == {"chat1"}


def test_an_agent_with_no_chat_capacity_takes_calls_only(routing: Routing) -> None:
    routing.available("voice-only", chat_capacity=0)
    chat(routing, "chat1")
    assert routing.state("chat1") == "waiting"
    routing.enqueue("call1")
    assert routing.holder("call1") == "voice-only"


def test_chats_go_to_the_least_loaded_agent_first(routing: Routing) -> None:
    routing.available("a1")
    routing.available("a2")
    for n in range(1, 5):
        chat(routing, f"chat{n}")
    assert len(routing.chats("a1")) == 2 and len(routing.chats("a2")) == 2


def test_a_chatting_agent_still_gets_a_call_and_the_call_then_blocks_new_chats(routing: Routing) -> None:
    routing.available("a1")
    chat(routing, "chat1")
    routing.enqueue("call1")
    assert routing.holder("call1") == "a1" and routing.agent("a1")["state"] == "reserved"
    chat(routing, "chat2")
    assert routing.state("chat2") == "waiting"
    answer(routing.engine, contact_id="call1", agent_id="a1")
    routing.engine.finish(contact_id="call1", reason="ended")
    assert routing.state("chat2") == "waiting"  # still wrapping up the call
    routing.engine.end_wrap_up(agent_id="a1")
    assert routing.holder("chat2") == "a1"


def test_when_calls_do_not_block_chats_an_agent_on_a_call_keeps_getting_chats(
    routing: Routing, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = RoutingEngine(routing.engine.redis, RoutingConfig(voice_blocks_chat=False))
    blended = Routing(engine, routing.clock)
    blended.available("a1")
    blended.enqueue("call1")
    answer(engine, contact_id="call1", agent_id="a1")
    chat(blended, "chat1")
    assert blended.holder("chat1") == "a1" and blended.agent("a1")["state"] == "busy"


def test_accepting_a_chat_leaves_the_agent_free_for_calls_and_more_chats(routing: Routing) -> None:
    routing.available("a1")
    chat(routing, "chat1")
    answer(routing.engine, contact_id="chat1", agent_id="a1")
    assert routing.state("chat1") == "assigned" and routing.agent("a1")["state"] == "available"
    chat(routing, "chat2")
    assert routing.holder("chat2") == "a1"


def test_an_ended_chat_holds_its_slot_through_wrap_up_then_frees_it(routing: Routing) -> None:
    routing.queue("general", wrapup_ms=20_000)
    routing.available("a1", chat_capacity=1)
    chat(routing, "chat1")
    answer(routing.engine, contact_id="chat1", agent_id="a1")
    chat(routing, "chat2")
    routing.engine.finish(contact_id="chat1", reason="ended")
    routing.later(19)
    assert routing.state("chat2") == "waiting"
    routing.later(2)
    assert routing.holder("chat2") == "a1"
    assert [e["contact"] for e in routing.events("contact.wrapped_up")] == ["chat1"]


def test_the_agent_may_close_a_chats_wrap_up_early(routing: Routing) -> None:
    routing.available("a1", chat_capacity=1)
    chat(routing, "chat1")
    answer(routing.engine, contact_id="chat1", agent_id="a1")
    chat(routing, "chat2")
    routing.engine.finish(contact_id="chat1", reason="ended")
    routing.engine.end_wrap_up(agent_id="a1", contact_id="chat1")
    assert routing.holder("chat2") == "a1"


def test_a_rejected_chat_goes_to_the_next_agent_with_its_place(routing: Routing) -> None:
    chat(routing, "chat1")
    routing.available("a1")
    routing.available("a2")
    routing.engine.reject(contact_id="chat1", agent_id="a1")
    assert routing.holder("chat1") == "a2" and routing.chats("a1") == set()


def test_two_missed_chat_offers_in_a_row_put_an_idle_agent_in_not_ready(routing: Routing) -> None:
    routing.queue("general", offer_timeout_ms=10_000)
    routing.available("a1")
    chat(routing, "chat1")
    routing.later(11)
    routing.later(5)  # the skip ran out: offered again to the only agent
    assert routing.holder("chat1") == "a1"
    routing.later(11)
    assert routing.agent("a1")["state"] == "not_ready" and routing.agent("a1")["reason"] == "missed"
    assert routing.state("chat1") == "waiting"


def test_missing_chats_during_a_call_stops_chats_and_ends_in_not_ready_after_the_call(routing: Routing) -> None:
    engine = RoutingEngine(routing.engine.redis, RoutingConfig(voice_blocks_chat=False, offer_timeout_ms=10_000))
    blended = Routing(engine, routing.clock)
    blended.available("a1")
    blended.enqueue("call1")
    answer(engine, contact_id="call1", agent_id="a1")
    chat(blended, "chat1")
    chat(blended, "chat2")
    blended.later(11)  # both chat offers time out: two missed in a row
    assert blended.agent("a1")["state"] == "busy"
    assert blended.state("chat1") == "waiting" and blended.state("chat2") == "waiting"
    blended.later(6)
    assert blended.state("chat1") == "waiting"  # no more chats while the call goes on
    engine.finish(contact_id="call1", reason="ended")
    engine.end_wrap_up(agent_id="a1")
    assert blended.agent("a1")["state"] == "not_ready" and blended.agent("a1")["reason"] == "missed"


def test_going_not_ready_gives_back_chat_offers_but_keeps_accepted_chats(routing: Routing) -> None:
    routing.available("a1")
    chat(routing, "chat1")
    answer(routing.engine, contact_id="chat1", agent_id="a1")
    chat(routing, "chat2")
    routing.engine.set_agent_state(agent_id="a1", state="not_ready", queues=["general"], reason="break")
    assert routing.state("chat1") == "assigned" and routing.state("chat2") == "waiting"
    assert routing.chats("a1") == {"chat1"}
    [returned] = routing.events("offer.returned")
    assert returned["contact"] == "chat2" and returned["reason"] == "agent_not_ready"


def test_a_waiting_chat_and_a_waiting_call_do_not_share_a_line(routing: Routing) -> None:
    routing.enqueue("call1")
    chat(routing, "chat1")
    assert routing.waiting() == ["call1"] and routing.waiting(channel="chat") == ["chat1"]
    stats = routing.engine.queue_stats(queue="general")
    assert stats["waiting"] == 2 and stats["waiting_by_channel"] == {"voice": 1, "chat": 1}
    assert routing.engine.wait_estimate(contact_id="chat1")["position"] == 1  # type: ignore[index]


def test_a_chat_transferred_to_a_queue_frees_the_agents_slot(routing: Routing) -> None:
    routing.available("a1", chat_capacity=1)
    chat(routing, "chat1")
    answer(routing.engine, contact_id="chat1", agent_id="a1")
    chat(routing, "chat2")
    routing.engine.transfer(contact_id="chat1", agent_id="a1", queue="billing")
    assert routing.state("chat1") == "waiting" and routing.holder("chat2") == "a1"


def test_a_snapshot_lists_the_agents_chats(routing: Routing) -> None:
    routing.available("a1")
    chat(routing, "chat1")
    chat(routing, "chat2")
    snapshot = routing.engine.snapshot(agent_id="a1")
    assert sorted(c["id"] for c in snapshot.chats) == ["chat1", "chat2"]


def test_an_unknown_channel_or_capacity_is_refused(routing: Routing) -> None:
    with pytest.raises(ValueError, match="channel"):
        routing.engine.enqueue(contact_id="x", queue="general", info={}, channel="fax")
    with pytest.raises(ValueError, match="chat capacity"):
        routing.available("a1", chat_capacity=-1)
