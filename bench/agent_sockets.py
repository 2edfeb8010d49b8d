"""Shared by the benchmarks that need many logged-in agents with open consoles (bench/routing.py's offer
latency and bench/console.py): the web app as `contactcenter serve` runs it, cheap password hashes,
logging agents in, opening a console websocket, and room for that many open files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from websockets.asyncio.client import ClientConnection, connect


def cheap_password_hash(password: str) -> str:
    """One argon2id hash with cheap parameters (benchmark only), shared by every benchmark user: logging
    thousands of agents in costs one fast verify each instead of thousands of full-cost hashes."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)


def raise_fd_limit(wanted: int) -> int:
    """Room for one socket per console (and the server's end of it, in a child process, which inherits
    the limit); returns the soft limit now in force (lower than `wanted` when the hard limit is)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return soft


def choose_cores(no_pin: bool) -> tuple[int | None, int | None]:
    """The client's core and the server's core: the first two this process may use, unless told not to.
    This process (and what it starts from now on, e.g. Redis) moves to the client's core."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if no_pin or len(allowed) < 2:
        return None, None
    os.sched_setaffinity(0, {allowed[0]})
    return allowed[0], allowed[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def web_server(
    workdir: Path, redis_url: str, database_url: str, *, core: int | None = None
) -> Iterator[tuple[str, int]]:
    """`contactcenter serve` on a free port (pinned to `core` if given); yields its base URL and process id."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "REDIS_", "DATABASE_"))}
    env |= {
        "VAR_DIR": str(workdir / "var"),
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "OFFER_TIMEOUT_SECONDS": "600",
    }
    command = [sys.executable, "-m", "contactcenter", "serve", "--port", str(port), "--no-migrate"]
    log_path = workdir / "web.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT
        )
    if core is not None:  # at once, while it is still importing: the threads it starts later inherit this
        os.sched_setaffinity(process.pid, {core})
    base = f"http://127.0.0.1:{port}"
    with running(process, base, log_path, "the web app"):
        yield base, process.pid


@contextlib.contextmanager
def running(process: subprocess.Popen[bytes], base: str, log_path: Path, what: str) -> Iterator[None]:
    """Wait until a server process answers GET /healthz (or fail with the end of its log); stop it afterwards."""
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start:\n" + log_path.read_text()[-3000:])
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/healthz", timeout=1, trust_env=False).status_code == 200:
                    break
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


async def login_all(base: str, names: list[str], password: str, parallel: int = 8) -> list[str]:
    """One session cookie per agent, by POST /login (a few at a time: each is an argon2 verify)."""
    gate = asyncio.Semaphore(parallel)

    async def login(client: httpx.AsyncClient, name: str) -> str:
        async with gate:
            try:
                response = await client.post("/login", json={"username": name, "password": password})
            except httpx.TransportError:  # a kept-alive connection the server had just closed: once more
                response = await client.post("/login", json={"username": name, "password": password})
            response.raise_for_status()
            return str(response.cookies["cc_session"])

    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False) as client:
        return await asyncio.gather(*(login(client, name) for name in names))


def hello(last_seq: int | None = None) -> str:
    """The console's first message on its websocket."""
    return json.dumps({"type": "hello", "last_seq": last_seq})


async def open_console(ws_url: str, cookie: str) -> ClientConnection:
    """A console websocket as the browser opens it: the session cookie, hello, then the snapshot."""
    ws = await connect(
        ws_url,
        additional_headers={"Cookie": f"cc_session={cookie}"},
        ping_interval=None,
        close_timeout=1,
        open_timeout=60,
        proxy=None,
    )
    await ws.send(hello())
    first = json.loads(await ws.recv())
    if first.get("type") != "snapshot":
        raise RuntimeError(f"expected a snapshot, got {first}")
    return ws
