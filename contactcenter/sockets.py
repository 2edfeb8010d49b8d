"""What the websockets share: serving one socket with several loops at once (send events, answer
pings, ...) until the first of them ends, because then the socket is closing; and forwarding the
routing events a socket subscribed to, as frames built once for all sockets where the server can
write them (contactcenter/ws_protocol.py)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.websockets import WebSocket
from websockets.frames import Frame, Opcode

from contactcenter.errors import json_value
from contactcenter.ws_protocol import EXTENSION
from queues.stream import Event, Subscription, text_of

FrameWriter = Callable[[bytes], bool]


async def receive_json(ws: WebSocket) -> Any:
    """A client's message read as every HTTP JSON body is (contactcenter.errors.json_value): Invalid, a
    ValueError, when it is no UTF-8 JSON or nests too deep (starlette's own would raise RecursionError)."""
    return json_value((await ws.receive_text()).encode("utf-8", "surrogatepass"))


async def until_first_ends(*loops: Coroutine[Any, Any, object]) -> None:
    """Run the loops together; when one returns or fails, cancel the others and wait for them."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):  # the socket is closing anyway
                await task


async def forward_events(
    ws: WebSocket,
    sub: Subscription,
    after: int,
    *,
    keep: Callable[[Event], bool] = lambda event: True,
    text: Callable[[Event], str] = text_of,
) -> None:
    """Send the subscription's events after `after` that `keep` accepts, in order, as `text` renders
    them (the stored JSON by default: not encoded once per socket); items without a number (chat
    messages) always go. A subscriber that fell behind is closed (4000) and resyncs on reconnect.

    While this loop waits with nothing queued, the hub hands each event straight to the socket as a
    prepared frame, without waking the loop (Subscription.direct), where the server offers that."""

    def wanted(event: Event) -> bool:
        return event.get("seq", after + 1) > after and keep(event)

    write = frame_writer(ws)
    if write is not None:
        sub.direct = lambda event: not wanted(event) or write(text_frame(text(event)))
    try:
        while True:
            event = await sub.get()
            if sub.overflowed:
                await ws.close(code=4000, reason="fell behind; reconnect to resync")
                return
            if wanted(event):
                await ws.send_text(text(event))
    finally:
        sub.direct = None


def frame_writer(ws: WebSocket) -> FrameWriter | None:
    """The server's way to write a prepared frame to this socket, if it offers one."""
    extension = ws.scope.get("extensions", {}).get(EXTENSION)
    return extension["write"] if extension else None


@functools.lru_cache(maxsize=256)
def text_frame(text: str) -> bytes:
    """A complete server-to-client text frame; the same event text is framed once for every socket."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)
