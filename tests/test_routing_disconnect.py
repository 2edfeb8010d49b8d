"""When an agent's last console closes, the offers it holds go back to the queue with their place."""

from __future__ import annotations

from tests.routing import Routing


def console(routing: Routing, agent: str, socket: str, event: str, ttl_ms: int = 35_000) -> int:
    return routing.engine.console_presence(agent_id=agent, socket_id=socket, event=event, ttl_ms=ttl_ms)


def test_closing_the_only_console_returns_the_offer_to_the_next_agent_with_its_place(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    routing.enqueue("c1")
    score = routing.engine.contact("c1")["score"]
    routing.available("a2")
    assert console(routing, "a1", "tab-1", "closed") == 1
    assert routing.holder("c1") == "a2" and routing.engine.contact("c1")["score"] == score
    [returned] = routing.events("offer.returned")
    assert returned["reason"] == "agent_disconnected" and returned["agent"] == "a1"
    assert routing.agent("a1")["state"] == "available"  # not-ready after a silent grace period is the heartbeat's job


def test_a_contact_given_back_on_disconnect_waits_rather_than_ringing_the_same_agent_again(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    routing.enqueue("c1")
    console(routing, "a1", "tab-1", "closed")
    assert routing.state("c1") == "waiting" and routing.waiting() == ["c1"]


def test_another_open_console_keeps_the_offer(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    console(routing, "a1", "tab-2", "open")
    routing.enqueue("c1")
    assert console(routing, "a1", "tab-1", "closed") == 0
    assert routing.holder("c1") == "a1"
    assert console(routing, "a1", "tab-2", "closed") == 1


def test_a_console_that_stopped_pinging_does_not_count_as_open(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "crashed-process", "open", ttl_ms=1_000)
    console(routing, "a1", "tab-2", "open")
    routing.enqueue("c1")
    routing.clock.advance(2)
    console(routing, "a1", "tab-2", "seen")
    assert console(routing, "a1", "tab-2", "closed") == 1


def test_chat_offers_go_back_and_accepted_chats_stay(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    routing.enqueue("chat1", channel="chat")
    routing.engine.accept(contact_id="chat1", agent_id="a1")
    routing.enqueue("chat2", channel="chat")
    assert console(routing, "a1", "tab-1", "closed") == 1
    assert routing.state("chat1") == "assigned" and routing.state("chat2") == "waiting"
