"""Redis lost its data: the event stream numbers from 1 again. Every console is sent to resync (closed
with 4000) and comes back to a snapshot, without a restart of the web process; before, consoles kept
waiting for numbers above the ones they had seen and heard nothing (offers were never delivered)."""

from __future__ import annotations

import time

import pytest
from websockets.exceptions import ConnectionClosed

from tests.console import AgentConsole
from tests.inprocess import InProcessSystem


def test_a_console_is_sent_to_resync_when_the_event_stream_started_over_and_gets_a_snapshot(
    system: InProcessSystem,
) -> None:
    redis = system.client.app.state.services.redis  # type: ignore[attr-defined]
    redis.set("cc:{rt}:seq", 5000)  # a system that has run a while: its numbers far above a new stream's
    console = AgentConsole(system, "agent1")
    again = None
    try:
        console.go("available")
        console.next_event("agent.state", state="available")
        seen = console.last_seq
        redis.delete("cc:{rt}:events", "cc:{rt}:seq")  # the stream and its counter lost
        assert console.post("/api/agent/state", {"state": "not_ready", "reason": "break"}).status_code == 200

        deadline = time.monotonic() + 10
        with pytest.raises(ConnectionClosed) as closed:
            while time.monotonic() < deadline:
                console.ws.recv(timeout=deadline - time.monotonic())
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000

        again = AgentConsole(system, "agent1", last_seq=seen)
        assert again.snapshot["type"] == "snapshot" and again.snapshot["seq"] < seen
        assert again.snapshot["agent"]["state"] == "not_ready"
    finally:
        for each in (console, again):
            if each is not None:
                each.post("/api/agent/state", {"state": "offline"})
                each.close()
