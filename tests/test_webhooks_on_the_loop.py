"""Webhooks on the caller's way from the queue to their agent are answered on the event loop when Redis
alone can answer them: the room prepared at the accept (`/connect`) and the queue's result for a caller
who moved on. A thread-pool hop there is time the caller waits (bench/calls.py); anything else still
takes the ordinary path, which also copes with Redis failing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from redis.asyncio import Redis as AsyncRedis

from tests.console import AgentConsole, signed_in_console
from tests.inprocess import InProcessSystem
from tests.monitoring import connected_call, end_call
from tests.webhooks import signed_post, twiml


@pytest.fixture
def agent1(system: InProcessSystem) -> Iterator[AgentConsole]:
    yield from signed_in_console(system, "agent1")


def no_thread_pool(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("answered through the thread pool")


def test_the_prepared_room_and_a_caller_moved_on_are_answered_without_the_thread_pool(
    system: InProcessSystem, agent1: AgentConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_sid, contact = connected_call(system, agent1)
    params = {"AccountSid": system.credentials[0], "CallSid": call_sid}
    monkeypatch.setattr("ivr.webhook.run_in_threadpool", no_thread_pool)

    room = twiml(signed_post(system, f"/twilio/voice/connect?contact={contact}", params))
    moved = signed_post(
        system, f"/twilio/voice/queue-result?contact={contact}", {**params, "QueueResult": "redirected"}
    )

    assert room.find("Dial/Conference").text == f"contact-{contact}"  # type: ignore[union-attr]
    assert twiml(moved).findall("*") == []
    monkeypatch.undo()
    end_call(system, agent1, contact, call_sid)


def test_with_redis_failing_on_the_loop_the_room_still_comes_from_the_ordinary_path(
    system: InProcessSystem, agent1: AgentConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_sid, contact = connected_call(system, agent1)
    state = system.client.app.state  # type: ignore[attr-defined]
    broken = AsyncRedis.from_url("redis://127.0.0.1:1/0", socket_timeout=1)  # nothing listens on port 1
    monkeypatch.setattr(state, "quick_redis", broken)
    params = {"AccountSid": system.credentials[0], "CallSid": call_sid}

    room = twiml(signed_post(system, f"/twilio/voice/connect?contact={contact}", params))

    assert room.find("Dial/Conference").text == f"contact-{contact}"  # type: ignore[union-attr]
    monkeypatch.undo()
    end_call(system, agent1, contact, call_sid)
