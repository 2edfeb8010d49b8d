"""Delivering routing events to this process's websockets, and catching clients up after a gap.

One reader per process follows the Redis stream and hands each event to the subscribers it
concerns, so an agent connected to process A sees offers made by process B.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

from redis.asyncio import Redis

log = logging.getLogger(__name__)
Event = dict[str, Any]
# Stream entries as this client gets them (RESP2, undecoded); redis-py's types also cover RESP3 and text replies.
Entries = list[tuple[bytes, dict[bytes, bytes]]]
BACKLOG = 1000  # events buffered per subscriber before it is told to resync


def _seq_of(stream_id: bytes | str) -> int:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    return int(text.split("-", 1)[0])


class StreamEvent(dict[str, Any]):
    """An event as read from the stream, keeping its JSON text: every socket is sent that same text,
    instead of encoding the event again for each one."""

    __slots__ = ("text",)

    def __init__(self, raw: bytes) -> None:
        super().__init__(json.loads(raw))
        self.text = raw.decode()


_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def text_of(event: Event) -> str:
    """The event as JSON text: as stored, for an event from the stream; encoded, for anything else."""
    return event.text if isinstance(event, StreamEvent) else _encode(event)


def _decode(fields: dict[bytes, bytes]) -> Event:
    return StreamEvent(fields[b"e"])


def concerns(event: Event, agent_id: object) -> bool:
    """Whether an agent's console gets this event: the agent's own (unless `hidden_from_agent`: who
    listens in when SHOW_MONITORING is off), and every `broadcast` one."""
    if event.get("broadcast"):
        return True
    return str(event.get("agent")) == str(agent_id) and not event.get("hidden_from_agent")


class Subscription:
    """Events for one client (one reader), in order; `overflowed` means it fell behind and must resync.

    A deque and at most one waiting future, not an asyncio.Queue: an event pushed to thousands of
    sockets costs each of them an append and, when its reader waits, one future woken (and less memory).
    Cheaper still, `direct` (set by the reader) delivers an event at once, without waking the reader,
    when it returns True; it is only tried while the reader waits with nothing queued, so nothing
    pushed earlier is still on its way."""

    __slots__ = ("_items", "_waiter", "agent_id", "direct", "overflowed")

    def __init__(self, agent_id: str | None) -> None:
        self.agent_id = agent_id
        self._items: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.direct: Callable[[Event], bool] | None = None
        self.overflowed = False

    def push(self, event: Event) -> None:
        if self.direct is not None and self._waiter is not None and not self._items:
            try:
                if self.direct(event):
                    return
            except Exception:  # queued instead, and no more direct sends for this one: said once, not per event
                self.direct = None
                log.exception("sending an event directly failed; this subscriber's events go through its reader")
        if len(self._items) >= BACKLOG:
            self.overflowed = True
            return
        self._items.append(event)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def get(self) -> Event:
        while not self._items:
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                if self._waiter is waiter:
                    self._waiter = None
        return self._items.popleft()


class EventHub:
    """Follows the routing event stream and fans events out to subscribers."""

    def __init__(self, redis: Redis, key: str) -> None:
        self.redis = redis
        self.key = key
        self._by_agent: dict[str, set[Subscription]] = defaultdict(set)
        self._everyone: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._follow(), name="event-hub")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.redis.aclose()

    @contextlib.asynccontextmanager
    async def subscribe(self, agent_id: str | None) -> AsyncIterator[Subscription]:
        """Events of one agent (or of everyone, for None) while the context is open."""
        sub = Subscription(agent_id)
        bucket = self._by_agent[agent_id] if agent_id is not None else self._everyone
        bucket.add(sub)
        try:
            yield sub
        finally:
            bucket.discard(sub)
            if agent_id is not None and not bucket:
                self._by_agent.pop(agent_id, None)

    def _dispatch(self, event: Event) -> None:
        for sub in self._everyone:
            sub.push(event)
        if event.get("broadcast"):  # e.g. an announcement: every console gets it
            for subs in self._by_agent.values():
                for sub in subs:
                    sub.push(event)
            return
        agent = event.get("agent")
        if agent and not event.get("hidden_from_agent"):
            for sub in self._by_agent.get(str(agent), ()):
                sub.push(event)

    async def _follow(self) -> None:
        last_id: bytes | str = "$"  # then the id of the last entry read
        while True:
            try:
                reply = await self.redis.xread({self.key: last_id}, block=1000, count=500)
                replies = cast(list[tuple[bytes, Entries]], reply)
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarting: keep trying, consoles resync on reconnect
                log.exception("reading the event stream failed; retrying")
                await asyncio.sleep(1)
                continue
            for _key, entries in replies:
                for stream_id, fields in entries:
                    last_id = stream_id
                    self._dispatch(_decode(fields))

    async def since(self, seq: int) -> list[Event] | None:
        """Events after `seq`, or None when some of them are no longer kept (resync needed)."""
        entries = cast(Entries, await self.redis.xrange(self.key, min=f"({seq}-0", max="+", count=BACKLOG + 1))
        current = int(await self.redis.get(self.key.removesuffix("events") + "seq") or 0)
        if seq > current or len(entries) > BACKLOG:
            return None
        if entries and _seq_of(entries[0][0]) != seq + 1:
            return None
        if not entries and current != seq:
            return None
        return [_decode(fields) for _id, fields in entries]
