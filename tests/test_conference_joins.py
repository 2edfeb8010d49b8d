"""Accepting a call rings the agent's phone into the caller's room; a phone that never joins gives the
caller back to the queue at their place, and the agent goes not ready ('missed').

Before calls were conferences, an accepted caller was bridged with <Dial><Client>: if the phone was not
answered within 20 s the caller heard "对不起,系统繁忙,请稍后再拨。" and was hung up, while the console
already showed 通话中 and the contact was recorded as answered. Each case here failed on that code.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from agents.conference import LiveCall
from agents.conference_events import leg_overdue, room_event
from tests.conftest import HOTLINE, StartInProcess, System
from tests.console import AgentConsole
from tests.hotline import wait_until
from tests.inprocess import InProcessSystem
from tests.legs import client_legs, replay_status
from tests.redis_replies import texts
from tests.rooms import joined_labels, rooms_of
from twilio_sandbox import get_call, place_call, wait_for_call

pytestmark = pytest.mark.long  # ~23 s on one test process: started first (tests/conftest.py)

RING_SECONDS = 5  # AGENT_RING_SECONDS: the smallest allowed, so an unanswered phone gives up quickly
HOW = ["not_answered", "declined", "dropped", "failed"]


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[System]:
    with start_in_process({"AGENT_RING_SECONDS": str(RING_SECONDS), "OFFER_TIMEOUT_SECONDS": "30"}) as running:
        yield running


@pytest.fixture
def consoles(system: System) -> Iterator[tuple[AgentConsole, AgentConsole]]:
    first, second = AgentConsole(system, "agent1"), AgentConsole(system, "agent2")
    yield first, second
    for console in (first, second):
        console.post("/api/agent/state", {"state": "offline"})
        console.close()


def device_calls(system: System, identity: str) -> list[dict[str, Any]]:
    return list(httpx.get(f"{system.sandbox_url}/sandbox/clients/{identity}/calls").json())


def make_the_phone_fail(system: System, identity: str, how: str) -> None:
    """The agent's registered phone lets the accepted call's leg ring out, declines it, or hangs up on it."""
    ringing = wait_until(lambda: device_calls(system, identity), timeout=10)[0]
    base = f"{system.sandbox_url}/sandbox/clients/{identity}/calls/{ringing['call_sid']}"
    if how == "declined":
        httpx.post(f"{base}/reject").raise_for_status()
    elif how == "dropped":
        httpx.post(f"{base}/hangup").raise_for_status()


def waiting_order(system: System) -> list[str]:
    return texts(system.redis().zrange("cc:{rt}:waiting:general", 0, -1))


@pytest.mark.parametrize("how", HOW)
def test_a_phone_that_never_joins_gives_the_caller_back_their_place_and_makes_the_agent_not_ready(
    system: System, consoles: tuple[AgentConsole, AgentConsole], how: str
) -> None:
    agent1, agent2 = consoles
    identity = f"agent-{agent1.id}"
    # Numbers of their own: a caller who hung up while waiting keeps their place if they ring again soon.
    first_number, second_number = (f"+86137001370{HOW.index(how)}{n}" for n in (1, 2))
    httpx.post(f"{system.sandbox_url}/sandbox/clients/{identity}/register").raise_for_status()
    try:
        first = place_call(system.sandbox_url, from_=first_number, to=HOTLINE, digits=["1", "1"], hangup_after_queue=60)
        wait_until(lambda: len(waiting_order(system)) == 1, timeout=10)
        second = place_call(
            system.sandbox_url, from_=second_number, to=HOTLINE, digits=["1", "1"], hangup_after_queue=60
        )
        wait_until(lambda: len(waiting_order(system)) == 2, timeout=10)
        order = waiting_order(system)
        if how == "failed":
            httpx.post(f"{system.sandbox_url}/sandbox/faults", json={"client_call_failures": 1}).raise_for_status()

        agent1.go("available")
        offer = agent1.next_event("offer.created")
        assert offer["contact"] == order[0]  # the longest waiting
        assert agent1.accept(offer["contact"]).status_code == 200
        assert agent1.next_event("offer.accepted", contact=offer["contact"])
        if how != "failed":
            make_the_phone_fail(system, identity, how)

        returned = agent1.next_event("offer.returned", contact=offer["contact"], timeout=RING_SECONDS + 10)
        assert returned["reason"].startswith("leg_")
        assert agent1.next_event("agent.state", state="not_ready")["reason"] == "missed"
        assert not [e for e in agent1.seen if e["type"] == "contact.joined"]  # the console never showed "in call"
        assert agent1.http.get("/api/agent/stats").json().get("answered", 0) == 0

        # Back at their place: first in line again, ahead of the caller who came later.
        assert wait_until(lambda: waiting_order(system) == order, timeout=10)
        contact = system.login("supervisor").get(f"/api/tickets/{offer['info']['ticket_id']}").json()["contacts"][0]
        assert contact["status"] == "queued" and contact["answered_at"] is None

        # The caller went from the room back to the queue's wait, never hearing "system busy".
        def back_in_the_queue() -> bool:
            log = get_call(system.sandbox_url, first)["log"]
            return sum(1 for e in log if e["event"] == "enqueue") == 2

        assert wait_until(back_in_the_queue, timeout=10)
        assert not [e for e in get_call(system.sandbox_url, first)["log"] if "系统繁忙" in e.get("text", "")]

        # The next agent takes the same caller, and this time a phone joins.
        agent2.go("available")
        again = agent2.next_event("offer.created")
        assert again["contact"] == offer["contact"]
        assert agent2.accept(again["contact"]).status_code == 200
        agent2.next_event("contact.joined", contact=again["contact"])
        both = [f"agent-{agent2.id}", "caller"]  # the phone may be in a moment before the caller
        assert wait_until(lambda: sorted(joined_labels(rooms_of(system.sandbox_url, again["contact"])[-1])) == both)
        assert agent2.post(f"/api/agent/contacts/{again['contact']}/end").status_code == 200
        agent2.next_event("agent.state", state="wrap_up")
        agent2.post(f"/api/agent/contacts/{again['contact']}/wrap-up", {"next_state": "not_ready", "reason": "break"})
        httpx.post(f"{system.sandbox_url}/sandbox/calls/{second}/hangup", json={"side": "caller"})
        wait_until(lambda: not waiting_order(system), timeout=10)
    finally:
        httpx.delete(f"{system.sandbox_url}/sandbox/clients/{identity}/register")


def test_a_leg_whose_end_twilio_never_reports_is_given_up_by_the_overdue_check(
    system: InProcessSystem, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    """The job accept schedules (agents.jobs.check_join) runs after the ring time: if the call is still
    connecting then — Twilio's report of the leg's end was lost — the caller goes back to the queue."""
    agent1, _ = consoles
    identity = f"agent-{agent1.id}"
    httpx.post(f"{system.sandbox_url}/sandbox/clients/{identity}/register").raise_for_status()
    try:
        call = place_call(system.sandbox_url, from_="+8613700137099", to=HOTLINE, digits=["1", "1"], talk_seconds=1)
        agent1.go("available")
        contact = agent1.next_event("offer.created")["contact"]
        assert agent1.accept(contact).status_code == 200
        wait_until(lambda: device_calls(system, identity), timeout=10)  # ringing, nobody answers yet
        services = system.client.app.state.services  # type: ignore[attr-defined]
        leg_overdue(services, contact_id=int(contact), agent_id=agent1.id + 1)  # someone else's: nothing
        assert services.routing.contact(contact)["state"] == "connecting"

        leg_overdue(services, contact_id=int(contact), agent_id=agent1.id)
        assert agent1.next_event("offer.returned", contact=contact)["reason"] == "leg_lost"
        assert not device_calls(system, identity)  # the ringing leg was ended
        assert wait_until(lambda: services.routing.contact(contact)["state"] == "waiting", timeout=5)
        httpx.post(f"{system.sandbox_url}/sandbox/calls/{call}/hangup", json={"side": "caller"})
    finally:
        httpx.delete(f"{system.sandbox_url}/sandbox/clients/{identity}/register")


def test_a_late_report_of_an_earlier_leg_does_not_fail_the_leg_ringing_now(
    system: System, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    """Twilio may deliver a leg's status callback late, or twice. A leg on its way has no CallSid yet, so
    any end reported for the agent counted as its own: the first leg's failure, delivered again while
    the second leg was being placed, sent the caller back to the queue with the agent's phone ringing."""
    agent1, _ = consoles
    identity = f"agent-{agent1.id}"
    faults = f"{system.sandbox_url}/sandbox/faults"
    earlier = len(client_legs(system, identity))  # this module's other tests rang this phone too
    call = place_call(system.sandbox_url, from_="+8613700137097", to=HOTLINE, digits=["1", "1"], hangup_after_queue=60)
    httpx.post(faults, json={"client_call_failures": 1}).raise_for_status()
    agent1.go("available")
    contact = agent1.next_event("offer.created")["contact"]
    assert agent1.accept(contact).status_code == 200
    agent1.next_event("offer.returned", contact=contact, timeout=RING_SECONDS + 10)
    agent1.next_event("agent.state", state="not_ready")
    # The sandbox may report the failed leg a moment after the app has heard of it.
    assert wait_until(lambda: [leg["status"] for leg in client_legs(system, identity)[earlier:]] == ["failed"])
    (failed,) = client_legs(system, identity)[earlier:]

    httpx.post(faults, json={"slow_participant_answers": 1}).raise_for_status()
    agent1.go("available")
    assert agent1.next_event("offer.created")["contact"] == contact
    with ThreadPoolExecutor(1) as pool:
        accepting = pool.submit(agent1.accept, contact)
        wait_until(lambda: len(client_legs(system, identity)) == earlier + 2, timeout=10)  # placed, not yet answered
        assert replay_status(system, failed, "failed").status_code == 200
        assert accepting.result().status_code == 200

    agent1.next_event("contact.joined", contact=contact)
    assert not [e for e in agent1.seen[-3:] if e["type"] == "offer.returned"]
    assert agent1.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    assert wait_for_call(system.sandbox_url, call, timeout=20)["status"] == "completed"
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "not_ready", "reason": "break"})


