"""A TCP proxy for the browser tests whose connections can go silent without closing: a network that
drops without a FIN or a reset (Wi-Fi gone, a NAT that forgot the connection), which neither end can
tell from a quiet one. `freeze()` stops forwarding, both ways, on every connection open at that moment
and throws away what they send from then on; connections opened later are forwarded (the network came
back). Threads only: nothing outlives `close()`."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from urllib.parse import urlsplit

CHUNK = 65_536


class _Link:
    """One proxied connection: the browser's side and the app's."""

    def __init__(self, near: socket.socket, far: socket.socket) -> None:
        self.near, self.far = near, far
        self.frozen = False

    def pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(CHUNK):
                if not self.frozen:  # frozen: read and dropped, so neither sender ever blocks
                    sink.sendall(data)
        if not self.frozen:  # an end closed: pass it on (a frozen link passes nothing on)
            with contextlib.suppress(OSError):
                sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        for end in (self.near, self.far):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


class FreezingProxy:
    """`with FreezingProxy(app_url) as proxy:` the app at `proxy.url`; `proxy.freeze()` silences it."""

    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        self.target = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)  # the accept loop looks at `_closing` this often
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self._links: list[_Link] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._start(self._accept)

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                near, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            near.settimeout(None)
            try:
                far = socket.create_connection(self.target, timeout=5)
            except OSError:
                near.close()
                continue
            far.settimeout(None)
            link = _Link(near, far)
            with self._lock:
                if self._closing.is_set():
                    link.close()
                    return
                self._links.append(link)
                self._start(link.pump, near, far)
                self._start(link.pump, far, near)

    def freeze(self) -> int:
        """Every connection open now goes silent for good; returns how many there were."""
        with self._lock:
            for link in self._links:
                link.frozen = True
            return len(self._links)

    def close(self) -> None:
        self._closing.set()
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            link.close()
        self.listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FreezingProxy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
