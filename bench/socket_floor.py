"""The machine's floor for a fan-out: one process writes the same small frame to N loopback TCP sockets
with bare `socket.send` calls, no framework, no event, no HTTP; reader processes take them with epoll
and bare `recv`. No server could deliver to N sockets faster on this machine. bench/console.py runs it
right after its own measurement, with the same N, client processes and cores, so the two are side by
side; it also runs alone:

    python bench/socket_floor.py [--connections 5000] [--clients 4] [--rounds 10]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import select
import socket
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agent_sockets import choose_cores, raise_fd_limit
from routing_latency import percentile

# A server text frame of 148 bytes, about the size of an announcement event.
FRAME = b"\x81\x7e\x00\x94" + json.dumps({"type": "announcement", "text": "x" * 100, "seq": 1}).encode().ljust(148)


def _pin(core: int | None) -> None:
    if core is not None:
        os.sched_setaffinity(0, {core})


def _sender(listener: socket.socket, n: int, core: int | None, conn: Connection) -> None:
    """Accept n sockets; on each "send", write FRAME to all of them; report the start times."""
    _pin(core)
    sockets = []
    for _ in range(n):
        accepted, _address = listener.accept()
        accepted.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as uvloop sets it
        sockets.append(accepted)
    conn.send("accepted")
    starts = []
    while conn.recv() == "send":
        starts.append(time.time())
        for each in sockets:
            each.send(FRAME)
        conn.send(time.time() - starts[-1])
    conn.send(starts)


def _reader(port: int, n: int, rounds: int, core: int | None, conn: Connection) -> None:
    """Connect n sockets; note when each frame arrives (wall clock); report once all have come."""
    _pin(core)
    sockets = {}
    for _ in range(n):
        each = socket.create_connection(("127.0.0.1", port))
        each.setblocking(False)
        sockets[each.fileno()] = each
    poller = select.epoll()
    for fd in sockets:
        poller.register(fd, select.EPOLLIN)
    conn.send("connected")
    arrivals: list[float] = []
    wanted, deadline = n * rounds, time.monotonic() + 60 + 5 * rounds
    while len(arrivals) < wanted and time.monotonic() < deadline:
        for fd, _mask in poller.poll(1):
            data = sockets[fd].recv(65536)
            arrivals.extend([time.time()] * (len(data) // len(FRAME)))
    conn.send(arrivals)


def measure_floor(
    connections: int, clients: int, *, rounds: int = 10, spacing: float = 1.0, cores: tuple[int | None, int | None]
) -> dict[str, float]:
    """Delivery latencies (ms) of `rounds` bare fan-outs to `connections` sockets; cores: (readers, sender)."""
    client_core, server_core = cores
    ctx = multiprocessing.get_context("spawn")
    listener = socket.create_server(("127.0.0.1", 0), backlog=min(connections, 65535))
    port = listener.getsockname()[1]
    to_sender, sender_end = ctx.Pipe()
    sender = ctx.Process(target=_sender, args=(listener, connections, server_core, sender_end), daemon=True)
    sender.start()
    share = -(-connections // clients)
    readers, pipes = [], []
    for k in range(clients):
        mine, theirs = ctx.Pipe()
        count = min(share, connections - k * share)
        readers.append(ctx.Process(target=_reader, args=(port, count, rounds, client_core, theirs), daemon=True))
        readers[-1].start()
        pipes.append(mine)
    try:
        for pipe in pipes:
            pipe.recv()
        to_sender.recv()
        send_ms = []
        for _ in range(rounds):
            time.sleep(spacing)
            to_sender.send("send")
            send_ms.append(1000 * to_sender.recv())
        to_sender.send("stop")
        starts = to_sender.recv()
        arrivals = sorted(t for pipe in pipes for t in pipe.recv())
    finally:
        listener.close()
        for process in [sender, *readers]:
            process.join(5)
            if process.is_alive():
                process.kill()
    latencies = sorted(1000 * (t - max(s for s in starts if s <= t)) for t in arrivals if t >= starts[0])
    return {
        "connections": connections,
        "deliveries": len(latencies),
        "expected": connections * rounds,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(latencies[-1], 1) if latencies else 0.0,
        "send_loop_ms": round(sorted(send_ms)[len(send_ms) // 2], 1),  # median time of the bare send loop
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-pin", action="store_true", help="do not pin the sender to one core, readers to another")
    args = parser.parse_args()
    raise_fd_limit(2 * args.connections + 1024)
    cores = choose_cores(args.no_pin)
    floor = measure_floor(args.connections, args.clients, rounds=args.rounds, cores=cores)
    print(json.dumps(floor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
