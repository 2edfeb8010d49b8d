"""The fast tier's system: the product built with `create_app(...)` inside the test process, on the
session's Redis and a fresh copy of a migrated demo database, next to an in-process Twilio sandbox.

It offers what `tests.conftest.System` (the product started as processes) offers, so a test written
against one runs against the other. Nothing here starts a process: the app and the sandbox each run
on one event loop in a thread (tests/serving.py), reachable through a TestClient and over loopback."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from redis import Redis
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from contactcenter.app import create_app
from contactcenter.db import Database
from contactcenter.demo import create_demo_data
from contactcenter.settings import Settings, load_settings
from contactcenter.telephony import number_webhooks
from contactcenter.web_guard import proxy_options
from contactcenter.ws_protocol import UVICORN_WEBSOCKETS
from tests.serving import LoopSharingClient, ServedApp, listening_socket, url_of
from twilio_sandbox import NumberConfig, SandboxConfig, create_sandbox_app

DEMO_PASSWORD = "demo-password-for-tests"
HOTLINE = "+862180000000"
ACCOUNT_SID = "AC" + "5a" * 16
AUTH_TOKEN = "in-process-sandbox-token"
CALENDARS = Path(__file__).resolve().parent / "calendars.yaml"  # open at any hour the tests run


def sqlalchemy_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


@dataclass
class DemoDatabase:
    """A database migrated and seeded once per test process; each system gets its own copy of it
    (a file copy for SQLite, `CREATE DATABASE … TEMPLATE` for PostgreSQL): migrating and hashing the
    demo users' passwords cost ~1 s, a copy a few ms."""

    url: str
    admin_url: str | None = None
    copies: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, workdir: Path, admin_url: str | None) -> DemoDatabase:
        if admin_url:
            name = f"cc_template_{uuid.uuid4().hex[:12]}"
            with _admin(admin_url) as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = make_url(sqlalchemy_url(admin_url)).set(database=name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{workdir / 'template.db'}"
        db = Database(url)
        db.upgrade()
        with db.session() as session:
            create_demo_data(session, password=DEMO_PASSWORD)
        db.dispose()
        return cls(url, admin_url)

    def copy(self, workdir: Path) -> str:
        """A new database holding what the template holds."""
        if self.admin_url is None:
            target = workdir / f"copy-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(make_url(self.url).database or "", target)
            return f"sqlite:///{target}"
        name = f"cc_test_{uuid.uuid4().hex[:12]}"
        with _admin(self.admin_url) as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(self.url).database}"'))
        self.copies.append(name)
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop(self) -> None:
        if self.admin_url is None:
            return
        with _admin(self.admin_url) as conn:
            for name in [*self.copies, make_url(self.url).database]:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def _admin(admin_url: str) -> Iterator[Connection]:
    engine = create_engine(sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


class SystemClients:
    """What a test uses to talk to a running system, in process or not: a logged-in client, its SQL, its Redis."""

    base_url: str
    database_url: str
    redis_url: str

    def login(self, username: str, password: str = DEMO_PASSWORD) -> httpx.Client:
        return _logged_in(httpx.Client(base_url=self.base_url, timeout=15), username, password)

    def sql(self) -> Engine:
        return create_engine(sqlalchemy_url(self.database_url))

    def redis(self) -> Redis:
        return Redis.from_url(self.redis_url)


@dataclass
class InProcessSystem(SystemClients):
    """The product and its Twilio sandbox, served from this process; `System`'s interface."""

    base_url: str
    sandbox_url: str
    var_dir: Path
    database_url: str
    redis_url: str
    settings: Settings
    client: TestClient  # the app through ASGI, no socket involved
    credentials: tuple[str, str] = (ACCOUNT_SID, AUTH_TOKEN)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> httpx.Client:
        """A client logged in as `username` that calls the app through ASGI, on the app's own loop."""
        return _logged_in(LoopSharingClient(self.client), username, password)  # type: ignore[arg-type]


def _logged_in(client: httpx.Client, username: str, password: str) -> httpx.Client:
    response = client.post("/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return client


@contextlib.contextmanager
def in_process_system(
    workdir: Path, *, database_url: str, redis_url: str, settings: dict[str, str] | None = None
) -> Iterator[InProcessSystem]:
    """Start the app and the sandbox in this process on an emptied Redis database; stop both after."""
    with Redis.from_url(redis_url) as redis:
        redis.flushdb()
    app_socket, sandbox_socket = listening_socket(), listening_socket()
    base_url, sandbox_url = url_of(app_socket), url_of(sandbox_socket)
    var_dir = workdir / "var"
    values: dict[str, object] = {
        "VAR_DIR": var_dir,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PUBLIC_BASE_URL": base_url,
        "SECRET_KEY": "in-process-session-secret",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "CALENDARS": CALENDARS,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE": sandbox_url,
        **(settings or {}),
        "_env_file": None,  # a developer's .env must not change what the tests run against
    }
    app_settings = load_settings(**values)
    webhooks = number_webhooks(base_url)
    sandbox = create_sandbox_app(
        SandboxConfig(
            account_sid=ACCOUNT_SID,
            auth_token=AUTH_TOKEN,
            public_url=sandbox_url,
            numbers={
                # Configured as a real number is (docs/deployment.md): status callback retried, fallback URL.
                HOTLINE: NumberConfig(
                    voice_url=webhooks["VoiceUrl"],
                    status_callback=webhooks["StatusCallback"],
                    voice_fallback_url=webhooks["VoiceFallbackUrl"],
                )
            },
            recordings_dir=var_dir / "sandbox-recordings",
        )
    )
    with (
        ServedApp(sandbox, sandbox_socket),
        ServedApp(create_app(app_settings), app_socket, **UVICORN_WEBSOCKETS, **proxy_options(app_settings)) as app,
    ):
        yield InProcessSystem(base_url, sandbox_url, var_dir, database_url, redis_url, app_settings, app.client)
