"""One consistent read of every routing key in Redis, for the property test's invariants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis import Redis

from queues.keys import PREFIX as P

QUEUES = ("general", "repair", "billing")
AGENTS = ("a1", "a2", "a3", "a4")
CHANNELS = ("voice", "chat")


def text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def as_dict(raw: dict[Any, Any]) -> dict[str, str]:
    return {text(k): text(v) for k, v in raw.items()}


def split(csv: str | None) -> list[str]:
    return [part for part in (csv or "").split(",") if part]


def key(kind: str, channel: str, queue: str | None = None) -> str:
    """waiting / spill / idle keys as queues/lua/lib/1_base.lua names them; queue None = the "any agent" set."""
    prefix = P + ("chat-" if channel == "chat" else "")
    return prefix + (f"{kind}:{queue}" if queue is not None else f"{kind}-any")


@dataclass
class View:
    """Every routing key the invariants look at, read in one MULTI."""

    contacts: dict[str, dict[str, str]]
    agents: dict[str, dict[str, str]]
    chats: dict[str, set[str]]  # agent -> chat contacts holding a slot
    zsets: dict[str, list[tuple[str, float]]]  # waiting/spill/idle key -> members in order
    members: dict[str, set[str]]
    leases: dict[str, float]
    retry: dict[str, float]
    wrapups: dict[str, float]
    chat_wrapups: dict[str, float]
    seq: int
    contact_keys: set[str]
    line_keys: set[str]  # every waiting/spill/idle key that exists
    live: set[str]  # routing's live set (what the reconciler reads)

    def in_state(self, *states: str, channel: str | None = None) -> list[str]:
        return sorted(
            c
            for c, h in self.contacts.items()
            if h.get("state") in states and (channel is None or h.get("channel") == channel)
        )

    def in_agent_state(self, state: str) -> list[str]:
        return sorted(a for a, h in self.agents.items() if h.get("state") == state)

    def ids(self, zset: str) -> list[str]:
        return [m for m, _s in self.zsets.get(zset, [])]

    def chat_room(self, agent: str) -> bool:
        """Whether routing should count this agent as free for one more chat (queues/lua/lib/2_pools.lua)."""
        record = self.agents[agent]
        state = record.get("state")
        if int(record.get("chat_cap") or 0) == 0 or record.get("pending_not_ready"):
            return False
        if state not in ("available", "reserved", "busy", "wrap_up"):
            return False
        if state != "available" and record.get("voice_blocks_chat") == "1":
            return False
        return len(self.chats[agent]) < int(record["chat_cap"])


def line_keys() -> list[str]:
    keys = []
    for channel in CHANNELS:
        for kind in ("waiting", "spill", "idle"):
            keys += [key(kind, channel, q) for q in QUEUES]
        keys += [key("spill", channel), key("idle", channel)]
    return keys


def read_view(r: Redis, contact_ids: list[str]) -> View:
    lines = line_keys()
    with r.pipeline(transaction=True) as pipe:
        for cid in contact_ids:
            pipe.hgetall(P + "contact:" + cid)
        for agent in AGENTS:
            pipe.hgetall(P + "agent:" + agent)
            pipe.smembers(P + "agent:" + agent + ":chats")
        for line in lines:
            pipe.zrange(line, 0, -1, withscores=True)
        for q in QUEUES:
            pipe.smembers(P + "members:" + q)
        for name in ("leases", "retry", "wrapups", "chat-wrapups"):
            pipe.zrange(P + name, 0, -1, withscores=True)
        pipe.get(P + "seq")
        pipe.keys(P + "contact:*")
        for pattern in ("*waiting:*", "*spill*", "*idle:*", "*idle-any"):
            pipe.keys(P + pattern)
        pipe.smembers(P + "live")
        out = iter(pipe.execute())
    contacts = {cid: as_dict(next(out)) for cid in contact_ids}
    agents, chats = {}, {}
    for agent in AGENTS:
        agents[agent] = as_dict(next(out))
        chats[agent] = {text(m) for m in next(out)}
    zsets = {line: [(text(m), s) for m, s in next(out)] for line in lines}
    members = {q: {text(m) for m in next(out)} for q in QUEUES}
    leases, retry, wrapups, chat_wrapups = ({text(m): s for m, s in next(out)} for _ in range(4))
    seq = int(next(out) or 0)
    contact_keys = {text(k)[len(P + "contact:") :] for k in next(out)}
    contact_keys = {k for k in contact_keys if not k.endswith(":why")}
    existing = {text(k) for _ in range(4) for k in next(out)}
    live = {text(m) for m in next(out)}
    return View(
        contacts, agents, chats, zsets, members, leases, retry, wrapups, chat_wrapups, seq, contact_keys, existing, live
    )
