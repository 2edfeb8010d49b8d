"""The system the chaos harness breaks: its own Redis (append-only file), the Twilio sandbox, two `serve`
processes behind a balancer, and a worker — each a process it can kill and start again. SQLite under a
temporary directory unless a database URL is given."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from chaos_balancer import Balancer

from contactcenter.children import child_process, starting_children
from contactcenter.db import Database
from contactcenter.demo import create_demo_data
from contactcenter.embedded_redis import EmbeddedRedis
from contactcenter.telephony import number_webhooks
from contactcenter.users.service import create_user

HOTLINE = "+862180000000"
PASSWORD = "chaos-password-1"
AGENTS = [f"chaos{n}" for n in range(1, 5)]
CALENDARS = """hotline:
  hours:
    mon-sun: ["00:00-24:00"]
office:
  hours:
    mon-sun: ["00:00-24:00"]
callbacks:
  hours:
    mon-sun: ["00:00-24:00"]
"""
# Shorter than a hotline's settings, so a scenario's faults heal within its minute (each is explained
# in docs/reliability.md): a silent console is noticed in 2 heartbeats, an agent's phone rings 6 s.
ENVIRONMENT = {
    "CONSOLE_HEARTBEAT_SECONDS": "2",
    "CONSOLE_GRACE_SECONDS": "10",
    "AGENT_RING_SECONDS": "6",
    "OFFER_TIMEOUT_SECONDS": "8",
    "WAIT_ANNOUNCE_SECONDS": "600",
    "CALLBACK_OFFER_WAIT_SECONDS": "0",
    "SECRET_KEY": "chaos-harness-secret-key-0123456789abcdef",
    "TWILIO_ACCOUNT_SID": "AC" + "c" * 32,
    "TWILIO_AUTH_TOKEN": "d" * 32,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ChaosSystem:
    """Every process of one contact center, started and stopped one by one."""

    def __init__(self, workdir: Path, *, database_url: str | None = None) -> None:
        self.workdir = workdir
        self.logs = workdir / "logs"
        self.redis = EmbeddedRedis(workdir / "redis")
        self.web_ports = [free_port(), free_port()]
        self.sandbox_port = free_port()
        self.balancer = Balancer([("127.0.0.1", port) for port in self.web_ports])
        self.database_url = database_url or f"sqlite:///{workdir / 'contactcenter.db'}"
        self.webs: list[subprocess.Popen[bytes] | None] = [None, None]
        self.worker: subprocess.Popen[bytes] | None = None
        self.sandbox: subprocess.Popen[bytes] | None = None
        self.env: dict[str, str] = {}

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}"

    def web_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.web_ports[index]}"

    def start(self) -> None:
        """Redis, the database with the harness's agents, the balancer, the sandbox, both webs, the worker."""
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.workdir / "calendars.yaml").write_text(CALENDARS)
        self.balancer.start()
        redis_url = self.redis.start()
        self.env = {
            **os.environ,
            **ENVIRONMENT,
            "VAR_DIR": str(self.workdir / "var"),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": redis_url,
            "TWILIO_API_BASE": self.sandbox_url,
            "PUBLIC_BASE_URL": self.balancer.url,
            "RECORDINGS_DIR": str(self.workdir / "recordings"),
            "CALENDARS": str(self.workdir / "calendars.yaml"),
        }
        self._prepare_database()
        self.start_sandbox()
        for index in range(len(self.webs)):
            self.start_web(index)
        self.start_worker()

    def _prepare_database(self) -> None:
        url = self.database_url
        database = Database(url.replace("postgresql://", "postgresql+psycopg://", 1))
        database.upgrade()
        with database.session() as session:
            create_demo_data(session, password=PASSWORD)
            for name in AGENTS:
                create_user(
                    session,
                    username=name,
                    password=PASSWORD,
                    role="agent",
                    display_name=name,
                    queues=["general", "repair", "complaints"],
                    skills={"zh": 5, "en": 5},
                    actor="chaos",
                )
        database.dispose()

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        with starting_children():
            return child_process(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.workdir
            )

    def start_sandbox(self) -> None:
        hooks = number_webhooks(self.balancer.url)  # as a hotline configures its number, fallback included
        command = [sys.executable, "-m", "twilio_sandbox", "serve", "--port", str(self.sandbox_port)]
        command += ["--number", HOTLINE, hooks["VoiceUrl"], hooks["StatusCallback"], hooks["VoiceFallbackUrl"]]
        command += ["--recordings-dir", str(self.workdir / "sandbox-recordings")]
        self.sandbox = self._spawn("sandbox", command)
        self._wait_for(self.sandbox_url + "/sandbox/calls")

    def start_web(self, index: int) -> None:
        port = str(self.web_ports[index])
        command = [sys.executable, "-m", "contactcenter", "serve", "--port", port, "--no-migrate"]
        self.webs[index] = self._spawn(f"web{index}", command)
        self._wait_for(self.web_url(index) + "/healthz")

    def kill_web(self, index: int) -> None:
        """kill -9: no shutdown, no goodbye to anyone."""
        _kill(self.webs[index])
        self.webs[index] = None

    def start_worker(self) -> None:
        self.worker = self._spawn("worker", [sys.executable, "-m", "contactcenter", "worker"])

    def kill_worker(self) -> None:
        _kill(self.worker)
        self.worker = None

    def stop_redis(self) -> None:
        """A clean stop: the append-only file is flushed, the data comes back with `start_redis`."""
        self.redis.stop()

    def start_redis(self) -> None:
        self.redis.start()

    def wipe_redis(self) -> None:
        """Redis loses everything (FLUSHALL, as a restart without its files would)."""
        from redis import Redis

        Redis.from_url(self.env["REDIS_URL"]).flushall()

    def stop(self) -> None:
        for process in [*self.webs, self.worker, self.sandbox]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.webs, self.worker, self.sandbox]:
            if process is not None:
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    _kill(process)
        self.redis.stop()
        self.balancer.stop()

    def _wait_for(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, timeout=1.0, trust_env=False).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{url} did not answer within {timeout:.0f} s; see {self.logs}")


def _kill(process: subprocess.Popen[bytes] | None) -> None:
    if process is not None and process.poll() is None:
        process.kill()
        process.wait()
