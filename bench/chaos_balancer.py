"""A small TCP balancer for the chaos harness: each new connection goes to the next web process in turn,
and to the one after it when that one does not accept (killed, restarting), as a load balancer's health
check would. It runs on its own event loop in a thread of the harness."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading

CONNECT_TIMEOUT = 1.0


class Balancer:
    """Round-robin over `backends` (host, port) from 127.0.0.1:`port` (0: any free port)."""

    def __init__(self, backends: list[tuple[str, int]], port: int = 0) -> None:
        self.backends = backends
        self.port = port
        self._turn = itertools.count()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-balancer", daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        self._started.wait(10)

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
        self.port = self._server.sockets[0].getsockname()[1]
        self._started.set()
        self._loop.run_forever()

    async def _open_backend(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        first = next(self._turn)
        for step in range(len(self.backends)):
            host, port = self.backends[(first + step) % len(self.backends)]
            with contextlib.suppress(OSError, asyncio.TimeoutError):
                return await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT)
        return None

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        backend = await self._open_backend()
        if backend is None:  # nobody serves: the client sees the connection close, as behind a real balancer
            client_writer.close()
            return
        backend_reader, backend_writer = backend
        await asyncio.gather(
            _pipe(client_reader, backend_writer), _pipe(backend_reader, client_writer), return_exceptions=True
        )


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until either side closes, then close the other (a killed backend resets its clients)."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            writer.close()
