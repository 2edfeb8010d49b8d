"""The routing engine: atomic contact ↔ agent matching on Redis, with offers as leases.

Each operation is one Lua script (see `lua/`), so a contact and an agent are reserved
together or not at all, whichever side arrives first, however many processes call it.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from redis import Redis
from redis.commands.core import Script

from queues.estimate import estimated_wait_seconds

LUA = Path(__file__).resolve().parent / "lua"
PREFIX = "cc:{rt}:"
AGENT_STATES = ("available", "not_ready", "offline")
STRATEGIES = ("longest_idle", "fewest_today", "round_robin", "best_skill")
Skills = dict[str, int]


def _skills_json(skills: Skills | None) -> str:
    """Skills as the Lua scripts read them: levels 1-5, keys sorted so equal sets compare equal."""
    checked = {}
    for name, level in (skills or {}).items():
        if not isinstance(level, int) or isinstance(level, bool) or not 1 <= level <= 5:
            raise ValueError(f"skill {name!r}: level must be a whole number from 1 to 5")
        checked[str(name)] = level
    return json.dumps(checked, sort_keys=True, separators=(",", ":"))


class RoutingError(Exception):
    """An operation the current routing state does not allow (e.g. accepting an expired offer)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class RoutingConfig:
    offer_timeout_ms: int = 15_000
    wrapup_ms: int = 30_000
    rering_ms: int = 300_000
    preferred_agent_ms: int = 20_000
    service_level_ms: int = 15_000
    timezone: str = "Asia/Shanghai"  # days of the statistics start at midnight here
    missed_limit: int = 2


@dataclass(frozen=True)
class Snapshot:
    seq: int
    agent: dict[str, str]
    contact: dict[str, str]


def now_ms() -> int:
    """Wall-clock milliseconds: shared by every process, unlike a monotonic clock."""
    return int(time.time() * 1000)


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _pairs(flat: list[Any]) -> dict[str, str]:
    flat = _decode(flat)
    return dict(zip(flat[::2], flat[1::2], strict=True))


MESSAGES = {
    "not_offered": "This contact is not offered to you (it may have been taken back or ended).",
    "expired": "The offer expired before it was accepted; the contact went back to its queue.",
    "busy": "Finish the current contact before changing state.",
    "not_in_wrap_up": "You are not in wrap-up.",
    "unknown": "No such contact in routing.",
    "not_yours": "This contact is not assigned to you (any more).",
    "agent_unavailable": "That agent is not available to take a transfer right now.",
    "not_waiting": "Only a waiting contact can be moved or reprioritized (it is being offered or served).",
}


