"""The customer's chat websocket (/chat/ws): catch-up, queue position, messages both ways.

Protocol in events.md. The page proves which chat it is with the token /api/chat/start gave it;
whatever process it lands on, the chat hub brings it what other processes store.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections import deque
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from contactcenter.chats import presence, service, views
from contactcenter.chats.forms import ChatError
from contactcenter.chats.hub import ChatHub, Feed
from contactcenter.chats.models import Sender
from contactcenter.context import Services
from contactcenter.sockets import until_first_ends

HELLO_TIMEOUT = 10.0
QUEUE_POLL_SECONDS = 2.0  # how often a waiting customer's place is looked at (sent when it changes)
QUEUE_REPEAT_SECONDS = 10.0  # and sent anyway this often, so the page knows the line is still alive


class CustomerSocket:
    """One customer page's connection; `sent` keeps each message from being sent to it twice."""

    def __init__(self, ws: WebSocket, services: Services, contact_id: int) -> None:
        self.ws, self.services, self.contact_id = ws, services, contact_id
        self.sent: set[int] = set()
        self.waiting = True
        self.last_place: dict[str, Any] | None = None  # the last `queue` message sent
        self.quiet = 0.0  # seconds since it was sent
        self.posted: deque[float] = deque()  # when its recent messages came (CHAT_MESSAGE_LIMIT per window)

    async def send_message(self, message: dict[str, Any]) -> None:
        if message["id"] not in self.sent:
            self.sent.add(message["id"])
            await self.ws.send_json({"type": "message", "message": message})

    async def end(self, reason: str) -> None:
        await self.ws.send_json({"type": "ended", "reason": reason})
        await self.ws.close(code=1000)

    async def forward(self, feed: Feed) -> None:
        """What the hub brings about this chat, in the customer's terms."""
        async for item in feed:
            kind = item.get("type")
            if kind == "chat.message":
                await self.send_message(item["message"])
            elif kind == "chat.typing" and item.get("from") == Sender.AGENT:
                await self.ws.send_json({"type": "typing", "from": "agent"})
            elif kind == "chat.agent_joined":
                self.waiting = False
                await self.ws.send_json({"type": "agent_joined", "agent_name": item.get("agent_name")})
            elif kind == "chat.transferred":
                self.waiting = True
                await self.ws.send_json({"type": "transferred"})
                await self.send_place(again=True)  # even if the same as before the agent joined
            elif kind == "chat.verified":
                await self.ws.send_json({"type": "verified", "verified": True})
            elif kind == "chat.ended":
                await self.end(item.get("reason", ""))
                return
        await self.ws.close(code=4000, reason="fell behind; reconnect to catch up")

    async def queue_updates(self) -> None:
        """Place in line and estimated wait while the chat waits for an agent (then idle till the socket ends)."""
        while True:
            if self.waiting:
                await self.send_place()
            await asyncio.sleep(QUEUE_POLL_SECONDS)
            self.quiet += QUEUE_POLL_SECONDS

    async def send_place(self, *, again: bool = False) -> None:
        """Send the place and wait when they changed, were last sent long ago, or `again`."""
        update = await run_in_threadpool(self._place)
        if update is not None and (again or update != self.last_place or self.quiet >= QUEUE_REPEAT_SECONDS):
            await self.ws.send_json(update)
            self.last_place, self.quiet = update, 0.0

    def _place(self) -> dict[str, Any] | None:
        routing = self.services.routing
        state = routing.contact(str(self.contact_id)).get("state")
        if state == "offered":  # an agent's console is ringing with it
            return {"type": "queue", "position": 1, "estimated_wait_seconds": 0}
        estimate = routing.wait_estimate(contact_id=str(self.contact_id))
        if estimate is None:
            return None
        seconds = estimate["estimated_wait_seconds"]
        return {
            "type": "queue",
            "position": estimate["position"],
            "estimated_wait_seconds": None if seconds is None else round(seconds),
        }

    async def receive(self) -> None:
        """The customer's messages, typing notices, leaving and pings."""
        while True:
            incoming = await self.ws.receive_json()
            await run_in_threadpool(presence.heard, self.services.redis, contact_id=self.contact_id)
            kind = incoming.get("type") if isinstance(incoming, dict) else None
            if kind == "ping":
                await self.ws.send_json({"type": "pong"})
            elif kind == "message":
                await self._post(incoming)
            elif kind == "typing":
                with contextlib.suppress(ChatError):  # a notice for an ended chat is simply dropped
                    await self._call(service.typing, sender=Sender.CUSTOMER)
            elif kind == "leave":
                await self._call(service.customer_leaves)
                await self.end("customer_left")
                return
            else:
                await self.ws.send_json({"type": "error", "error": "Send message, typing, leave or ping."})

    def _too_soon(self) -> int | None:
        """None when one more message fits this socket's limit (and it is counted), else seconds to wait."""
        settings, now = self.services.settings, time.monotonic()
        window = settings.chat_message_window_seconds
        while self.posted and self.posted[0] <= now - window:
            self.posted.popleft()
        if len(self.posted) >= settings.chat_message_limit:
            return max(1, math.ceil(self.posted[0] + window - now))
        self.posted.append(now)
        return None

    async def _post(self, incoming: dict[str, Any]) -> None:
        if wait := self._too_soon():  # a script flooding the agent; the page keeps the message and resends it
            error = f"发送太快,请 {wait} 秒后再发。Too many messages: wait {wait} seconds."
            refusal = {"type": "error", "code": "too_many", "retry_after": wait, "error": error}
            await self.ws.send_json({**refusal, "client_id": incoming.get("client_id")})
            return
        try:
            message, _ = await self._call(
                service.post_message,
                sender=Sender.CUSTOMER,
                body=incoming.get("body"),
                client_id=incoming.get("client_id"),
            )
        except ChatError as exc:
            await self.ws.send_json({"type": "error", "error": str(exc), "client_id": incoming.get("client_id")})
            return
        await self.send_message(message)

    async def _call(self, action: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(action, self.services, contact_id=self.contact_id, **kwargs)


async def customer_socket(ws: WebSocket) -> None:
    await ws.accept()
    services: Services = ws.app.state.services
    try:
        hello = await asyncio.wait_for(ws.receive_json(), HELLO_TIMEOUT)
    except (TimeoutError, WebSocketDisconnect, json.JSONDecodeError, KeyError):
        await ws.close(code=4400, reason="send hello first")
        return
    if not isinstance(hello, dict) or hello.get("type") != "hello":
        await ws.close(code=4400, reason="send hello first")
        return
    try:
        contact_id = await run_in_threadpool(service.contact_of_token, services, token=hello.get("token"))
    except ChatError as exc:
        await ws.close(code=4401, reason=str(exc))
        return
    after = hello.get("last_message_id")
    after = after if isinstance(after, int) and not isinstance(after, bool) and after > 0 else 0
    hub: ChatHub = ws.app.state.chat_hub
    customer = CustomerSocket(ws, services, contact_id)
    # Listen before reading SQL: a message stored meanwhile then comes by both ways and is sent once.
    async with hub.contact_feed(contact_id) as feed:
        state = await run_in_threadpool(views.chat_state, services, contact_id=contact_id, after=after)
        customer.sent.update(m["id"] for m in state["messages"])
        if state["state"] != "ended":
            await run_in_threadpool(presence.heard, services.redis, contact_id=contact_id)
        customer.waiting = state["state"] == "queued"
        await ws.send_json({"type": "history", **state})
        if state["state"] == "ended":
            await customer.end("ended")
            return
        await until_first_ends(customer.forward(feed), customer.queue_updates(), customer.receive())


routes = [WebSocketRoute("/chat/ws", customer_socket)]
