"""What the websockets share: serving one socket with several loops at once (send events, answer
pings, ...) until the first of them ends, because then the socket is closing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any


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
