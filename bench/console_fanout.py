"""The server's CPU per socket for one broadcast event, in one process and without the network: the
EventHub's dispatch and each console's `_send_events` task, each sending through a real Starlette
WebSocket into the `websockets` sans-I/O framing that uvicorn's websockets-sansio stack uses (frames go
to a list, not a socket). bench/console.py measures the real thing; this isolates the code path from
the machine's other load, so two versions of the code can be compared side by side:

    python bench/console_fanout.py                       # this checkout, 5,000 sockets
    python bench/console_fanout.py --code /tmp/old-tree   # another tree, e.g. `git archive <commit>` unpacked
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import sys
import time
from pathlib import Path
from typing import Any

ROUNDS = 30
EVENT = (
    b'{"text":"bench announcement","by":"3","by_name":"Zhang Wei","broadcast":true,"seq":%d,'
    b'"type":"announcement","at":1795389307964,"queues":[]}'
)


class FramedSink:
    """Where one socket's ASGI messages go: framed as uvicorn's sans-I/O stack frames them."""

    def __init__(self) -> None:
        from websockets.protocol import State
        from websockets.server import ServerProtocol

        self.protocol = ServerProtocol(state=State.OPEN)
        self.frames = 0

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.send":
            self.protocol.send_text(message["text"].encode())
            self.protocol.data_to_send()
            self.frames += 1


async def measure(sockets: int) -> list[float]:
    """CPU seconds (this process) from each event's dispatch until every socket has framed it."""
    from starlette.websockets import WebSocket, WebSocketState

    from agents import ws as console
    from queues import stream

    hub = stream.EventHub(None, "events")  # type: ignore[arg-type]  (never started: no Redis)
    extra = (False,) * (len(inspect.signature(console._send_events).parameters) - 3)  # e.g. `masked`
    sinks, tasks, subscriptions = [], [], []
    for n in range(sockets):
        sink = FramedSink()
        ws = WebSocket({"type": "websocket", "path": "/agents/ws", "headers": []}, receive=None, send=sink.send)  # type: ignore[arg-type]
        ws.application_state = WebSocketState.CONNECTED
        subscription = hub.subscribe(str(n))
        tasks.append(asyncio.create_task(console._send_events(ws, await subscription.__aenter__(), 0, *extra)))
        sinks.append(sink)
        subscriptions.append(subscription)
    await asyncio.sleep(0)
    gc.freeze()
    took = []
    for seq in range(1, ROUNDS + 1):
        began = time.process_time()
        hub._dispatch(stream._decode({b"e": EVENT % seq}))
        while sinks[-1].frames < seq or any(sink.frames < seq for sink in sinks):
            await asyncio.sleep(0)
        took.append(time.process_time() - began)
    for task in tasks:
        task.cancel()
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent, help="repository tree")
    parser.add_argument("--sockets", type=int, default=5000)
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    try:
        import uvloop

        took = uvloop.run(measure(args.sockets))
    except ImportError:
        took = asyncio.run(measure(args.sockets))
    took.sort()
    per_socket = [1e6 * t / args.sockets for t in took]
    print(
        f"{args.code}: one broadcast to {args.sockets} sockets: median {1000 * took[len(took) // 2]:.1f} ms of CPU, "
        f"{per_socket[len(took) // 2]:.1f} µs per socket (best {per_socket[0]:.1f}, {ROUNDS} events)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
