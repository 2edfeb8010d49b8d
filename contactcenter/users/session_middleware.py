"""The ASGI middleware of server-side sessions (contactcenter/users/sessions.py), in place of
Starlette's SessionMiddleware: `scope["session"]` is {"user_id": N} for a live session and {} otherwise,
so `request.session` reads as before. A session whose user must change their password reaches only
the pages and calls that do that (MAY_PASS)."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any

from redis import exceptions as redis_errors
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contactcenter.users.sessions import FRESH, SESSION_COOKIE, SESSION_ID, SessionStore

# What a user who must change their password may still reach (and logging out).
MAY_PASS = frozenset({"/password", "/api/me/password", "/logout", "/login", "/api/me", "/healthz"})
STATIC = "/static/"
CHANGE_FIRST = {
    "error": "Set a new password first (修改密码后才能继续): /password",
    "code": "password_change_required",
    "change_password": "/password",
}


def _cookie(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"cookie":
            morsel = SimpleCookie(value.decode("latin-1")).get(SESSION_COOKIE)
            if morsel is not None:
                return morsel.value
    return None


class ServerSessions:
    """Reads the session named by the cookie (one Redis round trip), and starts or ends sessions when
    the route asked for it (`sessions.begin`, or a cleared `request.session`)."""

    def __init__(self, app: ASGIApp, *, https_only: bool, max_age: int) -> None:
        self.app = app
        self.flags = f"; Path=/; Max-Age={max_age}; HttpOnly; SameSite=lax" + ("; Secure" if https_only else "")
        self.expired = "; Path=/; Max-Age=0; HttpOnly; SameSite=lax" + ("; Secure" if https_only else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        store: SessionStore | None = getattr(scope["app"].state, "sessions", None)
        sent_id = _cookie(scope)
        try:
            found = await store.touch(sent_id) if store is not None and sent_id else None
        except (redis_errors.ConnectionError, redis_errors.TimeoutError):  # Redis restarting: try again soon
            await _unavailable(scope, send)
            return
        scope["session"] = {"user_id": found[0]} if found else {}
        if found and found[1]:
            scope["session"]["must_change_password"] = True  # the password page says why it is there
        scope[SESSION_ID] = sent_id if found else None
        if found and found[1] and scope["path"] not in MAY_PASS and not scope["path"].startswith(STATIC):
            if scope["type"] == "websocket":
                scope["session"], scope[SESSION_ID] = {}, None  # the socket answers 4401
            else:
                await _change_password_first(scope, send)
                return
        if scope["type"] == "websocket" or store is None:
            await self.app(scope, receive, send)
            return
        live_id = scope[SESSION_ID]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self._after(scope, message, store, live_id)
            await send(message)

        await self.app(scope, receive, send_wrapper)

    async def _after(self, scope: Scope, message: Message, store: SessionStore, live_id: str | None) -> None:
        fresh: tuple[int, bool] | None = scope.get(FRESH)
        headers = MutableHeaders(scope=message)
        if fresh is not None:
            new_id = await store.start(user_id=fresh[0], must_change=fresh[1], replacing=live_id)
            headers.append("Set-Cookie", f"{SESSION_COOKIE}={new_id}{self.flags}")
        elif live_id is not None and not scope["session"]:  # cleared: logged out
            await store.end(live_id)
            headers.append("Set-Cookie", f"{SESSION_COOKIE}={self.expired}")


async def _unavailable(scope: Scope, send: Send) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1013})  # try again later: the console reconnects
        return
    body = json.dumps({"error": "Sessions cannot be checked just now; try again.", "code": "unavailable"}).encode()
    headers = [(b"content-type", b"application/json"), (b"retry-after", b"2")]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _change_password_first(scope: Scope, send: Send) -> None:
    """A page is sent to the change-password form; anything else is refused with 403."""
    page = scope["method"] == "GET" and not scope["path"].startswith("/api/")
    headers: list[Any] = [(b"location", b"/password")] if page else [(b"content-type", b"application/json")]
    body = b"" if page else json.dumps(CHANGE_FIRST, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 303 if page else 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})
