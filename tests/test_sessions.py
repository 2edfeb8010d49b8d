"""Server-side sessions: the cookie is a random id that Redis must know; logging out (by POST only)
ends every session of the user, their open sockets included; login always starts a fresh session;
sessions lapse when idle and after their absolute lifetime."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator

import httpx
import pytest
from redis import Redis
from redis import exceptions as redis_errors
from redis.asyncio import Redis as AsyncRedis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from contactcenter.users.session_middleware import ServerSessions
from contactcenter.users.sessions import (
    GONE_BATCH,
    SESSION_KEY,
    USER_KEY,
    Lifetimes,
    SessionStore,
    end_user_sessions,
)
from tests.conftest import StartInProcess
from tests.inprocess import InProcessSystem


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    with start_in_process({"SESSION_CHECK_SECONDS": "0.2"}) as started:
        yield started


def cookie(client: httpx.Client) -> str:
    return client.cookies["cc_session"]


def with_cookie(system: InProcessSystem, value: str) -> httpx.Client:
    """A new browser that presents this session cookie."""
    client = httpx.Client(base_url=system.base_url, timeout=10)
    client.cookies.set("cc_session", value, domain="127.0.0.1")
    return client


def test_logout_revokes_the_cookie(system: InProcessSystem) -> None:
    agent = system.login("agent1")
    stolen = cookie(agent)
    assert with_cookie(system, stolen).get("/api/me").status_code == 200
    assert agent.post("/logout").status_code == 303
    assert with_cookie(system, stolen).get("/api/me").status_code == 401


def test_logout_ends_every_session_of_the_user(system: InProcessSystem) -> None:
    desk, laptop = system.login("agent2"), system.login("agent2")
    assert cookie(desk) != cookie(laptop)
    user_id = laptop.get("/api/me").json()["id"]
    desk.post("/logout")
    assert laptop.get("/api/me").status_code == 401
    with system.redis() as redis:
        assert not redis.exists(USER_KEY + str(user_id))


def test_logout_by_get_only_shows_a_form(system: InProcessSystem) -> None:
    agent = system.login("agent1")
    page = agent.get("/logout")
    assert page.status_code == 200
    assert re.search(r'<form method="post" action="/logout"', page.text)
    assert "Log out" in page.text and "退出" in page.text
    assert agent.get("/api/me").status_code == 200  # still logged in


def test_the_cookie_carries_only_a_random_id_known_to_redis(system: InProcessSystem) -> None:
    agent = system.login("agent1")
    value = cookie(agent)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", value)
    user_id = agent.get("/api/me").json()["id"]
    with system.redis() as redis:
        stored = redis.hgetall(SESSION_KEY + value)
        assert stored[b"user"] == str(user_id).encode()
        assert value.encode() in redis.smembers(USER_KEY + str(user_id))
    assert with_cookie(system, "x" * 43).get("/api/me").status_code == 401


def test_login_always_starts_a_fresh_session_id(system: InProcessSystem) -> None:
    agent = system.login("agent1")
    first = cookie(agent)
    again = agent.post("/login", json={"username": "agent1", "password": "demo-password-for-tests"})
    assert again.status_code == 200
    assert cookie(agent) != first
    assert with_cookie(system, first).get("/api/me").status_code == 401  # the old id is gone
    # An id planted before login (session fixation) is never the one the login keeps.
    planted = with_cookie(system, "p" * 43)
    planted.post("/login", json={"username": "agent1", "password": "demo-password-for-tests"})
    assert cookie(planted) != "p" * 43


def test_a_session_lapses_after_the_idle_timeout(system: InProcessSystem) -> None:
    agent = system.login("agent1")
    with system.redis() as redis:
        key = SESSION_KEY + cookie(agent)
        assert 29 * 60_000 < redis.pttl(key) <= 30 * 60_000  # SESSION_IDLE_MINUTES, renewed by each request
        redis.pexpire(key, 1)
    time.sleep(0.01)
    assert agent.get("/api/me").status_code == 401


def test_a_session_ends_after_its_absolute_lifetime_even_when_busy(system: InProcessSystem) -> None:
    agent = system.login("agent1")
    with system.redis() as redis:
        key = SESSION_KEY + cookie(agent)
        redis.hset(key, "created", int(time.time() * 1000) - 12 * 3600 * 1000 + 60_000)
        assert agent.get("/api/me").status_code == 200
        assert redis.pttl(key) <= 60_000  # never beyond the lifetime
        redis.hset(key, "created", int(time.time() * 1000) - 12 * 3600 * 1000 - 1)
        assert agent.get("/api/me").status_code == 401
        assert not redis.exists(key)


def _ended_with(url: str, session: str, end: Redis, user_id: int) -> int:
    with connect(url, additional_headers={"Cookie": f"cc_session={session}"}) as ws:
        ws.send(json.dumps({"type": "hello", "last_seq": None}))
        assert json.loads(ws.recv(timeout=10))["type"] == "snapshot"
        end_user_sessions(end, user_id=user_id)
        deadline = time.monotonic() + 5
        try:
            while time.monotonic() < deadline:
                ws.recv(timeout=deadline - time.monotonic())
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code
    raise AssertionError("the socket outlived its session")


def test_open_sockets_close_when_their_session_ends(system: InProcessSystem) -> None:
    ws_base = system.base_url.replace("http", "ws", 1)
    with system.redis() as redis:
        for username, path in (("agent1", "/agents/ws"), ("supervisor", "/supervisors/ws")):
            client = system.login(username)
            user_id = client.get("/api/me").json()["id"]
            assert _ended_with(ws_base + path, cookie(client), redis, user_id) == 4401


def test_an_open_console_keeps_its_session_from_idling_out(system: InProcessSystem) -> None:
    agent = system.login("agent1")
    with (
        system.redis() as redis,
        connect(
            system.base_url.replace("http", "ws", 1) + "/agents/ws",
            additional_headers={"Cookie": f"cc_session={cookie(agent)}"},
        ) as ws,
    ):
        ws.send(json.dumps({"type": "hello", "last_seq": None}))
        ws.recv(timeout=10)
        key = SESSION_KEY + cookie(agent)
        redis.pexpire(key, 60_000)
        time.sleep(0.5)  # a check of the open sockets' sessions (every 0.2 s here) renews it
        assert redis.pttl(key) > 29 * 60_000


def test_a_request_is_answered_503_while_redis_cannot_check_its_session() -> None:
    class RedisDown:
        async def touch(self, session_id: str) -> None:
            raise redis_errors.ConnectionError("connection refused")

    async def hello(request: Request) -> Response:
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/", hello)], middleware=[Middleware(ServerSessions, https_only=False, max_age=60)])
    app.state.sessions = RedisDown()
    client = TestClient(app)
    assert client.get("/").status_code == 200  # no cookie, nothing to check
    client.cookies.set("cc_session", "s" * 43)
    answer = client.get("/")
    assert answer.status_code == 503 and answer.json()["code"] == "unavailable"


def test_the_open_sockets_sessions_are_checked_in_slices(system: InProcessSystem) -> None:
    async def check() -> tuple[list[str], list[str], set[str]]:
        redis = AsyncRedis.from_url(system.redis_url)
        store = SessionStore(redis, Lifetimes(idle_ms=60_000, absolute_ms=3_600_000))
        live = [await store.start(user_id=999_999, must_change=False, replacing=None) for _ in range(3)]
        dead = [f"{n:043d}" for n in range(2 * GONE_BATCH + 100)]
        gone = await store.gone([*dead[:GONE_BATCH], *live, *dead[GONE_BATCH:]])
        await redis.aclose()
        return live, dead, gone

    live, dead, gone = asyncio.run(check())
    assert gone == set(dead)
