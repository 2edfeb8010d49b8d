"""Presence over the console websocket, against the running system: heartbeats both ways, a console
dropped mid-offer, back within the lease or the grace period, or gone past it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from redis import Redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.conftest import HOTLINE, StartInProcess, System
from tests.console import AgentConsole, eventually
from tests.inprocess import InProcessSystem
from tests.redis_replies import entries, text, text_fields
from twilio_sandbox import place_call, wait_for_call

pytestmark = pytest.mark.long  # ~22 s on one test process: started first (tests/conftest.py)

HEARTBEAT, GRACE, OFFER = 1.0, 4.0, 3.0  # seconds, short for the tests


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    settings = {
        "OFFER_TIMEOUT_SECONDS": str(OFFER),
        "CONSOLE_HEARTBEAT_SECONDS": str(HEARTBEAT),
        "CONSOLE_GRACE_SECONDS": str(int(GRACE)),
    }
    with start_in_process(settings) as running:
        yield running


@pytest.fixture(scope="module")
def routing(system: System) -> Iterator[Redis]:
    client = system.redis()
    yield client
    client.close()


def agent_record(routing: Redis, agent_id: int) -> dict[str, str]:
    return text_fields(routing.hgetall(f"cc:{{rt}}:agent:{agent_id}"))


def contact_state(routing: Redis, contact: str) -> str:
    return text(routing.hget(f"cc:{{rt}}:contact:{contact}", "state") or b"")


def console_of(system: System, username: str, **kwargs: object) -> AgentConsole:
    return AgentConsole(system, username, ping_every=HEARTBEAT / 4, **kwargs)  # type: ignore[arg-type]


def test_a_silent_console_is_closed_by_the_server_and_an_answering_one_is_kept(system: System) -> None:
    cookie = "; ".join(f"{k}={v}" for k, v in system.login("agent1").cookies.items())
    url = system.base_url.replace("http", "ws", 1) + "/agents/ws"
    with connect(url, additional_headers={"Cookie": cookie}) as answering:
        answering.send(json.dumps({"type": "hello", "last_seq": None}))
        assert json.loads(answering.recv(timeout=5))["heartbeat_ms"] == HEARTBEAT * 1000
        answering.send(json.dumps({"type": "ping"}))
        assert json.loads(answering.recv(timeout=5)) == {"type": "pong"}

        with connect(url, additional_headers={"Cookie": cookie}) as silent:
            silent.send(json.dumps({"type": "hello", "last_seq": None}))
            assert json.loads(silent.recv(timeout=5))["type"] == "snapshot"
            heard_last = time.monotonic()
            pings = 0
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    message = json.loads(silent.recv(timeout=5))
                    assert message["type"] == "ping" and message["at"] > 0
                    pings += 1
                    answering.send(json.dumps({"type": "pong"}))  # the other console answers all along
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4408, "heartbeat timeout")
        # Two intervals, as the console gives up on a silent server: both ends agree the link is dead.
        assert pings == 1 and 1.9 * HEARTBEAT < time.monotonic() - heard_last < 2.4 * HEARTBEAT
        answering.send(json.dumps({"type": "ping"}))
        assert json.loads(answering.recv(timeout=5))["type"] in ("ping", "pong")  # still open


def test_a_console_back_within_the_lease_accepts_the_offer_it_dropped(system: System, routing: Redis) -> None:
    agent = console_of(system, "agent1")
    back: AgentConsole | None = None
    call_sid = ""
    try:
        agent.go("available")
        call_sid = place_call(
            system.sandbox_url,
            from_="+8613800138001",
            to=HOTLINE,
            digits=["1", "1"],
            talk_seconds=1,
            hangup_after_queue=9,
        )
        offer = agent.next_event("offer.created")
        agent.ws.close()
        assert eventually(lambda: agent_record(routing, agent.id).get("away") == "1", 2)

        back = console_of(system, "agent1", last_seq=agent.last_seq)
        gone, returned = [e for e in back.caught_up if e["type"] == "agent.presence"]
        assert (gone["connected"], returned["connected"]) == (False, True)
        assert returned["within_grace"] is True and returned["state"] == "reserved"
        assert back.accept(offer["contact"]).status_code == 200
        back.next_event("offer.accepted", contact=offer["contact"])
    finally:
        if call_sid:
            wait_for_call(system.sandbox_url, call_sid, timeout=30)
        (back or agent).post("/api/agent/state", {"state": "offline"})
        agent.close()
        if back:
            back.close()


def test_a_console_dropped_mid_offer_the_offer_rings_to_its_end_then_the_grace_runs_out(
    system: System, routing: Redis
) -> None:
    agent = console_of(system, "agent2")
    back: AgentConsole | None = None
    call_sid = ""
    try:
        agent.go("available")
        call_sid = place_call(
            system.sandbox_url, from_="+8613800138002", to=HOTLINE, digits=["1", "2"], hangup_after_queue=12
        )
        offer = agent.next_event("offer.created")
        contact = offer["contact"]
        score = float(routing.hget(f"cc:{{rt}}:contact:{contact}", "score") or 0)
        agent.ws.close()

        rings_for = offer["deadline"] / 1000 - time.time() - 0.3
        assert not eventually(lambda: contact_state(routing, contact) != "offered", rings_for)  # no early return
        assert eventually(lambda: contact_state(routing, contact) == "waiting", 2)
        assert routing.zscore("cc:{rt}:waiting:repair", contact) == score  # its place, not the back
        events = [json.loads(fields[b"e"]) for _id, fields in entries(routing.xrevrange("cc:{rt}:events", count=100))]
        [returned] = [e for e in events if e["type"] == "offer.returned" and e["contact"] == contact]
        assert returned["reason"] == "agent_disconnected"

        assert eventually(lambda: agent_record(routing, agent.id)["reason"] == "disconnected", GRACE)
        back = console_of(system, "agent2")
        assert back.snapshot["agent"] | {"since": None} == {
            "state": "not_ready",
            "reason": "disconnected",
            "since": None,
            "wrapup_until": None,
            "previous_state": "available",
            "previous_reason": "",
        }
        time.sleep(HEARTBEAT)
        assert agent_record(routing, agent.id)["state"] == "not_ready"  # back after the grace: the agent chooses
    finally:
        (back or agent).post("/api/agent/state", {"state": "offline"})
        agent.close()
        if back:
            back.close()
        if call_sid:
            wait_for_call(system.sandbox_url, call_sid, timeout=30)


def test_a_console_back_within_the_grace_finds_the_agent_as_it_left_it(system: System, routing: Redis) -> None:
    agent = console_of(system, "agent1")
    back: AgentConsole | None = None
    try:
        agent.go("available")
        agent.next_event("agent.state", state="available")
        agent.ws.close()
        assert eventually(lambda: routing.zscore("cc:{rt}:idle:general", str(agent.id)) is None, 2)

        back = console_of(system, "agent1", last_seq=agent.last_seq)
        assert [(e["type"], e["connected"]) for e in back.caught_up] == [
            ("agent.presence", False),
            ("agent.presence", True),
        ]
        assert routing.zscore("cc:{rt}:idle:general", str(agent.id)) is not None
        with pytest.raises(TimeoutError):  # the grace period passes without a word of the agent's state
            back.next_event("agent.state", timeout=GRACE + 1)
        assert agent_record(routing, agent.id)["state"] == "available"
    finally:
        (back or agent).post("/api/agent/state", {"state": "offline"})
        agent.close()
        if back:
            back.close()
