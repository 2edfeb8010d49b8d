"""Call progress status callbacks (StatusCallback + StatusCallbackEvent), numbered per call."""

from __future__ import annotations

import asyncio
import contextlib

from .call_engine import CallEngine
from .ids import rfc2822, utcnow


class Progress:
    """Posts the status callbacks a call subscribed to, with Twilio's SequenceNumber.

    Twilio does not wait for the app's answer to `initiated`, `ringing` or `answered` before the call
    goes on (the callbacks are asynchronous), so neither does the sandbox: they go out in order in the
    background. `completed` is awaited, after the earlier ones, so a finished call has told the app all.
    """

    def __init__(self, engine: CallEngine) -> None:
        self._engine = engine
        self._sequence = 0
        self._pending: asyncio.Task[None] | None = None

    async def report(self, event: str, status: str) -> None:
        """Report `event` (initiated, ringing, answered, completed) with CallStatus `status`."""
        call = self._engine.call
        callback = call.status_callback
        if callback is None or event not in callback.events:
            return
        moment = call.ended_at if event == "completed" and call.ended_at else utcnow()
        params = {
            "CallStatus": status,
            "Timestamp": rfc2822(moment) or "",
            "SequenceNumber": str(self._sequence),
            "CallbackSource": "call-progress-events",
        }
        if event == "completed":
            params["CallDuration"] = str(call.duration or 0)
        self._sequence += 1
        earlier = self._pending

        async def send() -> None:
            if earlier is not None:
                with contextlib.suppress(Exception):
                    await earlier
            await self._engine.notify(
                callback.url, callback.method, params, kind="status-callback", callback_event=event
            )

        if event == "completed":
            self._pending = None
            await send()
            return
        self._pending = asyncio.get_running_loop().create_task(send())
