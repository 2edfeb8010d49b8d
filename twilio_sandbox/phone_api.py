"""The softphone page and the live event stream of a call (Server-Sent Events)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .calls import Call
from .control_api import error
from .sandbox import Sandbox

STATIC_DIR = Path(__file__).parent / "static"
# A comment line now and then keeps proxies and browsers from closing a quiet stream.
KEEPALIVE_SECONDS = 15.0


def _event(event_id: int, name: str, data: object) -> str:
    """One SSE message."""
    return f"id: {event_id}\nevent: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


class PhoneApi:
    """Request handlers for the softphone, bound to one sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def routes(self) -> list[Route | Mount]:
        """Starlette routes of the softphone."""
        return [
            Route("/sandbox/phone", self.page, methods=["GET"]),
            Route("/sandbox/numbers", self.numbers, methods=["GET"]),
            Route("/sandbox/calls/{call_sid}/events", self.events, methods=["GET"]),
            Mount("/sandbox/static", app=StaticFiles(directory=STATIC_DIR), name="sandbox-static"),
        ]

    async def page(self, request: Request) -> Response:
        """GET /sandbox/phone: the softphone."""
        return FileResponse(STATIC_DIR / "phone.html", media_type="text/html; charset=utf-8")

    async def numbers(self, request: Request) -> Response:
        """GET /sandbox/numbers: the hotline numbers a caller can dial."""
        return JSONResponse({"numbers": sorted(self.sandbox.config.numbers)})

    async def events(self, request: Request) -> Response:
        """GET /sandbox/calls/{sid}/events: the call's log as it grows, then its end (SSE)."""
        call = self.sandbox.calls.get(request.path_params["call_sid"])
        if call is None:
            return error(404, "no such call")
        start = request.headers.get("Last-Event-ID", "")
        first = int(start) + 1 if start.isdigit() else 0
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return StreamingResponse(self._stream(request, call, first), media_type="text/event-stream", headers=headers)

    async def _stream(self, request: Request, call: Call, index: int) -> AsyncIterator[str]:
        """Log entries from `index` on; a final 'end' message once the call has its final status."""
        yield "retry: 1000\n\n"
        while True:
            changed = call.log_changed
            while index < len(call.log):
                yield _event(index, "log", call.log[index])
                index += 1
            if call.final:
                yield _event(index, "end", {"status": call.status, "duration": call.duration})
                return
            if await request.is_disconnected():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=KEEPALIVE_SECONDS)
                continue
            yield ": keep-alive\n\n"
