"""Reading routing's live figures: a queue's statistics, an agent's day, a caller's place and wait."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from redis import Redis
from redis.cluster import RedisCluster

from queues.estimate import estimated_wait_seconds
from queues.keys import ScriptArg, decode, pairs, waiting_key


class _Engine(Protocol):
    redis: Redis | RedisCluster
    prefix: str
    timezone: str
    _day: tuple[int, str]

    def _run(self, name: str, *args: ScriptArg) -> Any: ...

    def contact(self, contact_id: str) -> dict[str, str]: ...


class RoutingFigures:
    """Read-only views of routing; mixed into `RoutingEngine`."""

    def today(self: _Engine) -> str:
        """The statistics day, in the hotline's time zone (worked out at most once a second: a day
        changes only on a whole second)."""
        second = int(time.time())
        if self._day[0] != second:
            self._day = (second, datetime.fromtimestamp(second, ZoneInfo(self.timezone)).strftime("%Y-%m-%d"))
        return self._day[1]

    def position(self: _Engine, *, contact_id: str, queue: str, channel: str = "voice") -> tuple[int | None, int]:
        """1-based place of a waiting contact in its queue (None if not waiting), and queue size."""
        key = waiting_key(self.prefix, queue, channel)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrank(key, contact_id)
            pipe.zcard(key)
            rank, size = pipe.execute()
        return (None if rank is None else rank + 1), int(size)

    def queue_stats(self: _Engine, *, queue: str, day: str | None = None) -> dict[str, Any]:
        """Live figures of a queue: waiting, longest wait, agents by state, and today's service level,
        average speed of answer, average handle time and abandonment rate."""
        day = day or RoutingFigures.today(self)
        raw = json.loads(self._run("queue_stats", queue, day))
        counters = {k: int(v) for k, v in pairs(raw["counters"]).items()} if raw["counters"] else {}
        answered, abandoned = counters.get("answered", 0), counters.get("abandoned", 0)
        timed_out, handled = counters.get("timed_out", 0), counters.get("handled", 0)
        offered = answered + abandoned + timed_out
        return {
            "queue": queue,
            "day": day,
            "waiting": raw["waiting"],
            "waiting_by_channel": raw["waiting_by_channel"],
            "longest_wait_seconds": round(raw["longest_wait_ms"] / 1000, 1),
            "agents": raw["agents"] or {},
            "answered": answered,
            "abandoned": abandoned,
            "timed_out": timed_out,
            "service_level_percent": _percent(counters.get("answered_in_sl", 0), offered),
            "average_speed_of_answer_seconds": _average_seconds(counters.get("wait_ms", 0), answered),
            "average_handle_time_seconds": _average_seconds(counters.get("handle_ms", 0), handled),
            "abandonment_rate_percent": _percent(abandoned, offered),
        }

    def floor(self: _Engine, *, queues: list[str], agents: list[str]) -> dict[str, Any]:
        """What a wallboard shows, read in one step as of one sequence number: each agent's routing
        record with its voice contact's and its number of chats, and every contact waiting in `queues`."""
        seq, people, waiting = self._run("floor", ",".join(queues), ",".join(agents))
        return {
            "seq": int(seq),
            "agents": [
                {"id": agent, "record": pairs(record), "contact": pairs(contact), "chats": int(chats)}
                for agent, record, contact, chats in people
            ],
            "waiting": [pairs(contact) for contact in waiting],
        }

    def agent_stats(self: _Engine, *, agent_id: str, day: str | None = None) -> dict[str, Any]:
        """An agent's figures for the day: contacts answered and handled, average handle time."""
        day = day or RoutingFigures.today(self)
        raw = self.redis.hgetall(f"{self.prefix}stats:agent:{agent_id}:{day}")
        counters = {decode(k): int(v) for k, v in raw.items()}
        handled = counters.get("handled", 0)
        return {
            "agent": agent_id,
            "answered": counters.get("answered", 0),
            "handled": handled,
            "average_handle_time_seconds": _average_seconds(counters.get("handle_ms", 0), handled),
        }

    def wait_estimate(self: _Engine, *, contact_id: str) -> dict[str, Any] | None:
        """Place in line and estimated wait of a waiting contact (see queues/estimate.py); None if not waiting."""
        contact = self.contact(contact_id)
        if contact.get("state") != "waiting":
            return None
        queue = contact["queue"]
        position, size = RoutingFigures.position(
            self, contact_id=contact_id, queue=queue, channel=contact.get("channel", "voice")
        )
        if position is None:
            return None
        members = [decode(m) for m in self.redis.smembers(f"{self.prefix}members:{queue}")]
        with self.redis.pipeline(transaction=False) as pipe:
            for agent in members:
                pipe.hget(f"{self.prefix}agent:{agent}", "state")
            states = [decode(s) for s in pipe.execute()]
        staffed = sum(1 for s in states if s in ("available", "reserved", "busy", "wrap_up"))
        free = sum(1 for s in states if s == "available")
        day = RoutingFigures.today(self)
        handled, handle_ms = (
            int(v) if v else 0
            for v in self.redis.hmget(f"{self.prefix}stats:queue:{queue}:{day}", "handled", "handle_ms")
        )
        seconds = estimated_wait_seconds(
            position=position,
            staffed=staffed,
            free=free,
            handle_seconds=handle_ms / handled / 1000 if handled else None,
        )
        return {"position": position, "queue_size": size, "staffed": staffed, "estimated_wait_seconds": seconds}


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _average_seconds(total_ms: int, count: int) -> float | None:
    return round(total_ms / count / 1000, 1) if count else None
