"""The server's CPU per socket for one broadcast event, in one process and without the network: the
EventHub's dispatch to N sockets, each a real uvicorn websocket protocol on an in-memory transport
(tests/ws_memory.py) with a Starlette app forwarding its subscription (contactcenter/sockets.py), as
the console and the wallboard do. Two sets of sockets side by side, broadcasts alternating:

- ordinary: uvicorn's websockets-sansio protocol: each socket's task wakes and sends through Starlette,
  uvicorn and the websockets library's framing;
- prepared: `contactcenter serve`'s FrameWritingProtocol: the frame is built once and written to each
  waiting socket during the dispatch.

bench/console.py measures the real thing (with the kernel's writes, which this leaves out).

    python bench/console_fanout.py [--sockets 5000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests.ws_memory

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from contactcenter.app import GC_THRESHOLDS
from contactcenter.sockets import forward_events, until_first_ends
from contactcenter.ws_protocol import FrameWritingProtocol
from queues.stream import EventHub, StreamEvent
from tests.ws_memory import MemorySocket, open_memory_socket

EVENT = (
    b'{"text":"bench announcement","by":"3","by_name":"Zhang Wei","broadcast":true,"seq":%d,'
    b'"type":"announcement","at":1795389307964,"queues":[]}'
)


def console_app(hub: EventHub) -> Starlette:
    """Each socket subscribes as agent N (its path) and forwards its events, as the console does."""

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        async with hub.subscribe(ws.url.path.rsplit("/", 1)[-1]) as sub:
            await until_first_ends(forward_events(ws, sub, 0), ws.receive())  # until it disconnects

    return Starlette(routes=[WebSocketRoute("/agents/{agent}", endpoint)])


async def open_sockets(hub: EventHub, protocol: type[WebSocketsSansIOProtocol], n: int, tag: str) -> list[MemorySocket]:
    app = console_app(hub)
    return [await open_memory_socket(app, protocol, path=f"/agents/{tag}{k}") for k in range(n)]


async def broadcast(hub: EventHub, sockets: list[MemorySocket], seq: int) -> float:
    """CPU seconds from the dispatch until every socket has written the event."""
    began = time.process_time()
    hub._dispatch(StreamEvent(EVENT % seq))
    while any(s.transport.writes < seq + 1 for s in sockets):  # +1: the handshake's response
        await asyncio.sleep(0)
    return time.process_time() - began


async def measure(n: int, rounds: int) -> dict[str, list[float]]:
    # One hub per set: a broadcast reaches only that set's sockets.
    hubs = {"ordinary": EventHub(None, "events"), "prepared": EventHub(None, "events")}  # type: ignore[arg-type]
    protocols = {"ordinary": WebSocketsSansIOProtocol, "prepared": FrameWritingProtocol}
    sockets = {name: await open_sockets(hubs[name], protocols[name], n, name) for name in hubs}
    for _ in range(50):
        await asyncio.sleep(0)  # every socket subscribed and waiting
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)  # as the app sets them
    took: dict[str, list[float]] = {name: [] for name in hubs}
    for seq in range(1, rounds + 1):
        for name in hubs:
            took[name].append(await broadcast(hubs[name], sockets[name], seq))
            for socket in sockets[name]:
                socket.transport.data.clear()
    for socket in [s for group in sockets.values() for s in group]:
        socket.protocol.connection_lost(None)
    for _ in range(50):
        await asyncio.sleep(0)  # every app returns
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=5000, help="sockets per set (default 5000)")
    parser.add_argument("--rounds", type=int, default=30, help="broadcasts per set (default 30)")
    args = parser.parse_args()
    try:
        import uvloop

        took = uvloop.run(measure(args.sockets, args.rounds))
    except ImportError:
        took = asyncio.run(measure(args.sockets, args.rounds))
    per_socket = {name: [1e6 * t / args.sockets for t in times] for name, times in took.items()}
    print(f"One broadcast to {args.sockets} sockets, {args.rounds} rounds, sets alternating (this process's CPU):")
    for name, values in per_socket.items():
        print(
            f"  {name:9} median {statistics.median(values):5.1f} µs per socket "
            f"(best {min(values):.1f}), {statistics.median(took[name]) * 1000:.1f} ms per broadcast"
        )
    ratio = statistics.median(per_socket["prepared"]) / statistics.median(per_socket["ordinary"])
    print(f"  prepared / ordinary: {ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
