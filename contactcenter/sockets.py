"""What the websockets share: serving one socket with several loops at once (send events, answer
pings, ...) until the first of them ends, because then the socket is closing; and forwarding the
routing events a socket subscribed to."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.websockets import WebSocket

from queues.stream import Event, Subscription, text_of


async def until_first_ends(*loops: Coroutine[Any, Any, None]) -> None:
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
    messages) always go. A subscriber that fell behind is closed (4000) and resyncs on reconnect."""
    while True:
        event = await sub.get()
        if sub.overflowed:
            await ws.close(code=4000, reason="fell behind; reconnect to resync")
            return
        if event.get("seq", after + 1) > after and keep(event):
            await ws.send_text(text(event))
