"""Who the client is, and how much it may try: X-Forwarded-For is believed only from TRUSTED_PROXIES
(as `contactcenter serve` configures uvicorn), wrong passwords are limited per user name across addresses
and per address across user names, and a customer's chat socket may send only so many messages."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from websockets.sync.client import connect

from contactcenter import cli
from tests.conftest import DEMO_PASSWORD, StartInProcess
from tests.environment import clear_settings
from tests.inprocess import InProcessSystem

PROXY = "127.0.0.2"  # the balancer: a loopback address of its own, so 127.0.0.1 is a stranger
CHAT = {"name": "钱先生", "phone": "13812345678", "topic": "repair", "language": "zh-CN"}


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    settings = {
        "TRUSTED_PROXIES": f"{PROXY},10.255.0.0/16",
        "LOGIN_FAILURE_LIMIT": "3",
        "LOGIN_USER_FAILURE_LIMIT": "4",
        "LOGIN_ADDRESS_FAILURE_LIMIT": "4",
        "CHAT_MESSAGE_LIMIT": "3",
        "CHAT_MESSAGE_WINDOW_SECONDS": "60",
    }
    with start_in_process(settings) as running:
        yield running


def client_from(system: InProcessSystem, peer: str, forwarded_for: str | None = None) -> httpx.Client:
    """A client connecting from `peer` (a loopback address), saying it forwards for `forwarded_for`."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    transport = httpx.HTTPTransport(local_address=peer)
    return httpx.Client(base_url=system.base_url, transport=transport, headers=headers, timeout=15)


def last_login_address(system: InProcessSystem, username: str) -> str:
    with system.sql().connect() as conn:
        data = conn.execute(
            text("SELECT data FROM audit_events WHERE kind = 'login_failed' AND subject_id = :name ORDER BY id DESC"),
            {"name": username},
        ).scalar_one()
    return str((json.loads(data) if isinstance(data, str) else data)["client"])


def test_a_forwarded_for_header_counts_only_from_a_trusted_proxy(system: InProcessSystem) -> None:
    with client_from(system, "127.0.0.1", "203.0.113.9") as stranger:
        assert stranger.post("/login", json={"username": "spoofer", "password": "x"}).status_code == 401
    assert last_login_address(system, "spoofer") == "127.0.0.1"
    with client_from(system, PROXY, "203.0.113.10") as balancer:
        assert balancer.post("/login", json={"username": "proxied", "password": "x"}).status_code == 401
    assert last_login_address(system, "proxied") == "203.0.113.10"


def test_serve_trusts_forwarded_headers_only_from_the_configured_proxies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, redis_url: str
) -> None:
    import uvicorn

    clear_settings(monkeypatch, tmp_path)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # uvicorn's own variable no longer widens it
    monkeypatch.setattr("contactcenter.runner.ensure_port_free", lambda host, port: None)
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    args = argparse.Namespace(host="127.0.0.1", port=1, workers=1, log_level="info", no_migrate=True)
    assert cli._serve(args) == 0
    assert calls[-1]["proxy_headers"] is False and calls[-1]["forwarded_allow_ips"] == []
    monkeypatch.setenv("TRUSTED_PROXIES", "172.28.0.1")
    assert cli._serve(args) == 0
    assert calls[-1]["proxy_headers"] is True and calls[-1]["forwarded_allow_ips"] == ["172.28.0.1"]


def test_one_user_name_guessed_from_many_addresses_is_locked_for_the_window(system: InProcessSystem) -> None:
    for n in range(4):
        with client_from(system, PROXY, f"198.51.100.{n + 1}") as client:
            assert client.post("/login", json={"username": "agent2", "password": "guess"}).status_code == 401
    with client_from(system, PROXY, "198.51.100.99") as client:
        refused = client.post("/login", json={"username": "agent2", "password": DEMO_PASSWORD})
        assert refused.status_code == 429, refused.text
        assert "this user" in refused.json()["error"] and int(refused.headers["Retry-After"]) > 0
        form = client.post("/login", data={"username": "agent2", "password": DEMO_PASSWORD})
        assert form.status_code == 429 and "登录失败次数过多" in form.text and form.headers["Retry-After"]
        assert client.post("/login", json={"username": "agent1", "password": DEMO_PASSWORD}).status_code == 200


def test_one_address_trying_many_user_names_is_refused_for_the_window(system: InProcessSystem) -> None:
    with client_from(system, PROXY, "192.0.2.7") as sprayer:
        for name in ("qa", "supervisor", "manager", "admin"):
            assert sprayer.post("/login", json={"username": name, "password": "Summer2026!"}).status_code == 401
        refused = sprayer.post("/login", json={"username": "agent3", "password": DEMO_PASSWORD})
        assert refused.status_code == 429, refused.text
        assert "from this address" in refused.json()["error"] and int(refused.headers["Retry-After"]) > 0
    with client_from(system, PROXY, "192.0.2.8") as colleague:  # the names themselves are not locked
        assert colleague.post("/login", json={"username": "qa", "password": DEMO_PASSWORD}).status_code == 200


def test_a_chat_socket_sending_too_fast_is_told_to_wait_per_message(system: InProcessSystem) -> None:
    started = httpx.post(f"{system.base_url}/api/chat/start", json=CHAT, timeout=15)
    assert started.status_code == 201, started.text
    with connect(system.base_url.replace("http", "ws", 1) + "/chat/ws") as ws:
        ws.send(json.dumps({"type": "hello", "token": started.json()["token"]}))
        assert json.loads(ws.recv(timeout=10))["type"] == "history"
        for n in range(5):
            ws.send(json.dumps({"type": "message", "body": f"第 {n} 条", "client_id": f"c{n}"}))
        stored: list[str] = []
        refused: list[dict[str, Any]] = []
        deadline = time.monotonic() + 10
        while len(stored) + len(refused) < 5 and time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=10))
            if frame["type"] == "message":
                stored.append(frame["message"]["client_id"])
            elif frame["type"] == "error":
                refused.append(frame)
    assert stored == ["c0", "c1", "c2"]
    assert [frame["client_id"] for frame in refused] == ["c3", "c4"]
    assert all(frame["code"] == "too_many" and 0 < frame["retry_after"] <= 60 for frame in refused)
    assert "发送太快" in refused[0]["error"] and "Too many messages" in refused[0]["error"]
