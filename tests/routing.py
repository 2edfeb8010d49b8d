"""Helpers for tests of the routing engine on its own: a clock the test moves, and short ways to
queue contacts, staff agents and read what routing holds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from redis import Redis
from redis.cluster import RedisCluster

from queues.engine import RoutingConfig, RoutingEngine
from queues.keys import PREFIX as P
from tests.redis_replies import entries, text_fields, texts

START_MS = 1_790_000_000_000


@dataclass
class Clock:
    """Stands in for `queues.engine.now_ms`: milliseconds that move only when the test says so."""

    now: int = START_MS

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += int(seconds * 1000)


@dataclass
class Routing:
    """An engine on a fake clock, with the calls tests make over and over."""

    engine: RoutingEngine
    clock: Clock
    _queued: list[str] = field(default_factory=list)

    def queue(self, name: str, **settings: Any) -> None:
        self.engine.configure_queue(
            name=name,
            offer_timeout_ms=settings.pop("offer_timeout_ms", None),
            wrapup_ms=settings.pop("wrapup_ms", None),
            skills=settings.pop("skills", {}),
            **settings,
        )

    def enqueue(self, contact: str, queue: str = "general", **kwargs: Any) -> str:
        self.clock.advance(0.001)
        _created, state = self.engine.enqueue(contact_id=contact, queue=queue, info={"from": contact}, **kwargs)
        return state

    def available(self, agent: str, *queues: str, **kwargs: Any) -> str:
        self.clock.advance(0.001)
        return self.engine.set_agent_state(
            agent_id=agent, state="available", queues=list(queues or ["general"]), **kwargs
        )

    def later(self, seconds: float) -> list[str]:
        """Let time pass and run the reaper, as every web process does twice a second; the contacts timed out."""
        self.clock.advance(seconds)
        return self.engine.reap().timed_out

    def agent(self, agent_id: str) -> dict[str, str]:
        raw = self.engine.redis.hgetall(P + "agent:" + agent_id)
        return text_fields(raw)

    def state(self, contact: str) -> str:
        return self.engine.contact(contact).get("state", "")

    def holder(self, contact: str) -> str:
        """The agent a contact is offered or assigned to ('' while waiting)."""
        return self.engine.contact(contact).get("agent", "")

    def chats(self, agent_id: str) -> set[str]:
        return set(texts(self.engine.redis.smembers(P + "agent:" + agent_id + ":chats")))

    def waiting(self, queue: str = "general", channel: str = "voice") -> list[str]:
        key = P + ("chat-" if channel == "chat" else "") + "waiting:" + queue
        return texts(self.engine.redis.zrange(key, 0, -1))

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        found = [json.loads(fields[b"e"]) for _id, fields in entries(self.engine.redis.xrange(self.engine.events_key))]
        return [e for e in found if kind is None or e["type"] == kind]


@pytest.fixture
def routing(routing_redis: Redis | RedisCluster, monkeypatch: pytest.MonkeyPatch) -> Routing:
    clock = Clock()
    monkeypatch.setattr("queues.engine.now_ms", clock)
    return Routing(RoutingEngine(routing_redis, RoutingConfig(offer_timeout_ms=15_000)), clock)
