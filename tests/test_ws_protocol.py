"""Events written to a socket as frames prepared once for all sockets (contactcenter/ws_protocol.py),
and the ordinary path whenever a socket cannot take them now."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from uvicorn.importer import import_from_string
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState

from contactcenter import cli
from contactcenter.sockets import forward_events, text_frame
from contactcenter.ws_protocol import EXTENSION, PROTOCOL, FrameWritingProtocol
from queues.stream import Event, StreamEvent, Subscription
from tests.ws_memory import MemorySocket, MemoryTransport, open_memory_socket


def stored(seq: int, **fields: Any) -> StreamEvent:
    """An event as the hub reads it from the stream."""
    return StreamEvent(json.dumps({"seq": seq, "type": "announcement", "broadcast": True, **fields}).encode())


def forwarding_app(sub: Subscription, *, after: int = 0, keep: Callable[[Event], bool] = lambda e: True) -> Starlette:
    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        await forward_events(ws, sub, after, keep=keep)

    return Starlette(routes=[WebSocketRoute("/ws", endpoint)])


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(test())


async def open_forwarding(sub: Subscription, protocol: type[WebSocketsSansIOProtocol], **app: Any) -> MemorySocket:
    socket = await open_memory_socket(forwarding_app(sub, **app), protocol)
    await settle()  # the app subscribes and waits for events
    return socket


def test_an_event_for_a_waiting_socket_is_written_at_once_without_waking_its_task() -> None:
    async def scenario() -> None:
        sub = Subscription("7")
        socket = await open_forwarding(sub, FrameWritingProtocol)
        event = stored(1, text="系统维护 <b>19:00</b>")
        sub.push(event)  # no await: written before the socket's task could have run
        assert socket.texts() == [event.text]

    run(scenario)


def test_the_prepared_frame_is_the_frame_the_ordinary_path_writes() -> None:
    async def scenario() -> None:
        direct_sub, ordinary_sub = Subscription("7"), Subscription("7")
        direct = await open_forwarding(direct_sub, FrameWritingProtocol)
        ordinary = await open_forwarding(ordinary_sub, WebSocketsSansIOProtocol)
        event = stored(1, text="x" * 300)  # a 16-bit length, as most events have
        direct_sub.push(event)
        ordinary_sub.push(event)
        assert ordinary.transport.data == b""  # the ordinary path waits for the socket's task
        await settle()
        assert direct.transport.data == ordinary.transport.data
        assert ordinary.texts() == [event.text]

    run(scenario)


def test_events_queued_before_the_reader_waits_go_first_through_the_reader() -> None:
    async def scenario() -> None:
        sub, written = Subscription("7"), []

        def write(event: Event) -> bool:
            written.append(event["seq"])
            return True  # taken

        sub.direct = write
        sub.push(stored(1))  # nobody waits yet (e.g. the console is still sending its catch-up)
        sub.push(stored(2))
        assert written == []
        assert [(await sub.get())["seq"], (await sub.get())["seq"]] == [1, 2]
        reader = asyncio.create_task(sub.get())
        await settle()  # the reader waits with nothing queued
        sub.push(stored(3))
        assert written == [3]
        assert not reader.done()  # not woken
        reader.cancel()

    run(scenario)


def test_a_full_write_buffer_sends_the_ordinary_way_and_keeps_the_order() -> None:
    async def scenario() -> None:
        sub = Subscription("7")
        socket = await open_forwarding(sub, FrameWritingProtocol)
        socket.protocol.pause_writing()  # the transport's buffer is above its high-water mark
        first, second = stored(1), stored(2)
        sub.push(first)
        await settle()  # the task took `first` and waits for the buffer to drain
        sub.push(second)
        assert socket.texts() == []
        socket.protocol.resume_writing()
        await settle()
        assert socket.texts() == [first.text, second.text]
        third = stored(3)
        sub.push(third)  # drained and waiting again: straight to the socket
        assert socket.texts() == [third.text]

    run(scenario)


def test_events_the_socket_does_not_want_are_not_written() -> None:
    async def scenario() -> None:
        sub = Subscription("7")
        socket = await open_forwarding(sub, FrameWritingProtocol, after=5, keep=lambda e: e.get("queue") != "vip")
        for event in [stored(4), stored(5), stored(6, queue="vip"), stored(7, queue="general")]:
            sub.push(event)
        assert [json.loads(text)["seq"] for text in socket.texts()] == [7]

    run(scenario)


def test_a_closed_socket_declines_prepared_frames_and_the_push_does_not_fail() -> None:
    async def scenario() -> None:
        sub = Subscription("7")
        socket = await open_forwarding(sub, FrameWritingProtocol)
        socket.protocol.connection_lost(None)
        assert isinstance(socket.protocol, FrameWritingProtocol)
        assert socket.protocol.write_frame(b"\x81\x00") is False
        sub.push(stored(1))
        await settle()
        assert socket.texts() == []

    run(scenario)


def test_a_socket_the_app_closed_gets_no_frame_after_its_close_frame() -> None:
    close_now = asyncio.Event()

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        forwarding = asyncio.create_task(forward_events(ws, sub, 0))  # still subscribed after the close below
        await close_now.wait()
        await ws.close(code=4000)  # e.g. the heartbeat gave up on this console
        await forwarding

    async def scenario() -> None:
        socket = await open_memory_socket(Starlette(routes=[WebSocketRoute("/ws", endpoint)]), FrameWritingProtocol)
        await settle()
        close_now.set()
        await settle()
        closed_at = len(socket.transport.data)
        sub.push(stored(1))
        assert len(socket.transport.data) == closed_at
        assert isinstance(socket.protocol, FrameWritingProtocol)
        assert socket.protocol.write_frame(text_frame("{}")) is False

    sub = Subscription("7")
    run(scenario)


def test_no_prepared_frame_is_written_before_the_handshake() -> None:
    async def scenario() -> None:
        config = uvicorn.Config(Starlette(), log_level="warning", lifespan="off")
        config.load()
        protocol = FrameWritingProtocol(config, ServerState(), {})
        transport = MemoryTransport()
        protocol.connection_made(transport)
        assert protocol.write_frame(text_frame("{}")) is False
        assert transport.writes == 0

    run(scenario)


def test_a_direct_send_that_fails_queues_the_event_and_is_not_tried_again(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        sub = Subscription("7")
        tried: list[int] = []

        def failing(event: Event) -> bool:
            tried.append(event["seq"])
            raise RuntimeError("socket gone wrong")

        sub.direct = failing
        reader = asyncio.create_task(sub.get())
        await settle()
        sub.push(stored(1))
        assert (await reader)["seq"] == 1  # queued for the reader instead
        reader = asyncio.create_task(sub.get())
        await settle()
        sub.push(stored(2))
        assert (await reader)["seq"] == 2
        assert tried == [1]

    with caplog.at_level("ERROR", logger="queues.stream"):
        run(scenario)
    assert len([r for r in caplog.records if "directly failed" in r.getMessage()]) == 1


def test_the_frame_writer_is_not_offered_when_deflate_was_negotiated() -> None:
    seen: list[dict[str, Any]] = []

    async def endpoint(ws: WebSocket) -> None:
        seen.append(dict(ws.scope["extensions"]))
        await ws.accept()

    async def scenario() -> None:
        app = Starlette(routes=[WebSocketRoute("/ws", endpoint)])
        await open_memory_socket(app, FrameWritingProtocol)
        await open_memory_socket(app, FrameWritingProtocol, deflate=True)

    run(scenario)
    assert [EXTENSION in extensions for extensions in seen] == [True, False]


def test_contactcenter_serve_runs_the_frame_writing_protocol_without_deflate(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr("uvicorn.run", lambda app, **settings: started.update(settings))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/serve.db")
    assert cli.main(["serve", "--no-migrate", "--port", "0"]) == 0
    assert import_from_string(started["ws"]) is FrameWritingProtocol
    assert started["ws"] == PROTOCOL
    assert started["ws_per_message_deflate"] is False
