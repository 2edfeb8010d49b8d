"""An ASGI app running inside the test process, reachable two ways at once: Starlette's TestClient
(ASGI calls, websockets included) and a loopback port served by uvicorn, for clients that need a
URL (the Twilio sandbox posting webhooks, `websockets` and `httpx` clients, a browser)."""

from __future__ import annotations

import socket
import time
from concurrent.futures import Future
from typing import Any

import uvicorn
from starlette.testclient import TestClient
from starlette.types import ASGIApp


def listening_socket() -> socket.socket:
    """A socket bound to a free 127.0.0.1 port, handed to uvicorn as is (no race for the port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


class LoopSharingClient(TestClient):
    """Another TestClient (its own cookies: another user) whose requests run on `owner`'s event loop,
    where the app's lifespan opened its connections. Not to be entered with `with`: the owner's lifespan is
    the app's. Redirects are not followed, as with httpx."""

    def __init__(self, owner: TestClient) -> None:
        super().__init__(owner.app, base_url=str(owner.base_url), follow_redirects=False)
        self.portal = owner.portal


class ServedApp:
    """One lifespan, one event loop (the TestClient's portal thread), both ways in.

    The TestClient runs the app's lifespan; uvicorn then serves the same app on the same loop with
    its own lifespan off, so a request over the port and one through the TestClient meet the same
    background tasks and connections."""

    def __init__(self, app: ASGIApp, sock: socket.socket, **uvicorn_options: Any) -> None:
        self.url = url_of(sock)
        self.client = TestClient(app, base_url=self.url)
        config = uvicorn.Config(
            app, lifespan="off", log_level="warning", loop="asyncio", timeout_graceful_shutdown=5, **uvicorn_options
        )
        self._server = uvicorn.Server(config)
        self._sock = sock
        self._serving: Future[Any] | None = None

    def __enter__(self) -> ServedApp:
        self.client.__enter__()
        try:
            assert self.client.portal is not None
            self._serving = self.client.portal.start_task_soon(self._server.serve, [self._sock])
            deadline = time.monotonic() + 20
            while not self._server.started:
                if self._serving.done():
                    self._serving.result()  # raises what stopped it
                    raise RuntimeError("uvicorn stopped before it started")
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not start within 20 s")
                time.sleep(0.01)
        except BaseException:
            self.client.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._server.should_exit = True
            if self._serving is not None:
                self._serving.result(timeout=20)
        finally:
            self._sock.close()
            self.client.__exit__(None, None, None)
