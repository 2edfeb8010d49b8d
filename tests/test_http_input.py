"""Bad input over HTTP gets a clear 400, never a crash."""

from __future__ import annotations

import socket

import httpx
import pytest

from tests.conftest import System

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("body", ["[1, 2]", "not json", '"agent1"'])
def test_a_login_that_is_not_a_json_object_gets_a_clear_400(system: System, body: str) -> None:
    response = httpx.post(system.base_url + "/login", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert "username and password" in response.json()["error"]


@pytest.mark.parametrize("body", ["[]", "nope", '{"state": "dancing"}'])
def test_agent_actions_with_a_bad_body_get_a_clear_400(system: System, body: str) -> None:
    agent = system.login("agent1")
    response = agent.post("/api/agent/state", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]


def _refusal_of_a_body_never_sent(system: System, path: str, content_type: str, length: int) -> bytes:
    """Over a raw socket (uvicorn): the headers announce `length` bytes and none follow. The answer must
    come from Content-Length alone. (Sending the 10 MB raced the server's close after its early 413: the
    client's unread data made the server's kernel reset the connection, losing the answer now and then.)"""
    url = httpx.URL(system.base_url)
    with socket.create_connection((url.host, url.port or 80), timeout=20) as conn:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {length}\r\nX-Twilio-Signature: anything\r\n\r\n"
        )
        conn.sendall(head.encode())
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < 20:
            piece = conn.recv(65536)
            if not piece:
                break
            answer += piece
    return answer


def test_a_10_mb_webhook_and_a_10_mb_login_get_413_from_the_served_app_before_their_bodies_are_read(
    system: System,
) -> None:
    webhook = _refusal_of_a_body_never_sent(system, "/twilio/voice", "application/x-www-form-urlencoded", 10_000_000)
    assert webhook.startswith(b"HTTP/1.1 413 ") and b"bytes" in webhook, webhook[:300]
    login = _refusal_of_a_body_never_sent(system, "/login", "application/json", 10_000_000)
    assert login.startswith(b"HTTP/1.1 413 ") and b'"too_large"' in login, login[:300]


def test_a_login_of_100000_nested_brackets_gets_a_clear_400(system: System) -> None:
    response = httpx.post(system.base_url + "/login", content=b"[" * 100_000, headers=JSON)
    assert response.status_code == 400 and "deep" in response.json()["error"]
