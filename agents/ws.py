"""The console websocket: a snapshot or catch-up on connect, then the agent's routing events.

Protocol (see agents/events.md): the client sends {"type": "hello", "last_seq": N | null};
the server answers with the missed events, or {"type": "snapshot", ...} when it cannot,
then streams events. Heartbeats go both ways (agents/heartbeat.py): the server pings, the client
answers (any message), and {"type": "ping"} from the client is answered with {"type": "pong"}.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from functools import partial
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from agents.conference import LiveCall
from agents.heartbeat import Heartbeat, PresenceRenewer, presence_ttl_ms
from agents.monitoring import monitors_view
from agents.privacy import event_text
from contactcenter.access import websocket_route
from contactcenter.access.masking import masked, sees_whole
from contactcenter.access.rules import AGENT
from contactcenter.context import Services
from contactcenter.sockets import forward_events, receive_json, until_first_ends
from contactcenter.users.auth import AGENT_ROLES, current_user
from queues.stream import EventHub, concerns

HELLO_TIMEOUT = 10.0


def snapshot_message(services: Services, agent_id: int) -> dict[str, Any]:
    """The agent's state and current offer or contact, as of one sequence number."""
    snap = services.routing.snapshot(agent_id=str(agent_id))
    agent = snap.agent
    contact = _contact_view(snap.contact) if snap.contact else None
    if contact is not None and services.settings.show_monitoring:  # who listens in (contact.monitored)
        contact["monitors"] = monitors_view(snap.contact.get("monitors"), agent=str(agent_id))
    if contact is not None and contact["channel"] == "voice":  # mute is no routing event: the room knows it
        contact["muted"] = LiveCall(services, int(contact["contact"])).agent_muted(agent_id)
    # Not ready because the console was gone too long, or because routing was rebuilt after Redis lost its data.
    disconnected = agent.get("state") == "not_ready" and agent.get("reason") in ("disconnected", "routing_rebuilt")
    return {
        "type": "snapshot",
        "seq": snap.seq,
        "agent": {
            "state": agent.get("state", "offline"),
            "reason": agent.get("reason", ""),
            "since": int(agent["since"]) if agent.get("since") else None,
            "wrapup_until": _ms(agent.get("wrapup_until")),
            # What a disconnect replaced, for the console to offer it back (the agent chooses).
            "previous_state": agent.get("prev_state") if disconnected else None,
            "previous_reason": agent.get("prev_reason") if disconnected else None,
        },
        "contact": contact,
        "chats": [_contact_view(chat) for chat in snap.chats if chat],
    }


def _ms(value: str | None) -> int | None:
    return int(value) if value else None


def _contact_view(c: dict[str, str]) -> dict[str, Any]:
    """A call or chat of the snapshot, shaped like the events that made it."""
    return {
        "contact": c.get("id"),
        "channel": c.get("channel", "voice"),
        "state": c.get("state"),
        "queue": c.get("queue"),
        "deadline": _ms(c.get("deadline")),
        "enqueued_at": int(c.get("enqueued_at") or 0),
        "answered_at": _ms(c.get("answered_at")),
        "ended_at": _ms(c.get("ended_at")),
        "wrapup_until": _ms(c.get("wrapup_until")),
        "on_hold": c.get("on_hold") == "1",
        "info": json.loads(c.get("info") or "{}"),
        "consult_from": int(c["consult_from"]) if c.get("consult_from", "").isdigit() else None,
    }


async def _receive(ws: WebSocket, heartbeat: Heartbeat) -> None:
    while True:
        message = await ws.receive_json()
        await heartbeat.heard()  # any message: the server's pings are answered with pongs
        if isinstance(message, dict) and message.get("type") == "ping":
            await ws.send_json({"type": "pong"})


async def console_socket(ws: WebSocket) -> None:
    user = await current_user(ws)  # the policy let only an agent in (4401: log in, 4403: wrong role)
    assert user is not None and user.role in AGENT_ROLES
    services: Services = ws.app.state.services
    hub: EventHub = ws.app.state.hub
    await ws.accept()
    try:
        hello = await asyncio.wait_for(receive_json(ws), HELLO_TIMEOUT)
    except (TimeoutError, WebSocketDisconnect, ValueError, KeyError):  # ValueError: no readable JSON
        await ws.close(code=4400, reason="send hello first")
        return
    last_seq = hello.get("last_seq") if isinstance(hello, dict) else None
    interval = services.settings.console_heartbeat_seconds
    agent_id, socket_id = str(user.id), uuid.uuid4().hex
    presence = partial(
        services.routing.console_presence, agent_id=agent_id, socket_id=socket_id, ttl_ms=presence_ttl_ms(interval)
    )
    renewer: PresenceRenewer = ws.app.state.presence
    # Opening brings back an agent whose consoles were all gone (its state, within the grace period).
    await run_in_threadpool(presence, event="open")
    try:
        heartbeat = Heartbeat(interval, partial(renewer.heard, agent_id, socket_id))
        await _serve(ws, services, hub, user.id, last_seq, heartbeat, mask=not sees_whole(user))
    finally:
        # The agent's last console closing: no new offers; the grace period starts (queues/events.md).
        await run_in_threadpool(renewer.closed, agent_id, socket_id)


async def _serve(
    ws: WebSocket,
    services: Services,
    hub: EventHub,
    agent_id: int,
    last_seq: object,
    heartbeat: Heartbeat,
    *,
    mask: bool,
) -> None:
    heartbeat_ms = int(heartbeat.interval * 1000)  # told to the client, which watches the server's pings
    async with hub.subscribe(str(agent_id)) as sub, ws.app.state.chat_hub.agent_sink(agent_id, sub):
        missed = await hub.since(last_seq) if isinstance(last_seq, int) and last_seq >= 0 else None
        if missed is None:
            message = await run_in_threadpool(snapshot_message, services, agent_id)
            if mask:
                message = masked(message)
            await ws.send_json({**message, "heartbeat_ms": heartbeat_ms})
            after = message["seq"]
        else:
            mine = [e for e in missed if concerns(e, agent_id)]
            for event in mine:
                await ws.send_text(event_text(event, mask=mask))
            after = missed[-1]["seq"] if missed else last_seq
            await ws.send_json({"type": "caught_up", "seq": after, "heartbeat_ms": heartbeat_ms})
        events = forward_events(ws, sub, after, text=partial(event_text, mask=mask))
        # The session ending (logout, user disabled, …) closes the socket (contactcenter/users/session_watch.py).
        ended = ws.app.state.session_watch.wait_end(ws)
        await until_first_ends(events, _receive(ws, heartbeat), heartbeat.keep(ws), ended)


routes = [websocket_route("/agents/ws", console_socket, policy=AGENT)]