class RoutingEngine:
    """Queues, agents and offers in Redis; every change also goes out on the event stream."""

    def __init__(self, redis: Redis, config: RoutingConfig | None = None, prefix: str = PREFIX) -> None:
        self.redis = redis
        self.config = config or RoutingConfig()
        self.prefix = prefix
        common = (LUA / "common.lua").read_text()
        self._scripts: dict[str, Script] = {
            path.stem: redis.register_script(common + "\n" + path.read_text())
            for path in LUA.glob("*.lua")
            if path.stem != "common"
        }
        # Lua works out "today" from this offset (statistics days, fewest-contacts-today).
        offset = datetime.now(ZoneInfo(self.config.timezone)).utcoffset()
        redis.set(prefix + "tz_offset_ms", int(offset.total_seconds() * 1000) if offset else 0)

    @property
    def events_key(self) -> str:
        return self.prefix + "events"

    def _run(self, name: str, *args: object) -> Any:
        result = _decode(self._scripts[name](keys=[self.prefix + "seq"], args=[self.prefix, now_ms(), *args]))
        if isinstance(result, list) and result and result[0] == "err":
            raise RoutingError(result[1], MESSAGES.get(result[1], result[1]))
        return result

    def enqueue(
        self,
        *,
        contact_id: str,
        queue: str,
        priority: int = 0,
        info: dict[str, Any],
        skills: Skills | None = None,
        caller: str | None = None,
        preferred_agent: str | None = None,
    ) -> tuple[bool, str]:
        """Put a contact in a queue (idempotent per id) and offer it to a free agent with the skills it needs."""
        if not 0 <= priority <= 9:
            raise ValueError("priority must be between 0 and 9")
        created, state, _agent = self._run(
            "enqueue",
            contact_id,
            queue,
            priority,
            self.config.offer_timeout_ms,
            json.dumps(info, ensure_ascii=False),
            _skills_json(skills),
            caller or "",
            self.config.rering_ms,
            preferred_agent or "",
            self.config.preferred_agent_ms,
        )
        return bool(created), state

    def set_agent_state(
        self, *, agent_id: str, state: str, queues: list[str], reason: str = "", skills: Skills | None = None
    ) -> str:
        """Change an agent's state (and skills); becoming available takes the best waiting contact."""
        if state not in AGENT_STATES:
            raise ValueError(f"state must be one of {', '.join(AGENT_STATES)}")
        _ok, new_state = self._run(
            "agent_state", agent_id, state, reason, ",".join(queues), self.config.offer_timeout_ms, _skills_json(skills)
        )
        return new_state

    def today(self) -> str:
        """The statistics day, in the hotline's time zone."""
        return datetime.now(ZoneInfo(self.config.timezone)).strftime("%Y-%m-%d")

    def accept(self, *, contact_id: str, agent_id: str) -> None:
        """Turn the agent's offer into an assignment, if the lease is still live."""
        self._run("accept", contact_id, agent_id, self.today(), self.config.service_level_ms)

    def reject(self, *, contact_id: str, agent_id: str) -> None:
        """Give the offer back: the contact keeps its place and goes to the next agent."""
        self._run("reject", contact_id, agent_id, "rejected", self.config.offer_timeout_ms, self.config.missed_limit)

    def reap(self) -> int:
        """Return every offer whose lease has run out; the count of leases looked at."""
        return int(self._run("reap", self.config.offer_timeout_ms, self.config.missed_limit))

    def finish(self, *, contact_id: str, reason: str) -> str:
        """The caller left or the call ended: abandoned if not yet connected, else ended."""
        _ok, state = self._run(
            "finish", contact_id, reason, self.config.offer_timeout_ms, self.config.wrapup_ms, self.today()
        )
        return state

    def requeue(self, *, contact_id: str, priority: int, queue: str | None = None) -> str:
        """Change a waiting contact's priority and/or queue (supervisor action); it keeps its arrival time."""
        if not 0 <= priority <= 9:
            raise ValueError("priority must be between 0 and 9")
        _ok, state = self._run("reprioritize", contact_id, priority, queue or "", self.config.offer_timeout_ms)
        return state

    def transfer(self, *, contact_id: str, agent_id: str, queue: str | None = None, to_agent: str | None = None) -> str:
        """Hand an assigned contact to another queue (keeping its arrival time) or straight to an available agent."""
        _ok, state = self._run(
            "transfer",
            contact_id,
            agent_id,
            queue or "",
            to_agent or "",
            self.config.offer_timeout_ms,
            self.config.wrapup_ms,
        )
        return state

    def extend_wrap_up(self, *, agent_id: str, seconds: float) -> int:
        """Give the agent more wrap-up time; returns the new end (Unix ms)."""
        if not 0 < seconds <= 3600:
            raise ValueError("extend wrap-up by 1 second to 1 hour")
        _ok, until_ms = self._run("wrapup_extend", agent_id, int(seconds * 1000))
        return int(until_ms)

    def explain(self, *, contact_id: str) -> list[dict[str, Any]]:
        """Every routing decision made for a contact (latest last): the rule, who got it, who was passed over."""
        return [json.loads(item) for item in self.redis.lrange(self.prefix + "contact:" + contact_id + ":why", 0, -1)]

    def configure_queue(
        self,
        *,
        name: str,
        offer_timeout_ms: int | None,
        wrapup_ms: int | None,
        skills: Skills,
        service_level_ms: int | None = None,
        strategy: str = "longest_idle",
    ) -> None:
        """Publish a queue's routing settings (None: the process default); the next match uses them."""
        key = self.prefix + "queue:" + name
        values = {
            "offer_timeout_ms": offer_timeout_ms,
            "wrapup_ms": wrapup_ms,
            "skills": _skills_json(skills),
            "sl_ms": service_level_ms,
            "strategy": strategy,
        }
        # Written aside, then RENAMEd over the old settings: an atomic swap without MULTI, which the
        # RedisCluster pipelines of older redis-py (5.x) cannot send. Both keys are in the slot of {rt}.
        staged = f"{key}:staged:{uuid.uuid4().hex}"
        self.redis.hset(staged, mapping={k: v for k, v in values.items() if v is not None})
        self.redis.rename(staged, key)

    def end_wrap_up(self, *, agent_id: str, state: str = "available", reason: str = "") -> str:
        """Close the agent's wrap-up and move on to the next state."""
        _ok, new_state = self._run("wrapup_done", agent_id, state, reason, self.config.offer_timeout_ms)
        return new_state

    def snapshot(self, *, agent_id: str) -> Snapshot:
        """The agent and its current contact as of one sequence number."""
        seq, agent, contact = self._run("snapshot", agent_id)
        return Snapshot(seq=int(seq), agent=_pairs(agent), contact=_pairs(contact))

    def contact(self, contact_id: str) -> dict[str, str]:
        """A contact's routing record (empty if unknown)."""
        raw = self.redis.hgetall(self.prefix + "contact:" + contact_id)
        return {_decode(k): _decode(v) for k, v in raw.items()}  # type: ignore[union-attr]

    def position(self, *, contact_id: str, queue: str) -> tuple[int | None, int]:
        """1-based place of a waiting contact in its queue (None if not waiting), and queue size."""
        key = self.prefix + "waiting:" + queue
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrank(key, contact_id)
            pipe.zcard(key)
            rank, size = pipe.execute()
        return (None if rank is None else rank + 1), int(size)

    def queue_stats(self, *, queue: str, day: str | None = None) -> dict[str, Any]:
        """Live figures of a queue: waiting, longest wait, agents by state, and today's service level,
        average speed of answer, average handle time and abandonment rate."""
        raw = json.loads(self._run("queue_stats", queue, day or self.today()))
        counters = {k: int(v) for k, v in _pairs(raw["counters"]).items()} if raw["counters"] else {}
        answered, abandoned = counters.get("answered", 0), counters.get("abandoned", 0)
        handled = counters.get("handled", 0)
        offered = answered + abandoned
        return {
            "queue": queue,
            "day": day or self.today(),
            "waiting": raw["waiting"],
            "longest_wait_seconds": round(raw["longest_wait_ms"] / 1000, 1),
            "agents": raw["agents"] or {},
            "answered": answered,
            "abandoned": abandoned,
            "service_level_percent": round(100 * counters.get("answered_in_sl", 0) / offered, 1) if offered else None,
            "average_speed_of_answer_seconds": round(counters.get("wait_ms", 0) / answered / 1000, 1)
            if answered
            else None,
            "average_handle_time_seconds": round(counters.get("handle_ms", 0) / handled / 1000, 1) if handled else None,
            "abandonment_rate_percent": round(100 * abandoned / offered, 1) if offered else None,
        }

    def agent_stats(self, *, agent_id: str, day: str | None = None) -> dict[str, Any]:
        """An agent's figures for the day: contacts answered and handled, average handle time."""
        counters = {
            _decode(k): int(v)
            for k, v in self.redis.hgetall(f"{self.prefix}stats:agent:{agent_id}:{day or self.today()}").items()
        }
        handled = counters.get("handled", 0)
        return {
            "agent": agent_id,
            "answered": counters.get("answered", 0),
            "handled": handled,
            "average_handle_time_seconds": round(counters.get("handle_ms", 0) / handled / 1000, 1) if handled else None,
        }

    def wait_estimate(self, *, contact_id: str) -> dict[str, Any] | None:
        """Place in line and estimated wait of a waiting contact (see queues/estimate.py); None if not waiting."""
        contact = self.contact(contact_id)
        if contact.get("state") != "waiting":
            return None
        queue = contact["queue"]
        position, size = self.position(contact_id=contact_id, queue=queue)
        if position is None:
            return None
        members = [_decode(m) for m in self.redis.smembers(f"{self.prefix}members:{queue}")]
        with self.redis.pipeline(transaction=False) as pipe:
            for agent in members:
                pipe.hget(f"{self.prefix}agent:{agent}", "state")
            states = [_decode(s) for s in pipe.execute()]
        staffed = sum(1 for s in states if s in ("available", "reserved", "busy", "wrap_up"))
        free = sum(1 for s in states if s == "available")
        today = self.redis.hmget(f"{self.prefix}stats:queue:{queue}:{self.today()}", "handled", "handle_ms")
        handled, handle_ms = (int(v) if v else 0 for v in today)
        seconds = estimated_wait_seconds(
            position=position,
            staffed=staffed,
            free=free,
            handle_seconds=handle_ms / handled / 1000 if handled else None,
        )
        return {"position": position, "queue_size": size, "staffed": staffed, "estimated_wait_seconds": seconds}
