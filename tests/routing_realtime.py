"""Helpers for routing-engine tests that run on the wall clock (real time, a few ms per step)."""

from __future__ import annotations

import json
import time
from typing import Any

from queues.engine import RoutingEngine
from tests.redis_replies import entries, text_fields, texts

P = "cc:{rt}:"
SKIP_SECONDS = 5.0


def tick() -> None:
    time.sleep(0.003)


def enqueue(engine: RoutingEngine, contact: str, queue: str = "general", priority: int = 0) -> str:
    _created, state = engine.enqueue(contact_id=contact, queue=queue, priority=priority, info={"from": contact})
    tick()
    return state


def available(engine: RoutingEngine, agent: str, *queues: str) -> str:
    state = engine.set_agent_state(agent_id=agent, state="available", queues=list(queues or ["general"]))
    tick()
    return state


def agent(engine: RoutingEngine, agent_id: str) -> dict[str, str]:
    raw = engine.redis.hgetall(P + "agent:" + agent_id)
    return text_fields(raw)


def offered_to(engine: RoutingEngine, agent_id: str) -> str | None:
    contact = agent(engine, agent_id).get("contact") or None
    if contact is not None:
        assert engine.contact(contact)["state"] == "offered"
        assert engine.contact(contact)["agent"] == agent_id
    return contact


def waiting(engine: RoutingEngine, queue: str = "general") -> list[str]:
    return texts(engine.redis.zrange(P + "waiting:" + queue, 0, -1))


def events(engine: RoutingEngine) -> list[dict[str, Any]]:
    return [json.loads(fields[b"e"]) for _id, fields in entries(engine.redis.xrange(engine.events_key))]
