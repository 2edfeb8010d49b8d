"""The supervisor websocket: the wallboard's snapshot or catch-up on connect, then every routing event
of the viewer's scope (their team's agents and the queues those serve; everyone for managers and QA).

Same conventions as the console socket (agents/ws.py, contract in agents/events.md): the client sends
{"type": "hello", "last_seq": N | null}; the server answers with the missed events of the scope and
{"type": "caught_up"}, or a {"type": "snapshot"} when it cannot; then streams. Pings get pongs.
Watching is not presence: unlike a console, opening or closing a wallboard changes no routing state.
The desk's notifications addressed to the viewer (`ticket.notification`, published on the chat hub by
contactcenter/tickets/notifier.py) come on the same socket, whatever the scope.
"""

from __future__ import annotations

import asyncio
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from agents.privacy import event_text
from agents.supervisor_service import floor_snapshot, scope_of
from contactcenter.access import websocket_route
from contactcenter.access.masking import for_viewer, sees_whole
from contactcenter.access.rules import WALLBOARD
from contactcenter.context import Services
from contactcenter.sockets import forward_events, receive_json, until_first_ends
from contactcenter.users.auth import WALLBOARD_ROLES, CurrentUser, current_user
from queues.stream import Event, EventHub, Subscription

HELLO_TIMEOUT = 10.0
NOTIFICATION = "ticket.notification"


class _Notifications:
    """The chat hub's items for the viewer, into the wallboard's subscription: only the desk's notifications
    (a team lead's own chats are their console's business)."""

    def __init__(self, sub: Subscription) -> None:
        self.sub = sub

    def push(self, item: Event) -> None:
        if item.get("type") == NOTIFICATION:
            self.sub.push(item)


async def _answer_pings(ws: WebSocket) -> None:
    while True:
        message = await ws.receive_json()
        if isinstance(message, dict) and message.get("type") == "ping":
            await ws.send_json({"type": "pong"})


async def supervisor_socket(ws: WebSocket) -> None:
    user = await current_user(ws)  # the policy let only a wallboard's viewer in (4401: log in, 4403: wrong role)
    assert user is not None and user.role in WALLBOARD_ROLES
    await ws.accept()
    try:
        hello = await asyncio.wait_for(receive_json(ws), HELLO_TIMEOUT)
    except (TimeoutError, WebSocketDisconnect, ValueError, KeyError):  # ValueError: no readable JSON
        await ws.close(code=4400, reason="send hello first")
        return
    last_seq = hello.get("last_seq") if isinstance(hello, dict) else None
    await _serve(ws, ws.app.state.services, ws.app.state.hub, user, last_seq)


async def _serve(ws: WebSocket, services: Services, hub: EventHub, viewer: CurrentUser, last_seq: object) -> None:
    # Subscribed before reading the snapshot, so no event falls between the two.
    text = partial(event_text, mask=not sees_whole(viewer))  # QA staff watch with numbers masked
    async with hub.subscribe(None) as sub, ws.app.state.chat_hub.agent_sink(viewer.id, _Notifications(sub)):
        scope = await run_in_threadpool(scope_of, services, viewer)
        missed = await hub.since(last_seq) if isinstance(last_seq, int) and last_seq >= 0 else None
        if missed is None:
            snapshot = await run_in_threadpool(floor_snapshot, services, viewer)
            await ws.send_json(for_viewer(snapshot, viewer))
            after = snapshot["seq"]
        else:
            for event in missed:
                if scope.concerns(event):
                    await ws.send_text(text(event))
            after = missed[-1]["seq"] if missed else last_seq
            await ws.send_json({"type": "caught_up", "seq": after})
        ended = ws.app.state.session_watch.wait_end(ws)  # closes the socket when the session ends

        def keep(event: Event) -> bool:
            return event.get("type") == NOTIFICATION or scope.concerns(event)

        events = forward_events(ws, sub, after, keep=keep, text=text)
        await until_first_ends(events, _answer_pings(ws), ended)


routes = [websocket_route("/supervisors/ws", supervisor_socket, policy=WALLBOARD)]
