"""uvicorn's websocket protocol, plus one way to send a frame that was built once for many sockets.

An event every console gets (an announcement) is the same frame for each of them: server frames are
not masked, and per-message deflate is off. Through ASGI, each socket would still wake its own task
and go through Starlette's and uvicorn's send and the websockets library's framing: ~23 µs of CPU per
socket before the kernel's write, against ~8 µs this way (bench/console_fanout.py; docs/performance.md).
This protocol offers the ASGI extension `contactcenter.write_frame` to the app (contactcenter/sockets.py
uses it): write these complete frame bytes now, or decline when the socket cannot take them now
(closing, or its write buffer full: the caller then sends the ordinary way, which waits for the
buffer to drain).

`contactcenter serve` runs uvicorn with it (`ws=PROTOCOL`); under any other server the extension is
absent and every frame goes the ordinary way.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

EXTENSION = "contactcenter.write_frame"
PROTOCOL = "contactcenter.ws_protocol:FrameWritingProtocol"  # for uvicorn's `ws` setting
# How uvicorn serves the app's websockets, wherever it runs it (`contactcenter serve`, the tests' in-process app).
UVICORN_WEBSOCKETS: dict[str, Any] = {
    "ws": PROTOCOL,
    # Browsers offer permessage-deflate; accepted, every console would keep zlib state of a few hundred
    # KB and compress each small event once per socket. Events are short JSON: send them plain.
    "ws_per_message_deflate": False,
}


class FrameWritingProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol, offering `write_frame` to the app."""

    async def run_asgi(self) -> None:
        if not self.conn.extensions:  # a negotiated extension (deflate) would change every frame
            self.scope["extensions"][EXTENSION] = {"write": self.write_frame}
        await super().run_asgi()

    def write_frame(self, frame: bytes) -> bool:
        """Write one complete, unmasked frame now; False when this socket cannot take it now."""
        if (
            self.close_sent
            or not self.writable.is_set()  # paused: the ordinary send waits for the buffer to drain
            or self.conn.state is not State.OPEN  # before the handshake, or a close sent or received
            or self.transport.is_closing()
        ):
            return False
        self.transport.write(frame)
        return True
