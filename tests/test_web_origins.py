"""Requests from other sites (contactcenter/web_guard.py): a state-changing request or a websocket whose
Origin (or Referer) is not the app's is refused, a JSON endpoint takes only JSON, and Twilio's signed
webhooks and scripts without an Origin go on as before. The browser's side: tests/test_browser_origins.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from tests.conftest import StartInProcess
from tests.inprocess import InProcessSystem

EVIL = "http://evil.example"
SHOP = "https://shop.example.com"
CHAT = {"name": "钱先生", "phone": "13812345678", "topic": "repair", "language": "zh-CN"}


@pytest.fixture(scope="module")
def system(start_in_process: StartInProcess) -> Iterator[InProcessSystem]:
    with start_in_process({"CHAT_ALLOWED_ORIGINS": SHOP}) as running:
        yield running


@pytest.fixture(scope="module")
def supervisor(system: InProcessSystem) -> httpx.Client:
    return system.login("supervisor")


@pytest.fixture(scope="module")
def agent(system: InProcessSystem) -> httpx.Client:
    return system.login("agent1")


def _state_changes(system: InProcessSystem, supervisor: httpx.Client, agent: httpx.Client) -> list[Any]:
    """(client, method, path, JSON body) of the endpoints the finding names."""
    agent_id = agent.get("/api/me").json()["id"]
    reply = supervisor.post("/api/canned-replies", json={"title": "问候", "body": "您好"}).json()["id"]
    return [
        (agent, "POST", "/api/agent/state", {"state": "available"}),
        (supervisor, "PATCH", "/api/queues/general", {"max_length": 7}),
        (supervisor, "POST", "/api/announcements", {"queues": ["general"], "text": "hello"}),
        (supervisor, "POST", f"/api/agents/{agent_id}/state", {"state": "not_ready", "reason": "break"}),
        (supervisor, "POST", "/api/canned-replies", {"title": "x", "body": "y"}),
        (supervisor, "PUT", f"/api/canned-replies/{reply}", {"title": "x", "body": "y"}),
    ]


def test_json_endpoints_refuse_text_plain_and_form_bodies_with_415(
    system: InProcessSystem, supervisor: httpx.Client, agent: httpx.Client
) -> None:
    for client, method, path, body in _state_changes(system, supervisor, agent):
        for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            sent = client.request(method, path, content=json.dumps(body), headers={"Content-Type": kind})
            assert sent.status_code == 415, (method, path, kind, sent.text)
            assert sent.json()["code"] == "unsupported_media_type" and "application/json" in sent.json()["error"]
    assert agent.get("/api/me").status_code == 200  # reading needs no content type


def test_a_page_of_another_site_cannot_change_state_even_with_json(
    system: InProcessSystem, supervisor: httpx.Client, agent: httpx.Client
) -> None:
    foreign = [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Referer": f"{EVIL}/page"},
        {"Origin": SHOP},
        {"Referer": "http://[x"},
    ]
    for client, method, path, body in _state_changes(system, supervisor, agent):
        for headers in foreign:
            sent = client.request(method, path, json=body, headers=headers)
            assert sent.status_code == 403, (method, path, headers, sent.text)
            assert sent.json()["code"] == "cross_origin"
    assert supervisor.get("/api/queues").json()  # the queue was left as it was
    general = next(q for q in supervisor.get("/api/queues").json() if q["name"] == "general")
    assert general.get("max_length") != 7


def test_the_apps_own_pages_and_scripts_without_an_origin_still_change_state(
    system: InProcessSystem, agent: httpx.Client
) -> None:
    for headers in ({"Origin": system.base_url}, {"Referer": f"{system.base_url}/console"}, {}):
        sent = agent.post("/api/agent/state", json={"state": "not_ready", "reason": "break"}, headers=headers)
        assert sent.status_code == 200, (headers, sent.text)
    # An empty body needs no content type.
    assert agent.post("/api/agent/wrap-up/extend", headers={"Origin": system.base_url}).status_code != 415


def test_login_from_another_site_is_refused_but_the_login_page_works(system: InProcessSystem) -> None:
    with httpx.Client(base_url=system.base_url, timeout=15) as client:
        form = {"username": "agent1", "password": "demo-password-for-tests"}
        for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/"}, {"Origin": "null"}):
            refused = client.post("/login", data=form, headers=headers)
            assert refused.status_code == 403, (headers, refused.text)
            assert "cc_session" not in refused.cookies
            assert "其他网站" in refused.text and "another site" in refused.text
        page = client.post("/login", data=form, headers={"Origin": system.base_url})
        assert page.status_code == 303 and "cc_session" in page.cookies


def test_the_chat_of_an_allowed_company_site_may_start_others_may_not(system: InProcessSystem) -> None:
    with httpx.Client(base_url=system.base_url, timeout=15) as client:
        assert client.post("/api/chat/start", json=CHAT, headers={"Origin": SHOP}).status_code == 201
        assert client.post("/api/chat/start", json=CHAT, headers={"Origin": EVIL}).status_code == 403
        assert client.post("/api/chat/start", content="x", headers={"Content-Type": "text/plain"}).status_code == 415


def test_twilio_webhooks_are_not_asked_for_an_origin(system: InProcessSystem) -> None:
    fallback = httpx.post(
        f"{system.base_url}/twilio/voice/fallback", data={"CallSid": "CA1"}, headers={"Origin": EVIL}, timeout=15
    )
    assert fallback.status_code != 403 or "cross_origin" not in fallback.text


def _ws(system: InProcessSystem, path: str, client: httpx.Client | None, origin: str | None) -> dict[str, Any]:
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())} if client else {}
    url = system.base_url.replace("http", "ws", 1) + path
    with connect(url, additional_headers=headers, origin=Origin(origin) if origin else None) as ws:
        ws.send(json.dumps({"type": "hello", "last_seq": None}))
        return dict(json.loads(ws.recv(timeout=10)))


def test_staff_websockets_refuse_a_foreign_origin_before_sending_anything(
    system: InProcessSystem, supervisor: httpx.Client, agent: httpx.Client
) -> None:
    for path, client in (("/agents/ws", agent), ("/supervisors/ws", supervisor)):
        for origin in (EVIL, SHOP, "null"):
            with pytest.raises(InvalidStatus) as refused:
                _ws(system, path, client, origin)
            assert refused.value.response.status_code == 403, (path, origin)
        assert _ws(system, path, client, system.base_url)["type"] == "snapshot"
        assert _ws(system, path, client, None)["type"] == "snapshot"  # not a browser: nothing to forge


def test_the_customer_chat_socket_takes_the_company_site_and_refuses_others(system: InProcessSystem) -> None:
    for origin in (SHOP, system.base_url):
        with connect(system.base_url.replace("http", "ws", 1) + "/chat/ws", origin=Origin(origin)) as ws:
            ws.send(json.dumps({"type": "hello", "token": "nonsense"}))
            with pytest.raises(ConnectionClosed):  # unknown chat: closed 4401, after the Origin let it in
                ws.recv(timeout=10)
            assert ws.close_code == 4401
    with pytest.raises(InvalidStatus) as refused:
        connect(system.base_url.replace("http", "ws", 1) + "/chat/ws", origin=Origin(EVIL))
    assert refused.value.response.status_code == 403
