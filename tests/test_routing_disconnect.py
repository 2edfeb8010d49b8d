"""Presence: an agent whose last console goes gets no new offers at once, keeps its state and any offer
it holds through a grace period (30 s here), and goes not-ready "disconnected" only when that runs out."""

from __future__ import annotations

from queues.engine import RoutingConfig, RoutingEngine
from queues.keys import PREFIX as P
from tests.routing import Routing
from tests.routing_steps import answer


def console(routing: Routing, agent: str, socket: str, event: str, ttl_ms: int = 35_000) -> str:
    return routing.engine.console_presence(agent_id=agent, socket_id=socket, event=event, ttl_ms=ttl_ms)


def states(routing: Routing, agent: str) -> list[tuple[str, str]]:
    return [(e["state"], e["reason"]) for e in routing.events("agent.state") if e["agent"] == agent]


def in_idle_line(routing: Routing, agent: str, queue: str = "general") -> bool:
    return routing.engine.redis.zscore(P + "idle:" + queue, agent) is not None


def test_an_offer_held_when_the_last_console_closes_rings_on_until_its_deadline(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    routing.enqueue("c1")
    score = routing.engine.contact("c1")["score"]
    routing.available("a2")

    assert console(routing, "a1", "tab-1", "closed") == "away"
    routing.later(14)
    assert routing.holder("c1") == "a1" and routing.state("c1") == "offered"
    assert routing.events("offer.returned") == []

    routing.later(2)  # the 15 s lease ran out: back with its place, to the agent who is there
    [returned] = routing.events("offer.returned")
    assert returned["reason"] == "agent_disconnected" and returned["agent"] == "a1"
    assert routing.holder("c1") == "a2" and routing.engine.contact("c1")["score"] == score


def test_a_console_back_within_the_lease_can_still_accept_the_offer(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    routing.enqueue("c1")
    console(routing, "a1", "tab-1", "closed")
    routing.later(5)

    assert console(routing, "a1", "tab-2", "open") == "back"
    answer(routing.engine, contact_id="c1", agent_id="a1")
    assert routing.state("c1") == "assigned" and routing.agent("a1")["state"] == "busy"


def test_an_agent_without_a_console_gets_no_new_offers_until_one_comes_back(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    console(routing, "a1", "tab-1", "closed")
    assert not in_idle_line(routing, "a1")

    routing.enqueue("c1")
    assert routing.state("c1") == "waiting"
    routing.later(10)
    assert routing.state("c1") == "waiting"

    console(routing, "a1", "tab-1", "open")
    assert routing.holder("c1") == "a1"


def test_back_within_the_grace_period_the_agent_is_exactly_as_before(routing: Routing) -> None:
    routing.available("a1")
    routing.available("a2")  # a1 has waited longer: first in the idle line
    console(routing, "a1", "tab-1", "open")
    since = routing.agent("a1")["since"]
    before = states(routing, "a1")

    console(routing, "a1", "tab-1", "closed")
    routing.later(29)
    console(routing, "a1", "tab-1", "open")

    assert routing.agent("a1")["state"] == "available" and routing.agent("a1")["since"] == since
    assert states(routing, "a1") == before  # no agent.state at all: only presence changed
    gone, back = routing.events("agent.presence")
    assert gone["agent"] == "a1" and gone["connected"] is False and gone["grace_until"] == gone["at"] + 30_000
    assert back["connected"] is True and back["within_grace"] is True
    assert (back["state"], back["reason"]) == ("available", "")
    routing.enqueue("c1")
    assert routing.holder("c1") == "a1"  # its place in the idle line was kept
    routing.later(60)
    assert ("not_ready", "disconnected") not in states(routing, "a1")  # the grace timer was cancelled


def test_an_agent_on_a_break_stays_on_its_break(routing: Routing) -> None:
    routing.engine.set_agent_state(agent_id="a1", state="not_ready", reason="break", queues=["general"])
    console(routing, "a1", "tab-1", "open")
    console(routing, "a1", "tab-1", "closed")
    routing.later(10)
    console(routing, "a1", "tab-1", "open")
    routing.later(60)
    assert (routing.agent("a1")["state"], routing.agent("a1")["reason"]) == ("not_ready", "break")
    assert states(routing, "a1") == [("not_ready", "break")]


def test_after_the_grace_period_the_agent_is_not_ready_disconnected_and_stays_so_when_back(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    console(routing, "a1", "tab-1", "closed")
    routing.later(29.9)
    assert routing.agent("a1")["state"] == "available"

    routing.later(0.2)
    [event] = [e for e in routing.events("agent.state") if e["reason"] == "disconnected"]
    assert (event["agent"], event["state"]) == ("a1", "not_ready")
    assert (event["previous_state"], event["previous_reason"]) == ("available", "")

    assert console(routing, "a1", "tab-1", "open") == "back"
    assert (routing.agent("a1")["state"], routing.agent("a1")["reason"]) == ("not_ready", "disconnected")
    assert routing.events("agent.presence")[-1]["within_grace"] is False
    routing.enqueue("c1")
    assert routing.state("c1") == "waiting"
    snapshot = routing.engine.snapshot(agent_id="a1")
    assert (snapshot.agent["prev_state"], snapshot.agent["prev_reason"]) == ("available", "")


def test_an_offer_still_held_when_the_grace_ends_goes_back_then(routing: Routing) -> None:
    routing.queue("general", offer_timeout_ms=60_000)
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    routing.enqueue("c1")
    console(routing, "a1", "tab-1", "closed")
    routing.later(31)
    [returned] = routing.events("offer.returned")
    assert returned["reason"] == "agent_disconnected" and routing.state("c1") == "waiting"
    event = routing.events("agent.state")[-1]
    assert (event["state"], event["reason"], event["previous_state"]) == ("not_ready", "disconnected", "available")


def on_a_call_when_the_grace_ends(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    routing.enqueue("c1")
    answer(routing.engine, contact_id="c1", agent_id="a1")
    console(routing, "a1", "tab-1", "closed")
    routing.later(31)


def test_a_call_in_progress_goes_on_and_not_ready_follows_its_end(routing: Routing) -> None:
    on_a_call_when_the_grace_ends(routing)
    assert routing.agent("a1")["state"] == "busy" and routing.state("c1") == "assigned"

    routing.engine.finish(contact_id="c1", reason="completed")
    assert routing.agent("a1")["state"] == "wrap_up"
    routing.later(31)  # wrap-up over: not-ready rather than available
    assert (routing.agent("a1")["state"], routing.agent("a1")["reason"]) == ("not_ready", "disconnected")
    assert routing.events("agent.state")[-1]["previous_state"] == "available"


def test_back_after_the_grace_during_a_call_the_agent_chooses_after_it(routing: Routing) -> None:
    on_a_call_when_the_grace_ends(routing)
    console(routing, "a1", "tab-1", "open")
    routing.engine.finish(contact_id="c1", reason="completed")
    routing.later(31)
    assert routing.agent("a1")["state"] == "available"


def test_a_console_of_a_crashed_process_lapses_and_the_reaper_notices(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "crashed-process", "open", ttl_ms=1_000)
    routing.later(0.5)
    assert routing.events("agent.presence") == []

    routing.later(1)
    [gone] = routing.events("agent.presence")
    assert gone["connected"] is False and not in_idle_line(routing, "a1")
    routing.later(30)
    assert (routing.agent("a1")["state"], routing.agent("a1")["reason"]) == ("not_ready", "disconnected")


def test_another_open_console_keeps_the_agent_present(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    console(routing, "a1", "tab-2", "open")
    assert console(routing, "a1", "tab-1", "closed") == "present"
    routing.later(31)  # past the grace period (tab-2's heartbeat lasts 35 s)
    assert routing.agent("a1")["state"] == "available" and in_idle_line(routing, "a1")
    assert routing.events("agent.presence") == []


def test_a_console_heard_from_again_keeps_its_entry_alive(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open", ttl_ms=1_000)
    for _ in range(5):
        routing.later(0.8)
        console(routing, "a1", "tab-1", "seen", ttl_ms=1_000)
    assert routing.events("agent.presence") == []


def test_a_process_renews_all_the_consoles_it_heard_from_in_one_call(routing: Routing) -> None:
    for agent in ("a1", "a2", "a3"):
        routing.available(agent)
        console(routing, agent, f"{agent}-tab", "open", ttl_ms=1_000)
    for _ in range(5):
        routing.later(0.8)
        heard = [("a1", "a1-tab"), ("a2", "a2-tab")]
        assert routing.engine.consoles_seen(consoles=heard, ttl_ms=1_000) == []
    # a1 and a2 were kept; a3, not heard from, went away
    assert [(e["agent"], e["connected"]) for e in routing.events("agent.presence")] == [("a3", False)]
    assert in_idle_line(routing, "a1") and in_idle_line(routing, "a2") and not in_idle_line(routing, "a3")
    away = routing.engine.consoles_seen(consoles=[("a3", "a3-tab"), ("a1", "a1-tab")], ttl_ms=1_000)
    assert away == [("a3", "a3-tab")]  # heard again: it comes back through console_presence, as one alone does
    assert console(routing, "a3", "a3-tab", "seen", ttl_ms=1_000) == "back" and in_idle_line(routing, "a3")
    assert routing.engine.consoles_seen(consoles=[], ttl_ms=1_000) == []


def test_a_lease_that_runs_out_while_away_is_not_a_missed_offer(routing: Routing) -> None:
    routing.available("a1")  # missed_limit 2: one more timeout would make a1 not ready ("missed")
    console(routing, "a1", "tab-1", "open")
    routing.enqueue("c1")
    routing.later(16)  # a1 let it ring out: one missed offer
    assert routing.agent("a1")["missed"] == "1"
    routing.later(6)  # the skip lapsed: c1 rings a1 again
    assert routing.holder("c1") == "a1"

    console(routing, "a1", "tab-1", "closed")
    routing.later(16)
    assert routing.events("offer.returned")[-1]["reason"] == "agent_disconnected"
    assert routing.agent("a1")["missed"] == "1" and routing.agent("a1")["state"] == "available"
    routing.later(15)
    assert [r for _s, r in states(routing, "a1") if r in ("missed", "disconnected")] == ["disconnected"]


def test_chats_offered_ring_on_and_accepted_chats_stay(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    routing.enqueue("chat1", channel="chat")
    answer(routing.engine, contact_id="chat1", agent_id="a1")
    routing.enqueue("chat2", channel="chat")
    console(routing, "a1", "tab-1", "closed")
    routing.enqueue("chat3", channel="chat")
    assert routing.holder("chat2") == "a1" and routing.state("chat3") == "waiting"

    routing.later(16)
    assert routing.state("chat1") == "assigned" and routing.state("chat2") == "waiting"
    assert routing.chats("a1") == {"chat1"}


def test_a_logged_out_agent_has_no_presence_to_keep(routing: Routing) -> None:
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    console(routing, "a1", "tab-1", "closed")
    routing.engine.set_agent_state(agent_id="a1", state="offline", queues=["general"])
    routing.later(60)
    assert routing.agent("a1")["state"] == "offline"

    routing.available("a1")  # through the HTTP API, before any console: routed as always
    routing.enqueue("c1")
    assert routing.holder("c1") == "a1"
    assert console(routing, "a2", "tab-1", "closed") == "gone"  # never logged in: nothing happens


def test_processes_reaping_at_once_apply_the_grace_once(routing: Routing) -> None:
    other_process = RoutingEngine(routing.engine.redis, RoutingConfig(offer_timeout_ms=15_000))
    routing.available("a1")
    console(routing, "a1", "tab-1", "open")
    console(routing, "a1", "tab-1", "closed")
    routing.clock.advance(31)
    routing.engine.reap()
    other_process.reap()
    assert states(routing, "a1").count(("not_ready", "disconnected")) == 1


def test_a_transfer_straight_to_an_agent_without_a_console_is_refused(routing: Routing) -> None:
    routing.available("a1")
    routing.enqueue("c1")
    answer(routing.engine, contact_id="c1", agent_id="a1")
    routing.available("a2")
    console(routing, "a2", "tab-1", "open")
    console(routing, "a2", "tab-1", "closed")
    try:
        routing.engine.transfer(contact_id="c1", agent_id="a1", to_agent="a2")
    except Exception as exc:  # RoutingError
        assert getattr(exc, "code", None) == "agent_unavailable"
    else:
        raise AssertionError("the transfer went to an agent without a console")
