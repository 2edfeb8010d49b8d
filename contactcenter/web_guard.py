"""What a browser may do with the app from another site, and the headers every answer carries.

A pure ASGI middleware, outermost of the app's own (docs/security.md):

- A state-changing request (POST, PUT, PATCH, DELETE) whose `Origin` — or, without one, `Referer` — is
  not the app's own is refused 403 before any handler runs; so is a websocket handshake (/agents/ws,
  /supervisors/ws, /chat/ws). The app's own origin is PUBLIC_BASE_URL's, or the request's own scheme and
  `Host` (the same app reached by another name, e.g. localhost for 127.0.0.1). The customer chat's API
  and socket also take CHAT_ALLOWED_ORIGINS (the company site embedding it). A request with neither
  header comes from no web page (every browser sends `Origin` with these methods and with websockets),
  so scripts and the CLI go on as before; `Origin: null` (a sandboxed or privacy-stripped page) is refused.
- The JSON API takes only JSON: a body of another type is refused 415 (a page of another site can send
  text/plain or a form without asking the browser first, never application/json). The login and logout
  forms are form posts, and the routes that take a file (`uploads`: multipart/form-data) upload one,
  guarded by their Origin alone.
- Twilio's webhooks (/twilio/…) are signed, carry no Origin and are the hot path: passed through untouched.
- Every other answer gets a Content-Security-Policy (scripts and styles from the app's files only, no
  framing but the chat page's by CHAT_ALLOWED_ORIGINS), X-Frame-Options, Referrer-Policy,
  X-Content-Type-Options, and HSTS when PUBLIC_BASE_URL is https.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contactcenter.settings import Settings

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WEBHOOKS = "/twilio/"
FORM_PATHS = frozenset({"/login", "/logout", "/password"})  # form posts of the app's own pages
CHAT_API, CHAT_SOCKET, CHAT_PAGE = "/api/chat/", "/chat/ws", "/chat"
# Twilio's Voice SDK (the console's phone with real Twilio) talks to *.twilio.com and plays its sounds
# from sdk.twilio.com; the sandbox's phone talks to TWILIO_API_BASE.
TWILIO_CONNECT = "https://*.twilio.com wss://*.twilio.com"
TWILIO_MEDIA = "https://sdk.twilio.com"
CROSS_ORIGIN = "请求来自其他网站,已拒绝。Refused: the request comes from another site ({origin})."
NOT_JSON = "请以 JSON 发送。Send the body as application/json (got {kind})."
ScopeHeaders = list[tuple[bytes, bytes]]


def content_security_policy(settings: Settings, *, frame_ancestors: str) -> str:
    """The policy of every answer; only `frame-ancestors` differs between the chat page and the rest."""
    sandbox = _origin(settings.twilio_api) if settings.twilio_api_base else ""
    parts = [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        f"media-src 'self' blob: data: {TWILIO_MEDIA}",
        f"connect-src 'self' {sandbox} {TWILIO_CONNECT}".replace("  ", " "),
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ]
    if settings.https:
        parts.append("upgrade-insecure-requests")
    return "; ".join(parts)


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for X-Forwarded-For/-Proto: believed from TRUSTED_PROXIES only, never from
    anyone when none is named (uvicorn alone trusts 127.0.0.1, or FORWARDED_ALLOW_IPS, by default)."""
    return {"proxy_headers": bool(settings.trusted_proxies), "forwarded_allow_ips": list(settings.trusted_proxies)}


def _origin(url: str) -> str:
    """scheme://host[:port] of a URL, lowercased; "" when it has none."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[nonsense": no origin, so not ours
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


class WebGuard:
    """The ASGI middleware: origin and content-type checks, security headers (see the module's text)."""

    def __init__(self, app: ASGIApp, settings: Settings, uploads: tuple[re.Pattern[str], ...] = ()) -> None:
        self.app = app
        self.uploads = uploads
        self.public = settings.public_origin
        self.embedders = frozenset(settings.chat_allowed_origins)
        common: ScopeHeaders = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        if settings.https:
            common.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        framed_by = " ".join(["'self'", *settings.chat_allowed_origins]) if self.embedders else "'none'"
        self.headers = [
            *common,
            (b"content-security-policy", content_security_policy(settings, frame_ancestors="'none'").encode()),
            (b"x-frame-options", b"DENY"),
        ]
        chat_policy = content_security_policy(settings, frame_ancestors=framed_by).encode()
        self.chat_headers = [*common, (b"content-security-policy", chat_policy)]
        if not self.embedders:
            self.chat_headers.append((b"x-frame-options", b"DENY"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path: str = scope["path"]
            if path.startswith(WEBHOOKS):
                await self.app(scope, receive, send)
                return
            extra = self.chat_headers if path == CHAT_PAGE else self.headers
            refusal = self._refusal(scope) if scope["method"] in STATE_CHANGING else None
            if refusal is not None:
                await _answer(send, *refusal, extra)
                return
            await self.app(scope, receive, _adding(send, extra))
        elif kind == "websocket" and not self._allowed(scope, chat=scope["path"] == CHAT_SOCKET):
            # Before accepting: the server answers the handshake 403, the page's script learns nothing.
            await receive()  # the connect message
            await send({"type": "websocket.close", "code": 4403, "reason": "another site's page"})
        else:
            await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> tuple[int, str, str] | None:
        """(status, code, message) when the request may not go on."""
        path: str = scope["path"]
        if not self._allowed(scope, chat=path.startswith(CHAT_API)):
            origin = _header(scope["headers"], b"origin") or _header(scope["headers"], b"referer")
            return 403, "cross_origin", CROSS_ORIGIN.format(origin=origin[:200])
        if path in FORM_PATHS:
            return None
        headers = scope["headers"]
        kind = _header(headers, b"content-type").split(";", 1)[0].strip().lower()
        if kind:
            if kind == "application/json" or kind.endswith("+json"):
                return None
            if kind == "multipart/form-data" and any(upload.match(path) for upload in self.uploads):
                return None
        elif _header(headers, b"content-length") in ("", "0") and not _header(headers, b"transfer-encoding"):
            return None  # no body at all: nothing to misread
        return 415, "unsupported_media_type", NOT_JSON.format(kind=kind[:100] or "no content type")

    def _allowed(self, scope: Scope, *, chat: bool) -> bool:
        """The request's Origin (else its Referer's) is the app's own, or an embedder's on the chat's paths."""
        headers = scope["headers"]
        origin = _header(headers, b"origin").lower()
        if not origin:
            referer = _header(headers, b"referer")
            if not referer:
                return True  # no web page sent it
            origin = _origin(referer)
        if origin == self.public or (chat and origin in self.embedders):
            return True
        host = _header(headers, b"host").lower()
        scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "http"), scope.get("scheme", "http"))
        return bool(host) and origin == f"{scheme}://{host}"


def _header(headers: ScopeHeaders, name: bytes) -> str:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return ""


def _adding(send: Send, extra: ScopeHeaders) -> Send:
    """`send` with `extra` headers on the response's start (those the app set itself win)."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {key.lower() for key, _ in message.get("headers", ())}
            message["headers"] = [*message.get("headers", ()), *(h for h in extra if h[0] not in present)]
        await send(message)

    return sending


async def _answer(send: Send, status: int, code: str, message: str, extra: ScopeHeaders) -> None:
    body = json.dumps({"error": message, "code": code}, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
