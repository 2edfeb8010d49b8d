"""The routing engine: atomic contact ↔ agent matching on Redis, with offers as leases.

Each operation is one Lua script (`lua/*.lua`, with `lua/lib/*.lua` prepended), so a contact
and an agent are reserved together or not at all, whichever side arrives first, however many
processes call it. Read-only figures (statistics, place in line) are in `figures.py`.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from redis import Redis
from redis.cluster import RedisCluster
from redis.exceptions import NoScriptError

from queues.figures import RoutingFigures
from queues.keys import CHANNELS, PREFIX, ScriptArg, Skills, decode, info_json, pairs, skills_json
from queues.live_calls import RoutingCalls
from queues.repair import RoutingRepairs
from queues.scripts import load_scripts

AGENT_STATES = ("available", "not_ready", "offline")


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
    chat_capacity: int = 3  # chats at once per agent, unless the agent's own setting says otherwise
    voice_blocks_chat: bool = True  # an agent on a call gets no new chats
    console_grace_ms: int = 30_000  # an agent without a console keeps its state this long, then is not ready


@dataclass(frozen=True)
class Snapshot:
    seq: int
    agent: dict[str, str]
    contact: dict[str, str]
    chats: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Accepted:
    """An accepted offer: routing's new state, and the caller's CallSid to move into their room ('' for
    a chat or a callback, whose customer is not on the line)."""

    state: str
    caller_call: str


@dataclass(frozen=True)
class Reaped:
    handled: int  # offers, retries, overflow steps, maximum waits and wrap-ups acted on
    timed_out: list[str]  # contacts that reached their queue's maximum wait: their callers must be told
    # (agent, contact) of each wrap-up whose time ran out: reported to this caller only, which files its draft
    wrapped_up: list[tuple[str, str]] = field(default_factory=list)


def now_ms() -> int:
    """Wall-clock milliseconds: shared by every process, unlike a monotonic clock."""
    return int(time.time() * 1000)


MESSAGES = {
    "not_offered": "This contact is not offered to you (it may have been taken back or ended).",
    "expired": "The offer expired before it was accepted; the contact went back to its queue.",
    "busy": "Finish the current contact before changing state.",
    "not_in_wrap_up": "You are not in wrap-up.",
    "unknown": "No such contact in routing.",
    "not_yours": "This contact is not assigned to you (any more).",
    "agent_unavailable": "That agent is not available to take a transfer right now.",
    "not_waiting": "Only a waiting contact can be moved or reprioritized (it is being offered or served).",
    "not_assigned": "This call is not yours, or it has already ended.",
    "not_a_call": "Only a call can be put on hold.",
    "consulting": "A warm transfer of this call is in progress: complete or cancel it first.",
    "not_consulting": "You are not transferring this call (any more).",
    "not_connecting": "This call is not being connected to you (it was answered, went back or ended).",
    "not_live": "This call is not live: its agent has not joined it yet, or it has ended or moved on.",
    "unknown_agent": "Routing has no record of that agent (restore the agent first).",
    "agent_busy": "That agent is on another call already.",
}


class RoutingEngine(RoutingFigures, RoutingCalls, RoutingRepairs):
    """Queues, agents and offers in Redis; every change also goes out on the event stream."""

    def __init__(self, redis: Redis | RedisCluster, config: RoutingConfig | None = None, prefix: str = PREFIX) -> None:
        self.redis = redis
        self.config = config or RoutingConfig()
        self.prefix = prefix
        self.timezone = self.config.timezone
        self._day = (0, "")  # (Unix second, that second's date in the time zone): see today()
        self._scripts = load_scripts(redis)
        self._seq_key, self._prefix_arg = (prefix + "seq").encode(), prefix.encode()  # encoded once
        # Lua works out "today" from this offset (statistics days, fewest-contacts-today).
        offset = datetime.now(ZoneInfo(self.config.timezone)).utcoffset()
        redis.set(prefix + "tz_offset_ms", int(offset.total_seconds() * 1000) if offset else 0)

    @property
    def events_key(self) -> str:
        return self.prefix + "events"

    def _run(self, name: str, *args: ScriptArg) -> Any:
        script, now = self._scripts[name], now_ms()
        try:  # EVALSHA directly: Script.__call__ costs a little on every call
            raw = self.redis.evalsha(script.sha, 1, self._seq_key, self._prefix_arg, now, *args)
        except NoScriptError:  # a restarted Redis, or another cluster node: load the script, then run it
            raw = script(keys=[self._seq_key], args=[self._prefix_arg, now, *args])
        result = decode(raw)
        if isinstance(result, list) and result and result[0] == "err":
            code: str = result[1]
            raise RoutingError(code, MESSAGES.get(code, code))
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
        channel: str = "voice",
        call_sid: str | None = None,
        arrived_ms: int | None = None,
    ) -> tuple[bool, str]:
        """Put a contact in a queue (idempotent per id) and offer it to a free agent with the skills it needs.

        Returns (created, state); state "full" means the queue is at its maximum length and the
        contact was not queued. `call_sid`: the caller's call, on the line now (what an accept moves);
        `arrived_ms`: when it first arrived (a rebuild keeps its place; default now)."""
        if not 0 <= priority <= 9:
            raise ValueError("priority must be between 0 and 9")
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
        created, _, state = self._run(
            "enqueue",
            contact_id,
            queue,
            priority,
            self.config.offer_timeout_ms,
            info_json(info),
            skills_json(skills),
            caller or "",
            self.config.rering_ms,
            preferred_agent or "",
            self.config.preferred_agent_ms,
            channel,
            call_sid or "",
            arrived_ms or "",
        ).partition(" ")
        return created == "1", state

    def set_agent_state(
        self,
        *,
        agent_id: str,
        state: str,
        queues: list[str],
        reason: str = "",
        skills: Skills | None = None,
        chat_capacity: int | None = None,
    ) -> str:
        """Change an agent's state (and skills, chat capacity); becoming available takes the best waiting work."""
        if state not in AGENT_STATES:
            raise ValueError(f"state must be one of {', '.join(AGENT_STATES)}")
        capacity = self.config.chat_capacity if chat_capacity is None else chat_capacity
        if not 0 <= capacity <= 20:
            raise ValueError("chat capacity must be from 0 to 20")
        _ok, new_state = self._run(
            "agent_state",
            agent_id,
            state,
            reason,
            ",".join(queues),
            self.config.offer_timeout_ms,
            skills_json(skills),
            capacity,
            int(self.config.voice_blocks_chat),
        )
        return str(new_state)

    def accept(self, *, contact_id: str, agent_id: str, by: str = "") -> Accepted:
        """Take the agent's offer, if the lease is still live: a chat is 'assigned', a call 'connecting'
        until the agent's leg joins (`joined`) or fails (`join_failed`). `by`: the process connecting it."""
        _ok, state, call = self._run("accept", contact_id, agent_id, self.today(), self.config.service_level_ms, by)
        return Accepted(str(state), str(call))

    def reject(self, *, contact_id: str, agent_id: str) -> None:
        """Give the offer back: the contact keeps its place and goes to the next agent."""
        self._run("reject", contact_id, agent_id, "rejected", self.config.offer_timeout_ms, self.config.missed_limit)

    def request_callback(self, *, contact_id: str, info: dict[str, Any]) -> str:
        """A waiting caller hung up asking to be called back: the contact keeps its place; returns its state."""
        _ok, state = self._run("callback", contact_id, info_json(info))
        return str(state)

    def reap(self) -> Reaped:
        """Act on time passing: expired offers, lapsed skips, overflow steps, maximum waits, wrap-ups."""
        handled, timed_out, wrapped_up = self._run(
            "reap", self.config.offer_timeout_ms, self.config.missed_limit, self.today(), self.config.console_grace_ms
        )
        ended = [str(entry).partition("|") for entry in wrapped_up]
        return Reaped(int(handled), list(timed_out), [(agent, contact) for agent, _, contact in ended])

    def finish(self, *, contact_id: str, reason: str) -> str:
        """The caller left or the call ended: abandoned if not yet connected, else ended."""
        _ok, state = self._run(
            "finish", contact_id, reason, self.config.offer_timeout_ms, self.config.wrapup_ms, self.today()
        )
        return str(state)

    def requeue(self, *, contact_id: str, priority: int, queue: str | None = None) -> str:
        """Change a waiting contact's priority and/or queue (supervisor action); it keeps its arrival time."""
        if not 0 <= priority <= 9:
            raise ValueError("priority must be between 0 and 9")
        _ok, state = self._run("reprioritize", contact_id, priority, queue or "", self.config.offer_timeout_ms)
        return str(state)

    def extend_wrap_up(self, *, agent_id: str, seconds: float, contact_id: str | None = None) -> int:
        """Give the agent more wrap-up time (of a chat, when `contact_id` is one); returns the new end (Unix ms)."""
        if not 0 < seconds <= 3600:
            raise ValueError("extend wrap-up by 1 second to 1 hour")
        _ok, until_ms = self._run("wrapup_extend", agent_id, int(seconds * 1000), contact_id or "")
        return int(until_ms)

    def end_wrap_up(
        self,
        *,
        agent_id: str,
        state: str = "available",
        reason: str = "",
        contact_id: str | None = None,
        voice_contact_id: str | None = None,
    ) -> str:
        """Close the agent's wrap-up and move on to the next state (or free one chat's slot, `contact_id`).
        `voice_contact_id`: refuse unless the call being wrapped up is that one."""
        _ok, new_state = self._run(
            "wrapup_done",
            agent_id,
            state,
            reason,
            self.config.offer_timeout_ms,
            contact_id or "",
            voice_contact_id or "",
        )
        return str(new_state)

    def consoles_seen(self, *, consoles: list[tuple[str, str]], ttl_ms: int = 35_000) -> list[tuple[str, str]]:
        """Renew many consoles' presence at once ((agent, socket) pairs one process heard from); returns
        those whose agent is away, to be brought back one by one (`console_presence(event="seen")`)."""
        if not consoles:
            return []
        flat = [part for pair in consoles for part in pair]
        back = self._run("consoles_seen", ttl_ms, *flat)
        return [tuple(decode(entry).split("|", 1)) for entry in back]

    def console_presence(self, *, agent_id: str, socket_id: str, event: str, ttl_ms: int = 35_000) -> str:
        """An agent's console opened, was heard from (it lapses `ttl_ms` later unless heard from again) or
        closed. Returns 'present'; 'away' when that was the agent's last console (no new offers; the state
        and any offer held are kept through the grace period); 'back' when a console of an away agent
        came back; 'gone' when the last console went from an agent with nothing to keep (offline)."""
        if event not in ("open", "seen", "closed"):
            raise ValueError("event must be open, seen or closed")
        return str(
            self._run(
                "console",
                agent_id,
                socket_id,
                event,
                ttl_ms,
                self.config.offer_timeout_ms,
                self.config.console_grace_ms,
            )
        )

    def note_outside_shift(self, *, agent_id: str, local_time: str) -> int:
        """An `agent.outside_shift` event: the agent logged in outside their shift (for the team lead's wallboard)."""
        return int(self._run("outside_shift", agent_id, local_time))

    def announce(self, *, text: str, by: str, by_name: str = "", queues: list[str] | None = None) -> int:
        """A supervisor's announcement to every console and wallboard (an `announcement` event with
        `broadcast`); `queues` names whom it is about (informative). Returns its sequence number."""
        return int(self._run("announce", text, by, by_name, json.dumps(list(queues or []), ensure_ascii=False)))

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
        priority_step_ms: int | None = None,
        weight: int = 1,
        overflow: list[dict[str, Any]] | None = None,
        max_length: int | None = None,
        max_wait_ms: int | None = None,
    ) -> None:
        """Publish a queue's routing settings (None: the process default); the next match uses them."""
        key = self.prefix + "queue:" + name
        values = {
            "offer_timeout_ms": offer_timeout_ms,
            "wrapup_ms": wrapup_ms,
            "skills": skills_json(skills),
            "sl_ms": service_level_ms,
            "strategy": strategy,
            "priority_step_ms": priority_step_ms,
            "weight": weight,
            "overflow": json.dumps(overflow) if overflow else None,
            "max_length": max_length,
            "max_wait_ms": max_wait_ms,
        }
        # Written aside, then RENAMEd over the old settings: an atomic swap without MULTI, which the
        # RedisCluster pipelines of older redis-py (5.x) cannot send. Both keys are in the slot of {rt}.
        staged = f"{key}:staged:{uuid.uuid4().hex}"
        self.redis.hset(staged, mapping={k: v for k, v in values.items() if v is not None})
        self.redis.rename(staged, key)

    def snapshot(self, *, agent_id: str) -> Snapshot:
        """The agent, its voice contact and its chats as of one sequence number."""
        seq, agent, contact, chats = self._run("snapshot", agent_id)
        return Snapshot(seq=int(seq), agent=pairs(agent), contact=pairs(contact), chats=[pairs(c) for c in chats])

    def agent(self, agent_id: str) -> dict[str, str]:
        """An agent's routing record (empty if unknown): state, reason, the voice contact they have or wrap up."""
        raw = self.redis.hgetall(self.prefix + "agent:" + agent_id)
        return {decode(k): decode(v) for k, v in raw.items()}

    def contact_key(self, contact_id: str) -> str:
        """The Redis hash of a contact's routing record (for readers that cannot use this client)."""
        return self.prefix + "contact:" + contact_id

    @property
    def live_key(self) -> str:
        """The Redis set of the contacts live in routing (waiting, offered, connecting, assigned)."""
        return self.prefix + "live"

    def prune_live(self, contact_ids: list[str]) -> int:
        """Drop from the live set those of `contact_ids` whose record is gone or ended; how many were."""
        return int(self._run("live_prune", *contact_ids)) if contact_ids else 0

    def contact(self, contact_id: str) -> dict[str, str]:
        """A contact's routing record (empty if unknown)."""
        raw = self.redis.hgetall(self.contact_key(contact_id))
        return {decode(k): decode(v) for k, v in raw.items()}
