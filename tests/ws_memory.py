"""A uvicorn websocket protocol on an in-memory transport, with a `websockets` client reading what it
writes: the server's real send path without the network (tests/test_ws_protocol.py and
bench/console_fanout.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from uvicorn.server import ServerState
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri


class MemoryTransport(asyncio.Transport):
    """Keeps what is written; counts the writes."""

    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()
        self.writes = 0
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.data += data
        self.writes += 1

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8000)}.get(name, default)


class MemorySocket:
    """One server-side websocket (protocol + transport) and the client at its other end."""

    def __init__(self, protocol: WebSocketsSansIOProtocol, transport: MemoryTransport, client: ClientProtocol) -> None:
        self.protocol = protocol
        self.transport = transport
        self.client = client

    def texts(self) -> list[str]:
        """The text messages written since the last call, as the client reads them."""
        self.client.receive_data(bytes(self.transport.data))
        self.transport.data.clear()
        return [
            bytes(event.data).decode()  # already bytes: bytes() returns the same object
            for event in self.client.events_received()
            if isinstance(event, Frame) and event.opcode is Opcode.TEXT
        ]

    def send_text(self, text: str) -> None:
        """A message from the client to the server."""
        self.client.send_text(text.encode())
        self.protocol.data_received(b"".join(self.client.data_to_send()))


async def open_memory_socket(
    app: Callable[..., Any],
    protocol_class: type[WebSocketsSansIOProtocol],
    *,
    path: str = "/ws",
    deflate: bool = False,
    app_state: dict[str, Any] | None = None,
) -> MemorySocket:
    """Connect a client to `app` through `protocol_class`, and let the app accept."""
    config = uvicorn.Config(app, ws_per_message_deflate=deflate, log_level="warning", lifespan="off")
    config.load()
    protocol = protocol_class(config, ServerState(), app_state or {})
    transport = MemoryTransport()
    protocol.connection_made(transport)
    client = ClientProtocol(
        parse_uri(f"ws://127.0.0.1:8000{path}"), extensions=[ClientPerMessageDeflateFactory()] if deflate else None
    )
    client.send_request(client.connect())
    protocol.data_received(b"".join(client.data_to_send()))
    for _ in range(100):
        if protocol.handshake_complete:
            break
        await asyncio.sleep(0)
    socket = MemorySocket(protocol, transport, client)
    socket.texts()  # the handshake's response
    return socket
