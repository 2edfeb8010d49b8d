"""Supervisors change queue settings over HTTP and they apply at once; every offer can be explained."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.conftest import HOTLINE, System
from tests.console import AgentConsole, signed_in_console
from tests.redis_replies import texts
from twilio_sandbox import place_call, wait_for_call

pytestmark = pytest.mark.long  # ~17 s on one test process: started first (tests/conftest.py)


@pytest.fixture
def agent2(system: System) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent2")


def test_a_supervisor_changes_a_queues_offer_time_and_the_next_offer_uses_it(
    system: System, agent2: AgentConsole
) -> None:
    supervisor = system.login("supervisor")
    changed = supervisor.put("/api/queues/repair", json={"offer_timeout_seconds": 9, "wrapup_seconds": 5})
    assert changed.status_code == 200, changed.text
    assert changed.json()["offer_timeout_seconds"] == 9
    assert {q["name"]: q for q in supervisor.get("/api/queues").json()}["repair"]["wrapup_seconds"] == 5

    agent2.go("available")
    call_sid = place_call(system.sandbox_url, from_="+8613400134000", to=HOTLINE, digits=["1", "2"], talk_seconds=1)
    offer = agent2.next_event("offer.created")
    assert 8_900 <= offer["deadline"] - offer["at"] <= 9_100
    assert offer["why"]["agent"] == str(agent2.id)
    assert agent2.accept(offer["contact"]).status_code == 200
    wait_for_call(system.sandbox_url, call_sid, timeout=30)

    explained = supervisor.get(f"/api/contacts/{offer['contact']}/routing")
    assert explained.status_code == 200
    [decision] = explained.json()["decisions"]
    assert decision["agent"] == str(agent2.id) and "longest idle" in decision["rule"]
    assert agent2.http.get(f"/api/contacts/{offer['contact']}/routing").status_code == 403

    # Wrap-up ends by itself after the queue's 5 s.
    agent2.next_event("agent.state", state="wrap_up")
    ended = agent2.next_event("agent.state", timeout=10, state="available")
    assert ended["at"] - offer["at"] >= 5_000
    supervisor.put("/api/queues/repair", json={"offer_timeout_seconds": None, "wrapup_seconds": None})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"offer_timeout_seconds": 1}', "offer_timeout_seconds"),
        ('{"skills": {"repair": 9}}', "level must be from 1 to 5"),
        ('{"colour": "blue"}', "colour"),
        ("not json", "Invalid queue settings"),
    ],
)
def test_bad_queue_settings_are_refused_with_the_reason(system: System, body: str, message: str) -> None:
    supervisor = system.login("supervisor")
    response = supervisor.put("/api/queues/general", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_only_supervisors_change_queues_and_unknown_queues_are_404(system: System) -> None:
    assert system.login("agent1").put("/api/queues/general", json={"wrapup_seconds": 10}).status_code == 403
    assert system.login("supervisor").put("/api/queues/nope", json={"wrapup_seconds": 10}).status_code == 404


def test_a_supervisor_moves_a_waiting_caller_to_another_queue_with_a_higher_priority(system: System) -> None:
    supervisor = system.login("supervisor")
    agent1 = AgentConsole(system, "agent1")
    try:
        call_sid = place_call(
            system.sandbox_url, from_="+8613300133000", to=HOTLINE, digits=["1", "2"], hangup_after_queue=8
        )
        routing = system.redis()
        deadline = time.monotonic() + 10
        while not routing.zcard("cc:{rt}:waiting:repair") and time.monotonic() < deadline:
            time.sleep(0.1)
        [contact] = texts(routing.zrange("cc:{rt}:waiting:repair", 0, -1))

        assert agent1.http.post(f"/api/contacts/{contact}/requeue", json={"priority": 7}).status_code == 403
        assert supervisor.post(f"/api/contacts/{contact}/requeue", json={"priority": 10}).status_code == 400
        assert (
            supervisor.post(f"/api/contacts/{contact}/requeue", json={"priority": 7, "queue": "x"}).status_code == 404
        )
        moved = supervisor.post(f"/api/contacts/{contact}/requeue", json={"priority": 7, "queue": "complaints"})
        assert moved.status_code == 200, moved.text
        assert routing.zscore("cc:{rt}:waiting:complaints", contact) is not None

        agent1.go("available")
        offer = agent1.next_event("offer.created", contact=contact)
        assert offer["queue"] == "complaints"
        assert supervisor.post(f"/api/contacts/{contact}/requeue", json={"priority": 1}).status_code == 409
        assert supervisor.post("/api/contacts/999999/requeue", json={"priority": 1}).status_code == 404

        forced = supervisor.post(f"/api/agents/{agent1.id}/state", json={"state": "not_ready", "reason": "coaching"})
        assert forced.status_code == 200, forced.text
        agent1.next_event("offer.returned", contact=contact)
        agent1.next_event("agent.state", state="not_ready", reason="coaching")
        assert supervisor.post(f"/api/agents/{agent1.id}/state", json={"state": "asleep"}).status_code == 400
        assert wait_for_call(system.sandbox_url, call_sid, timeout=40)["queue_result"] == "hangup"
    finally:
        agent1.post("/api/agent/state", {"state": "offline"})
        agent1.close()


def test_supervisors_read_live_queue_statistics_and_agents_read_their_own_day(system: System) -> None:
    supervisor = system.login("supervisor")
    every = supervisor.get("/api/stats/queues")
    assert every.status_code == 200
    assert {s["queue"] for s in every.json()} == {"general", "repair", "complaints"}
    one = supervisor.get("/api/stats/queues/repair").json()
    assert set(one) >= {
        "waiting",
        "longest_wait_seconds",
        "agents",
        "service_level_percent",
        "average_speed_of_answer_seconds",
        "average_handle_time_seconds",
        "abandonment_rate_percent",
    }
    assert supervisor.get("/api/stats/queues/nope").status_code == 404
    agent = system.login("agent1")
    assert agent.get("/api/stats/queues").status_code == 403
    assert set(agent.get("/api/agent/stats").json()) == {
        "agent",
        "answered",
        "handled",
        "average_handle_time_seconds",
        "queues",
    }
