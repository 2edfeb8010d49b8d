"""The process's event hub (queues/stream.py) keeps following the routing stream whatever happens to
one event or to its Redis connection, and skips nothing: a hub that stops or skips leaves every console
of its process without events until the process restarts.

Each test runs on its own event loop with an overall deadline, against the tests' Redis through the
asyncio client (as the hub does), on a stream key of its own."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest
from redis.asyncio import Redis
from redis.typing import EncodableT, FieldT

from queues.stream import EventHub, Subscription

DEADLINE = 20.0  # seconds for a whole scenario, stop included
pytestmark = pytest.mark.timeout(40)  # if the deadline itself were stuck


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), DEADLINE))


def entry(seq: int, text: str = "") -> dict[FieldT, EncodableT]:
    """A stream entry as the routing scripts write it (id `seq`-0)."""
    return {"e": json.dumps({"seq": seq, "type": "announcement", "broadcast": True, "text": text})}


class Received:
    """The seqs a subscription got, gathered by a task of their own."""

    def __init__(self, sub: Subscription) -> None:
        self.seqs: list[int | str] = []
        self._task = asyncio.create_task(self._gather(sub))

    async def _gather(self, sub: Subscription) -> None:
        while True:
            event = await sub.get()
            self.seqs.append(event["seq"] if "seq" in event else event["type"])

    async def until(self, seqs: list[int | str], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.seqs != seqs:
            assert time.monotonic() < deadline, f"got {self.seqs}, expected {seqs}"
            await asyncio.sleep(0.02)

    def close(self) -> None:
        self._task.cancel()


class Stream:
    """The test's stream key, written through a client of the test's own."""

    def __init__(self, redis_url: str) -> None:
        self.key = f"test:{{hub-{uuid.uuid4().hex[:8]}}}:events"
        self.writer = Redis.from_url(redis_url)

    async def add(self, seq: int, text: str = "") -> None:
        await self.writer.xadd(self.key, entry(seq, text), id=f"{seq}-0")


@asynccontextmanager
async def following(
    redis_url: str, hub_redis: Redis | None = None, stream: Stream | None = None
) -> AsyncIterator[tuple[Stream, EventHub, Received]]:
    """A started hub on a new stream (or `stream`), one subscriber of everything, and a way to add entries."""
    stream = stream or Stream(redis_url)
    hub = EventHub(hub_redis or Redis.from_url(redis_url, socket_timeout=10), stream.key)
    try:
        await hub.start()
        async with hub.subscribe(None) as sub:
            received = Received(sub)
            try:
                yield stream, hub, received
            finally:
                received.close()
    finally:
        try:
            started = time.monotonic()
            await hub.stop()
            assert time.monotonic() - started < 2, "stopping the hub took too long"
        finally:
            await stream.writer.delete(stream.key)
            await stream.writer.aclose()


def named(redis_url: str, name: str) -> Redis:
    """A client for the hub whose connections can be told from the others (CLIENT LIST)."""
    return Redis.from_url(redis_url, socket_timeout=10, client_name=name)


async def until_reading(redis: Redis, name: str) -> None:
    """Until a connection named `name` waits in XREAD (the hub has read the stream at least once)."""
    for _ in range(200):
        if any(c["name"] == name and c["cmd"] == "xread" for c in await redis.client_list()):
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"no connection named {name} waits in XREAD")


def test_the_hub_keeps_delivering_after_one_event_fails_to_dispatch(redis_url: str) -> None:
    async def scenario() -> None:
        name = f"hub-{uuid.uuid4().hex[:8]}"
        async with following(redis_url, named(redis_url, name)) as (stream, _hub, received):
            await until_reading(stream.writer, name)
            await stream.add(1)
            await received.until([1])
            # An entry the hub cannot decode (a field it does not know, as a stranger's XADD would write).
            await stream.writer.xadd(stream.key, {"x": "not an event"}, id="2-0")
            await stream.add(3)
            await received.until([1, 3])

    run(scenario)


def test_the_hub_delivers_an_event_added_as_it_starts_before_its_first_read(redis_url: str) -> None:
    async def scenario() -> None:
        stream = Stream(redis_url)
        hub_redis = Redis.from_url(redis_url, socket_timeout=10)
        read = hub_redis.xread

        async def added_first(*args: Any, **kwargs: Any) -> Any:
            if not added:  # a console's offer made just as the process starts
                added.append(True)
                await stream.add(1)
            return await read(*args, **kwargs)

        added: list[bool] = []
        hub_redis.xread = added_first  # type: ignore[method-assign]
        async with following(redis_url, hub_redis, stream) as (_stream, _hub, received):
            await received.until([1])

    run(scenario)


def test_the_hub_delivers_an_event_added_between_two_of_its_reads(redis_url: str) -> None:
    async def scenario() -> None:
        stream = Stream(redis_url)
        hub_redis = Redis.from_url(redis_url, socket_timeout=10)
        read = hub_redis.xread
        reads: list[object] = []

        async def added_after_the_first(*args: Any, **kwargs: Any) -> Any:
            reads.append(args)
            if len(reads) == 2:  # the first read found nothing; this event comes before the second one
                await stream.add(1)
            return await read(*args, **kwargs)

        hub_redis.xread = added_after_the_first  # type: ignore[method-assign]
        async with following(redis_url, hub_redis, stream) as (_stream, _hub, received):
            await received.until([1], timeout=5)
            await stream.add(2)
            await received.until([1, 2])

    run(scenario)


def test_the_hub_resumes_after_its_redis_connection_is_killed_without_skipping_events(redis_url: str) -> None:
    async def scenario() -> None:
        name = f"hub-{uuid.uuid4().hex[:8]}"  # only the hub's connections are killed, not other tests'
        async with following(redis_url, named(redis_url, name)) as (stream, _hub, received):
            await until_reading(stream.writer, name)
            killed = 0
            for client in await stream.writer.client_list():
                if client["name"] == name:
                    killed += await stream.writer.client_kill_filter(_id=client["id"])
            assert killed
            await stream.add(1)  # while the hub has no connection
            await stream.add(2)
            await received.until([1, 2])
            await stream.add(3)
            await received.until([1, 2, 3])

    run(scenario)


def test_the_hub_reads_on_when_its_stream_starts_over_as_after_redis_lost_its_data(redis_url: str) -> None:
    async def scenario() -> None:
        name = f"hub-{uuid.uuid4().hex[:8]}"
        async with following(redis_url, named(redis_url, name)) as (stream, _hub, received):
            await until_reading(stream.writer, name)
            for seq in (1, 2, 3):
                await stream.add(seq)
            await received.until([1, 2, 3])
            await stream.writer.delete(stream.key)  # a flushed Redis, or one restarted without its data
            await stream.add(1)
            # Subscribers are told to resync first: their clients' numbers mean nothing any more.
            await received.until([1, 2, 3, "resync", 1], timeout=5)
            await stream.add(2)
            await received.until([1, 2, 3, "resync", 1, 2])

    run(scenario)


def test_the_hub_notices_a_stream_that_started_over_and_climbed_past_it_before_its_next_read(
    redis_url: str,
) -> None:
    """A rebuild writes many events at once: the new stream passes the hub's position before the hub reads
    again, so neither a gap nor a stream shorter than the position shows it (found by the rebuild's tests:
    consoles were never sent to resync)."""

    async def scenario() -> None:
        name = f"hub-{uuid.uuid4().hex[:8]}"
        async with following(redis_url, named(redis_url, name)) as (stream, _hub, received):
            await until_reading(stream.writer, name)
            for seq in (1, 2, 3):
                await stream.add(seq)
            await received.until([1, 2, 3])
            async with stream.writer.pipeline(transaction=True) as pipe:  # lost, and five events at once
                pipe.delete(stream.key)
                for seq in range(1, 6):
                    pipe.xadd(stream.key, entry(seq, "after the rebuild"), id=f"{seq}-0")
                await pipe.execute()
            deadline = time.monotonic() + 5
            while "resync" not in received.seqs or received.seqs[-5:] != [1, 2, 3, 4, 5]:
                assert time.monotonic() < deadline, f"got {received.seqs}: no resync and new stream read"
                await asyncio.sleep(0.02)

    run(scenario)


def test_stopping_the_hub_is_prompt_though_a_redis_call_swallows_the_cancel(redis_url: str) -> None:
    async def scenario() -> None:
        name = f"hub-{uuid.uuid4().hex[:8]}"
        hub_redis = named(redis_url, name)
        swallowed: list[str] = []

        def swallowing_one_cancel(call: Callable[..., Any]) -> Callable[..., Any]:
            """The call, losing the first cancel that comes while it runs, as redis-py's calls may: with a
            socket timeout each command is written through asyncio.wait_for, which on Python 3.11 returns
            the inner result instead of raising when the cancel comes just after the write ended."""

            async def lossy(*args: Any, **kwargs: Any) -> Any:
                running = asyncio.ensure_future(call(*args, **kwargs))
                try:
                    return await asyncio.shield(running)
                except asyncio.CancelledError:
                    if swallowed:
                        running.cancel()
                        raise
                    swallowed.append(call.__name__)
                    return await running

            return lossy

        hub_redis.xread = swallowing_one_cancel(hub_redis.xread)  # type: ignore[method-assign]
        hub_redis.xrevrange = swallowing_one_cancel(hub_redis.xrevrange)  # type: ignore[method-assign]
        async with following(redis_url, hub_redis) as (stream, _hub, received):
            await until_reading(stream.writer, name)
            await stream.add(1)
            await received.until([1])
        assert swallowed  # the stop's first cancel was lost

    run(scenario)


def test_stopping_the_hub_is_prompt_while_redis_cannot_be_reached(redis_url: str) -> None:
    async def scenario() -> None:
        name = f"hub-{uuid.uuid4().hex[:8]}"
        hub_redis = named(redis_url, name)
        async with following(redis_url, hub_redis) as (stream, hub, _received):
            await until_reading(stream.writer, name)
            # From now on every try fails at once (as when Redis is down): the hub waits between tries.
            hub.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
            for client in await stream.writer.client_list():
                if client["name"] == name:
                    await stream.writer.client_kill_filter(_id=client["id"])
            await asyncio.sleep(0.5)
        await hub_redis.aclose()

    run(scenario)