def test_an_agent_leg_reports_only_its_end(system: System, consoles: tuple[AgentConsole, AgentConsole]) -> None:
    """Its join comes from the room; initiated, ringing and answered would be three webhooks a call for nothing."""
    agent1, _ = consoles
    earlier = len(client_legs(system, f"agent-{agent1.id}"))
    call = place_call(system.sandbox_url, from_="+8613700137096", to=HOTLINE, digits=["1", "1"], hangup_after_queue=60)
    agent1.go("available")
    contact = agent1.next_event("offer.created")["contact"]
    assert agent1.accept(contact).status_code == 200
    agent1.next_event("contact.joined", contact=contact)
    assert agent1.post(f"/api/agent/contacts/{contact}/end").status_code == 200
    assert wait_for_call(system.sandbox_url, call, timeout=20)["status"] == "completed"
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "not_ready", "reason": "break"})

    (leg,) = client_legs(system, f"agent-{agent1.id}")[earlier:]
    leg = wait_for_call(system.sandbox_url, leg["call_sid"], timeout=10)
    reports = [e.get("callback_event") for e in leg["log"] if e.get("kind") == "status-callback"]
    assert reports == ["completed"]


def test_a_caller_twilio_fails_to_move_keeps_their_place_and_the_agent_goes_not_ready(
    system: System, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    """Twilio answers the accept's redirect of the caller with a 500: the caller was never moved, so they
    wait on at their place (the contact used to be ended, leaving them in the wait loop for ever)."""
    agent1, agent2 = consoles
    identity = f"agent-{agent1.id}"
    httpx.post(f"{system.sandbox_url}/sandbox/clients/{identity}/register").raise_for_status()
    try:
        call = place_call(system.sandbox_url, from_="+8613700137088", to=HOTLINE, digits=["1", "1"], talk_seconds=1)
        wait_until(lambda: len(waiting_order(system)) == 1, timeout=10)
        order = waiting_order(system)
        httpx.post(f"{system.sandbox_url}/sandbox/faults", json={"call_redirect_failures": 1}).raise_for_status()
        agent1.go("available")
        offer = agent1.next_event("offer.created")
        refused = agent1.accept(offer["contact"])
        assert refused.status_code == 502 and "could not be connected" in refused.json()["error"]
        returned = agent1.next_event("offer.returned", contact=offer["contact"])
        assert returned["reason"] == "caller_not_moved"
        assert agent1.next_event("agent.state", state="not_ready")["reason"] == "missed"
        assert wait_until(lambda: waiting_order(system) == order, timeout=10)  # at their place
        log = get_call(system.sandbox_url, call)["log"]
        assert get_call(system.sandbox_url, call)["status"] == "in-progress"
        assert not [e for e in log if e["event"] in ("rest-update", "hangup")]  # still in the queue's wait

        agent2.go("available")  # and the next agent connects them
        again = agent2.next_event("offer.created")
        assert again["contact"] == offer["contact"]
        assert agent2.accept(again["contact"]).status_code == 200
        agent2.next_event("contact.joined", contact=again["contact"])
        assert agent2.post(f"/api/agent/contacts/{again['contact']}/end").status_code == 200
        agent2.next_event("agent.state", state="wrap_up")
        agent2.post(f"/api/agent/contacts/{again['contact']}/wrap-up", {"next_state": "not_ready", "reason": "break"})
    finally:
        httpx.post(f"{system.sandbox_url}/sandbox/faults", json={"call_redirect_failures": 0})
        httpx.delete(f"{system.sandbox_url}/sandbox/clients/{identity}/register")


def test_a_caller_back_in_the_queue_from_a_room_that_is_over_is_connected_in_a_new_one(
    system: System, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    """A caller whose room had started went back to the queue, and the room's end was never heard (a store
    out of reach): every accept asked Twilio to add the agent to the ended room by its SID, was refused at
    once, and the call went round the agents twice a second for minutes (bench/chaos.py)."""
    agent1, _agent2 = consoles
    call = place_call(system.sandbox_url, from_="+8613700137099", to=HOTLINE, digits=["1", "1"], talk_seconds=1)
    wait_until(lambda: len(waiting_order(system)) == 1, timeout=10)
    contact = waiting_order(system)[0]
    ended_room = "CF" + "0" * 32  # a room Twilio no longer has
    system.redis().hset(f"call:{contact}", mapping={"started": "1", "conference_sid": ended_room})
    agent1.go("available")
    offer = agent1.next_event("offer.created")
    assert agent1.accept(offer["contact"]).status_code == 200
    agent1.next_event("contact.joined", contact=contact)
    assert wait_for_call(system.sandbox_url, call, timeout=20)["bridged"]
    agent1.next_event("agent.state", state="wrap_up")
    agent1.post(f"/api/agent/contacts/{contact}/wrap-up", {"next_state": "not_ready", "reason": "break"})


def test_a_caller_sent_back_from_their_room_is_moved_by_the_next_accept_before_twilio_reports_the_leave(
    system: InProcessSystem, consoles: tuple[AgentConsole, AgentConsole]
) -> None:
    """Twilio reports the caller's join; their agent's leg has failed meanwhile, so we send them back to
    the queue. Until Twilio's report of the leave came, the room still counted them in: an agent accepting
    them back within that ~0.1 s rang only their own phone, and the caller heard "connecting" for ever."""
    agent1, _ = consoles
    services = system.client.app.state.services  # type: ignore[attr-defined]
    call = place_call(system.sandbox_url, from_="+8613700137098", to=HOTLINE, digits=["1", "1"], hangup_after_queue=60)
    contact = wait_until(lambda: waiting_order(system), timeout=10)[0]
    room_event(
        services, contact_id=int(contact), event="participant-join", conference_sid="CF0", call_sid=call, label="caller"
    )
    assert LiveCall(services, int(contact)).get("caller_in") == ""  # sent back to the queue's wait: not in

    agent1.go("available")
    assert agent1.next_event("offer.created")["contact"] == contact
    assert agent1.accept(contact).status_code == 200
    assert wait_until(lambda: "caller" in joined_labels(rooms_of(system.sandbox_url, contact)[-1]), timeout=10)
    httpx.post(f"{system.sandbox_url}/sandbox/calls/{call}/hangup", json={"side": "caller"})
    assert wait_for_call(system.sandbox_url, call, timeout=10)["status"] == "completed"
