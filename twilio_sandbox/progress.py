"""Call progress status callbacks (StatusCallback + StatusCallbackEvent), numbered per call."""

from __future__ import annotations

from .call_engine import CallEngine
from .ids import rfc2822, utcnow


class Progress:
    """Posts the status callbacks a call subscribed to, with Twilio's SequenceNumber."""

    def __init__(self, engine: CallEngine) -> None:
        self._engine = engine
        self._sequence = 0

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
        await self._engine.notify(callback.url, callback.method, params, kind="status-callback", callback_event=event)
