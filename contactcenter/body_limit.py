"""Request bodies capped before the app reads them: 413, refused by Content-Length before a byte of the
body is read, or while a body without one (chunked) streams in.

Pure ASGI and outermost (ahead of ivr/fast_opening.py, which answers a call's first webhook before the
rest of the stack): a request costs one look at its headers, since the server (uvicorn) never delivers
more than a Content-Length, and a request with neither that nor Transfer-Encoding has no body; only a
chunked body is counted as it arrives. The JSON
API answers {"error", "code": "too_large"}; Twilio's webhooks (`/twilio/…`) get plain text, as every
other refusal of a webhook (ivr/webhook.py): TwiML clients never get the API's JSON. A route that takes a
file (a ticket's attachment) declares an `Upload`: its own, larger cap and the refusal that names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contactcenter.errors import CODES
from contactcenter.responses import JSONResponse

WEBHOOK_PREFIX = "/twilio/"


@dataclass(frozen=True)
class Upload:
    """Requests whose path matches `path` take a file: their body may be up to `limit` bytes, and a larger
    one is refused with `message` (which says what the file may be)."""

    path: re.Pattern[str]
    limit: int
    message: str


@dataclass(frozen=True)
class BodyLimits:
    api_bytes: int  # MAX_BODY_BYTES
    webhook_bytes: int  # MAX_WEBHOOK_BODY_BYTES
    uploads: tuple[Upload, ...] = ()


class BodyTooLarge(Exception):
    """Raised from `receive` once a chunked body passes its cap; the middleware answers 413."""


class BodyLimit:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, chunked = None, False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
        if length is None and not chunked:  # no body (a GET): nothing to count
            await self.app(scope, receive, send)
            return
        webhook = scope["path"].startswith(WEBHOOK_PREFIX)
        limit = self.limits.webhook_bytes if webhook else self.limits.api_bytes
        upload = None if webhook else next((u for u in self.limits.uploads if u.path.match(scope["path"])), None)
        if upload is not None:
            limit = upload.limit
        if chunked or length is None:  # chunked framing wins over a Content-Length sent with it
            await self._counted(scope, receive, send, limit, webhook, upload)
        elif not length.isdigit():
            await _refusal(400, "Content-Length is not a number of bytes.", webhook)(scope, receive, send)
        elif int(length) > limit:
            await too_large(limit, webhook, upload)(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _counted(
        self, scope: Scope, receive: Receive, send: Send, limit: int, webhook: bool, upload: Upload | None
    ) -> None:
        """A body without Content-Length: counted as it arrives; past the cap, whatever the app was
        answering is dropped (a handler may turn the error into its own answer) and 413 goes instead."""
        received = 0
        refused = started = False

        async def counting() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if not refused:
                started = True
                await send(message)

        try:
            await self.app(scope, counting, guarded)
        except BodyTooLarge:
            pass
        except Exception:
            if not refused:
                raise
        if refused and not started:
            await too_large(limit, webhook, upload)(scope, receive, send)


def too_large(limit: int, webhook: bool, upload: Upload | None = None) -> Response:
    message = f"请求内容超过 {limit} 字节。The request body is larger than {limit} bytes."
    return _refusal(413, upload.message if upload else message, webhook)


def _refusal(status: int, message: str, webhook: bool) -> Response:
    if webhook:
        return PlainTextResponse(message, status_code=status, headers={"Connection": "close"})
    body = {"error": message, "code": CODES[status]}
    return JSONResponse(body, status_code=status, headers={"Connection": "close"})
