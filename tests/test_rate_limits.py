"""What strangers may do, counted in Redis: starting chats and leaving messages per client address,
wrong passwords per user name and address (contactcenter/ratelimit.py)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from redis import Redis

from contactcenter.ratelimit import Limit
from tests.conftest import DEMO_PASSWORD, StartInProcess, System
from tests.inprocess import InProcessSystem

CHAT = {"name": "钱先生", "phone": "13812345678", "topic": "repair", "language": "zh-CN"}


def test_a_limit_allows_its_attempts_then_says_how_long_to_wait(redis_client: Redis) -> None:
    limit = Limit("test_forms", attempts=3, window_seconds=600)
    assert [limit.count(redis_client, "10.0.0.1") for _ in range(3)] == [None, None, None]
    assert limit.blocked(redis_client, "10.0.0.1") is not None  # the next one would be refused
    wait = limit.count(redis_client, "10.0.0.1")
    assert wait is not None and 590 <= wait <= 600
    assert limit.count(redis_client, "10.0.0.2") is None  # another address has its own count
    assert limit.blocked(redis_client, "10.0.0.3") is None
    assert limit.blocked(redis_client, "10.0.0.3") is None  # looking does not count


@pytest.fixture(scope="module")
def strict(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    """A running system allowing 3 chat forms per address and 3 wrong passwords per name and address."""
    with start_in_process({"CHAT_FORM_LIMIT": "3", "LOGIN_FAILURE_LIMIT": "3"}) as running:
        yield running


def test_a_fourth_chat_form_from_one_address_gets_429_with_the_wait(strict: System) -> None:
    with httpx.Client(base_url=strict.base_url, timeout=15) as client:
        assert client.post("/api/chat/start", json=CHAT).status_code == 201
        assert client.post("/api/chat/start", json={**CHAT, "topic": "nonsense"}).status_code == 400  # counts too
        assert client.post("/api/chat/leave-message", json={**CHAT, "message": "请回电"}).status_code == 201
        refused = client.post("/api/chat/start", json=CHAT)
        assert refused.status_code == 429
        assert "Too many requests" in refused.json()["error"] and "请求过于频繁" in refused.json()["error"]
        assert int(refused.headers["Retry-After"]) == refused.json()["retry_after"] > 0
        assert client.post("/api/chat/leave-message", json={**CHAT, "message": "请回电"}).status_code == 429


def test_after_three_wrong_passwords_even_the_right_one_waits_but_other_users_do_not(strict: System) -> None:
    with httpx.Client(base_url=strict.base_url, timeout=15) as client:
        for _ in range(3):
            assert client.post("/login", json={"username": "agent2", "password": "guess"}).status_code == 401
        refused = client.post("/login", json={"username": "Agent2", "password": DEMO_PASSWORD})
        assert refused.status_code == 429, refused.text
        assert "Too many failed logins" in refused.json()["error"]
        assert int(refused.headers["Retry-After"]) > 0
        form = client.post("/login", data={"username": "agent2", "password": DEMO_PASSWORD})
        assert form.status_code == 429 and "登录失败次数过多" in form.text
        assert client.post("/login", json={"username": "agent1", "password": DEMO_PASSWORD}).status_code == 200
