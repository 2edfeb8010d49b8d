"""Delivering routing events to this process's websockets, and catching clients up after a gap.

One reader per process follows the Redis stream and hands each event to the subscribers it
concerns, so an agent connected to process A sees offers made by process B.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

from redis.asyncio import Redis

log = logging.getLogger(__name__)
Event = dict[str, Any]
# Stream entries as this client gets them (RESP2, undecoded); redis-py's types also cover RESP3 and text replies.
Entries = list[tuple[bytes, dict[bytes, bytes]]]
BACKLOG = 1000  # events buffered per subscriber before it is told to resync
RESYNC: Event = {"type": "resync"}  # handed to every subscriber when the stream started over
RETRY_FIRST, RETRY_MAX = 0.2, 5.0  # seconds between reads of a failing Redis: doubling from the first to the most
STOP_TIMEOUT = 5.0
CHECK_EVERY = 1.0  # seconds between two checks that the stream did not start over, while events keep coming


def _id_of(stream_id: bytes | str) -> tuple[int, int]:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    milliseconds, _, sequence = text.partition("-")
    return int(milliseconds), int(sequence or 0)


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
        self._wake()

    def resync(self) -> None:
        """The stream started over (Redis lost its data): the client's sequence numbers mean nothing now.
        Its reader gets a `resync` item with `overflowed` set, and closes the socket so the client comes
        back for a snapshot (it ignored the new, lower numbers until then)."""
        self.overflowed = True
        self._items.append(RESYNC)
        self._wake()

    def _wake(self) -> None:
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
    """Follows the routing event stream and fans events out to subscribers.

    It never stops on its own: an event whose dispatch fails is logged and skipped, and a Redis error is
    logged and retried with a short backoff, reading on after the last entry handed out. Its first
    position is the stream's end when `start` returns, so nothing added after that is missed (the
    server accepts sockets only once the app's start-up is over)."""

    def __init__(self, redis: Redis, key: str) -> None:
        self.redis = redis
        self.key = key
        self._by_agent: dict[str, set[Subscription]] = defaultdict(set)
        self._everyone: set[Subscription] = set()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # The id of the last entry handed out, or of the stream's end at start; never "$" (XREAD's "from
        # now on"), which skips what is added between two reads and while the connection is down.
        self.position: bytes | str = "0-0"
        # The event at `position` as read, and an (id, event) read before: after a restart a new stream may
        # have climbed past our position (its ids restart at 1); only another entry at such an id tells.
        self._held: bytes | None = None
        self._checkpoint: tuple[bytes | str, bytes | None] | None = None
        self.restarts = 0  # streams found started over (what waits for the hub to have noticed one reads)
        self._checked_at = 0.0

    async def start(self) -> None:
        self.position = await self._stream_end()
        self._task = asyncio.create_task(self._follow(), name="event-hub")

    async def stop(self) -> None:
        """Ends the follow task within STOP_TIMEOUT. One cancel may not be enough: redis-py sends each
        command through asyncio.wait_for when the client has a socket timeout, and on Python 3.11
        wait_for drops a cancel that comes just after the command was written (it returns the inner
        result instead). So the task is also told to stop, and cancelled again until it has."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + STOP_TIMEOUT
            while not task.done() and loop.time() < deadline:
                task.cancel()
                await asyncio.wait([task], timeout=0.05)
            if not task.done():
                log.error("the event hub did not stop within %s s", STOP_TIMEOUT)
            elif not task.cancelled() and task.exception() is not None:
                log.error("the event hub had stopped on an error", exc_info=task.exception())
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
        delay: float | None = None  # the wait before the next try while Redis fails
        while not self._stopping:
            try:
                reply = await self.redis.xread({self.key: self.position}, block=1000, count=500)
                replies = cast(list[tuple[bytes, Entries]], reply)
                if (not replies or time.monotonic() - self._checked_at >= CHECK_EVERY) and (
                    await self._check_not_started_over()
                ):
                    continue  # what was just read came after an id of the old stream: read the new one from 1
            except Exception:  # Redis restarting, a connection killed: read on from the same position
                if self._stopping:
                    return
                delay = RETRY_FIRST if delay is None else min(delay * 2, RETRY_MAX)
                log.warning("reading the event stream failed; retrying in %.1f s", delay, exc_info=True)
                await asyncio.sleep(delay)
                continue
            if delay is not None:
                log.warning("reading the event stream again, after %r", self.position)
                delay = None
            for _key, entries in replies:
                if entries and self._skipped_ahead(entries[0][0]):
                    self._started_over(entries[0][0])  # and read the new stream from its start
                    break
                for stream_id, fields in entries:
                    self.position, self._held = stream_id, fields.get(b"e")
                    try:
                        self._dispatch(_decode(fields))
                    except Exception:  # one bad entry (or subscriber) must not end delivery for all
                        log.exception("handing out event %r failed; skipped", stream_id)
            if self._checkpoint is None and self._held is not None:
                self._checkpoint = (self.position, self._held)  # the first event read: checked from now on

    async def _stream_end(self) -> bytes | str:
        """The id of the stream's last entry ("0-0" while the stream is empty or missing)."""
        last = cast(Entries, await self.redis.xrevrange(self.key, count=1))
        return last[0][0] if last else "0-0"

    async def _check_not_started_over(self) -> bool:
        """A Redis that lost its data (flushed, restarted without persistence) numbers events from 1
        again: read from the stream's start, not after an id it will reach only much later. A new
        stream that already climbed past our position is told by the entry at an id we read before
        (the checkpoint, moved on at each check): another event there now, or none."""
        self._checked_at = time.monotonic()
        end = await self._stream_end()
        if _id_of(end) < _id_of(self.position):
            self._started_over(end)
            return True
        if self._checkpoint is not None:
            at, held = self._checkpoint
            found = cast(Entries, await self.redis.xrange(self.key, min=at, max=at, count=1))
            if (found[0][1].get(b"e") if found else None) != held:
                self._started_over(at)
                return True
        if _id_of(self.position) == (0, 0):
            self._checkpoint = None
        elif self._held is not None:
            self._checkpoint = (self.position, self._held)
        else:  # just started: the entry at the stream's end as it is now
            found = cast(Entries, await self.redis.xrange(self.key, min=self.position, max=self.position, count=1))
            self._checkpoint = (self.position, found[0][1].get(b"e")) if found else None
        return False

    def _skipped_ahead(self, first: bytes | str) -> bool:
        """Whether the first entry read is not the one after our position. Sequence numbers grow by one
        per event, so a gap means the stream started over and had already climbed past our position
        by the time we read again (events keep coming: the quiet-time check above never ran)."""
        return _id_of(self.position) != (0, 0) and _seq_of(first) != _seq_of(self.position) + 1

    def _started_over(self, seen: bytes | str) -> None:
        log.warning("the event stream started over (saw %r, read up to %r): reading it again", seen, self.position)
        self.position, self._held, self._checkpoint = "0-0", None, None
        self.restarts += 1
        for sub in [*self._everyone, *(sub for subs in self._by_agent.values() for sub in subs)]:
            sub.resync()

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
