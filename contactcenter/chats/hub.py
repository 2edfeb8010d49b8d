"""Live chat delivery between processes: what one process stores, every process's sockets hear.

A customer may be connected to process A while their agent's console is on process B. The
service stores each change in SQL first, then publishes one item on a Redis pub/sub channel
(`publish`); every process runs one `ChatHub` that listens on that channel and hands each item
to the local feeds it concerns: the chat's customer socket (by contact) and the console of the
chat's agent (by agent). Pub/sub keeps nothing: a socket that was away catches up from SQL by
the last message id it saw (see events.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

from redis import Redis
from redis.asyncio import Redis as AsyncRedis

log = logging.getLogger(__name__)
Item = dict[str, Any]
CHANNEL = "cc:chat"
BACKLOG = 500  # items buffered per feed before it is dropped (its socket reconnects and catches up)


def _encode(item: Item) -> str:
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def channel_of(redis: Redis | AsyncRedis) -> str:
    """The chat channel of the Redis database this deployment uses: pub/sub channels are shared by
    every database of a Redis server, so two deployments (or test runs) on one server must not meet."""
    pool = getattr(redis, "connection_pool", None)  # a cluster has none, and one database only
    return f"{CHANNEL}:{pool.connection_kwargs.get('db', 0) if pool else 0}"


def publish(redis: Redis, item: Item) -> None:
    """Send an item to every process (from synchronous service code; store it in SQL first)."""
    redis.publish(channel_of(redis), _encode(item))


class Sink(Protocol):
    def push(self, item: Item) -> None: ...


class Feed:
    """The items of one chat or one agent, in order; iteration ends if the reader fell behind."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Item | None] = asyncio.Queue(BACKLOG)
        self.overflowed = False

    def push(self, item: Item) -> None:
        if self.overflowed:
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True
            self._queue.get_nowait()  # room for the end marker: the reader stops and resyncs from SQL
            self._queue.put_nowait(None)

    def __aiter__(self) -> Feed:
        return self

    async def __anext__(self) -> Item:
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        return item

    async def get(self, timeout: float | None = None) -> Item | None:
        """The next item, or None after `timeout` seconds (or once the feed has overflowed)."""
        try:
            return await asyncio.wait_for(self.__anext__(), timeout)
        except (TimeoutError, StopAsyncIteration):
            return None


class ChatHub:
    """One per process: listens to the chat channel and fans items out to the local feeds."""

    def __init__(self, redis: AsyncRedis) -> None:
        self.redis = redis
        self.channel = channel_of(redis)
        self._by_contact: dict[str, set[Sink]] = defaultdict(set)
        self._by_agent: dict[str, set[Sink]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="chat-hub")

    async def wait_listening(self, timeout: float = 5.0) -> None:
        """Until the hub is subscribed (items published before that are not heard)."""
        await asyncio.wait_for(self._listening.wait(), timeout)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.redis.aclose()

    async def publish(self, item: Item) -> None:
        """Send an item to every process (from async code; store it in SQL first)."""
        await self.redis.publish(self.channel, _encode(item))

    @contextlib.asynccontextmanager
    async def contact_feed(self, contact_id: int | str) -> AsyncIterator[Feed]:
        """Items of one chat (for the customer's socket) while the context is open."""
        async with self._feed(self._by_contact, str(contact_id)) as feed:
            yield feed

    @contextlib.asynccontextmanager
    async def agent_feed(self, agent_id: int | str) -> AsyncIterator[Feed]:
        """Items of every chat an agent serves (for the console's socket) while the context is open."""
        async with self._feed(self._by_agent, str(agent_id)) as feed:
            yield feed

    @contextlib.asynccontextmanager
    async def agent_sink(self, agent_id: int | str, sink: Sink) -> AsyncIterator[None]:
        """An agent's chat items pushed into a queue the caller already reads (the console socket's
        routing subscription, so one socket needs no second queue and task for chats)."""
        index = self._by_agent[str(agent_id)]
        index.add(sink)
        try:
            yield
        finally:
            index.discard(sink)
            if not index:
                self._by_agent.pop(str(agent_id), None)

    @contextlib.asynccontextmanager
    async def _feed(self, index: dict[str, set[Sink]], key: str) -> AsyncIterator[Feed]:
        feed = Feed()
        index[key].add(feed)
        try:
            yield feed
        finally:
            index[key].discard(feed)
            if not index[key]:
                index.pop(key, None)

    def _dispatch(self, item: Item) -> None:
        for feed in self._by_contact.get(str(item.get("contact")), ()):
            feed.push(item)
        agent = item.get("agent")
        if agent:
            for feed in self._by_agent.get(str(agent), ()):
                feed.push(item)

    async def _listen(self) -> None:
        while True:
            try:
                async with self.redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._listening.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._dispatch(json.loads(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis restarting: listen again; sockets catch up from SQL on reconnect
                self._listening.clear()
                log.exception("listening for chat items failed; retrying")
                await asyncio.sleep(1)
