"""Malformed and outsized input over HTTP: always a 4xx with a message, never a 500 or a traceback.

Ids past the largest SQL integer are 404 on every `{…:int}` route; JSON nested deeper than the cap and
bodies that are no UTF-8 are 400 on every JSON endpoint; a queue's limits and `?after=` take sane
numbers only; a non-ASCII Twilio signature is a 403; request bodies past their cap are 413, refused by
Content-Length before they are read and while they stream (the first webhook of a call too, which is
answered ahead of the middleware stack). One app on the demo data serves every test of the module.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx2
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from contactcenter import openapi
from contactcenter.app import create_app
from contactcenter.errors import MAX_ID, MAX_JSON_DEPTH
from contactcenter.settings import load_settings
from tests.conftest import emptied_app_redis_url
from tests.environment import clear_settings
from tests.inprocess import DEMO_PASSWORD, HOTLINE, DemoDatabase

AUTH_TOKEN = "twilio-auth-token-for-input-tests"
PUBLIC_URL = "http://testserver"
API_LIMIT, WEBHOOK_LIMIT = 20_000, 10_000  # small, so that the tests send little
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def client(
    demo_database: DemoDatabase, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The app on the demo data, logged in as the demo supervisor (who may call every JSON operation)."""
    workdir: Path = tmp_path_factory.mktemp("input-limits")
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_settings(monkeypatch, workdir)
        settings = load_settings(
            VAR_DIR=str(workdir / "var"),
            DATABASE_URL=demo_database.copy(workdir),
            REDIS_URL=emptied_app_redis_url(redis_url),
            SECRET_KEY="session-secret-for-input-tests",
            TWILIO_API_BASE="http://127.0.0.1:9",
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            PUBLIC_BASE_URL=PUBLIC_URL,
            MAX_BODY_BYTES=str(API_LIMIT),
            MAX_WEBHOOK_BODY_BYTES=str(WEBHOOK_LIMIT),
            CHAT_FORM_LIMIT="1000",
        )
        app = create_app(settings)
        with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
            logged_in = client.post("/login", json={"username": "supervisor", "password": DEMO_PASSWORD})
            assert logged_in.status_code == 200, logged_in.text
            yield client


# Asked as the admin: the admins' and managers' own (retention too), QA leads' (scorecards, sampling, skips), and
# the customer file's (the demo's customer 1 has no ticket or contact of the supervisor's team, so their policy
# would refuse it 404 before any body is read).
ADMIN_PATHS = (
    "/api/admin/",
    "/api/sla-policies/",
    "/api/agent-flags/",
    "/api/customers/",
    "/api/qa/sampling/",
    "/api/qa/work/",
    "/api/qa/scorecards",
    "/api/retention/",
)


def json_operations_as_who_may(client: TestClient) -> Iterator[tuple[str, str]]:
    """`json_operations()`, the admins' asked as the demo admin (the supervisor's are refused by their
    policy before any body is read), then the client is the supervisor's again."""
    operations = json_operations()
    yield from (operation for operation in operations if not operation[1].startswith(ADMIN_PATHS))
    assert client.post("/login", json={"username": "admin", "password": DEMO_PASSWORD}).status_code == 200
    try:
        yield from (operation for operation in operations if operation[1].startswith(ADMIN_PATHS))
    finally:
        assert client.post("/login", json={"username": "supervisor", "password": DEMO_PASSWORD}).status_code == 200


def refused(response: httpx2.Response, status: int) -> str:
    """The refusal's message, once its status is `status` and it has one (JSON, or plain text for Twilio)."""
    assert response.status_code == status, f"{response.request.url}: {response.status_code} {response.text[:300]}"
    assert "Traceback" not in response.text
    if response.headers.get("content-type", "").startswith("application/json"):
        message = response.json()["error"]
    else:
        message = response.text
    assert message.strip(), f"{response.request.url}: a {status} without a message"
    return str(message)


def int_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every route of the app with an `{…:int}` parameter."""
    app: Any = client.app
    return [
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route) and ":int}" in route.path
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]


def json_operations() -> list[tuple[str, str]]:
    """(method, path with ids 1) of every documented operation that reads a JSON body."""
    found = []
    for path, item in openapi.document()["paths"].items():
        for method, operation in item.items():
            if method in ("post", "put", "patch") and path != "/logout":
                content = operation.get("requestBody", {}).get("content", {})
                if "application/json" in content or path == "/login":
                    found.append((method.upper(), re.sub(r"\{\w+\}", "1", path).replace("1/1", "1/take")))
    return found


def test_ids_past_the_largest_sql_integer_are_404_on_every_int_route(client: TestClient) -> None:
    routes = int_routes(client)
    assert len(routes) >= 28
    for method, path in routes:
        for too_big in (str(MAX_ID + 1), "9" * 30, "0" * 40 + "1" + "0" * 10):
            url = re.sub(r"\{\w+:int\}", too_big, path, count=1).replace("{action:str}", "take")
            url = re.sub(r"\{\w+:int\}", "1", url)
            refused(client.request(method, url, json={}), 404)


def test_every_int_route_matches_ids_up_to_the_largest_sql_integer_only(client: TestClient) -> None:
    """The bounded path convertor is the one every `{…:int}` of the app's route table uses."""
    app: Any = client.app
    convertors = [c for r in app.routes if isinstance(r, Route) for c in r.param_convertors.values()]
    ints = [c for c in convertors if type(c).__name__ != "StringConvertor"]
    assert ints and all(c.regex != "[0-9]+" for c in ints)
    regex = re.compile(ints[0].regex)
    for value in ("0", "1", "007", str(MAX_ID), "0" + str(MAX_ID), "999999999", "1999999999", "2147483639"):
        assert regex.fullmatch(value), value
    for value in (str(MAX_ID + 1), "2147483650", "2200000000", "9999999999", "9" * 30, "-1", "", "1.0"):
        assert not regex.fullmatch(value), value


@pytest.mark.parametrize(
    "body",
    # Past Python's recursion limit (1,000), within the test's body cap (the 100,000 `[` are a 413 here).
    [b"[" * 15_000, b'{"a":' * 3_000, b'{"state": ' + b"[" * (MAX_JSON_DEPTH + 1)],
    ids=["15000 [", "3000 objects", "one past the cap"],
)
def test_json_nested_past_the_cap_is_a_400_on_every_json_endpoint(client: TestClient, body: bytes) -> None:
    operations = json_operations()
    assert len(operations) >= 13 and ("POST", "/login") in operations
    for method, path in json_operations_as_who_may(client):
        message = refused(client.request(method, path, content=body, headers=JSON), 400)
        assert "deep" in message, f"{method} {path}: {message}"


def test_json_as_deep_as_the_cap_is_read(client: TestClient) -> None:
    body = {"state": "available", "reason": "x", "more": 1}
    nested: Any = 0
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [nested]
    response = client.post("/api/agent/state", json={**body, "more": nested})
    assert response.status_code == 200, response.text
    client.post("/api/agent/state", json={"state": "offline"})


@pytest.mark.parametrize("body", [b'{"username": "\xff\xfe"}', b"\xff\xfe\x00{", b'{"state": "\xc3"}'])
def test_a_json_body_that_is_no_utf8_is_a_400_on_every_json_endpoint(client: TestClient, body: bytes) -> None:
    for method, path in json_operations_as_who_may(client):
        message = refused(client.request(method, path, content=body, headers=JSON), 400)
        assert "UTF-8" in message or "JSON" in message, f"{method} {path}: {message}"


def test_a_login_form_that_is_no_utf8_is_refused(client: TestClient) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    refused(client.post("/login", content=b"username=\xff\xfe&password=x", headers=form), 400)


@pytest.mark.parametrize(
    "changes",
    [{"max_length": 10**30}, {"max_wait_seconds": 10**30}, {"max_length": 2**63}, {"max_wait_seconds": 2**31}],
)
def test_a_queue_limit_past_any_sane_number_is_a_400(client: TestClient, changes: dict[str, int]) -> None:
    message = refused(client.patch("/api/queues/general", json=changes), 400)
    assert next(iter(changes)) in message


@pytest.fixture(scope="module")
def chat_id(client: TestClient) -> str:
    """A chat that exists (the supervisor may read any chat)."""
    started = client.post(
        "/api/chat/start", json={"name": "Input Test", "phone": "+8613800000001", "topic": "consultation"}
    )
    assert started.status_code in (201, 409), started.text
    if started.status_code == 409:  # the hotline is closed: no chat to read, only the route's refusals
        pytest.skip("the chat hotline is closed")
    return str(started.json()["contact"])


@pytest.mark.parametrize("after", ["²", "١٢", "9" * 30, str(2**63), "-1", "1.5", "0x10", " 1", "1e3", ""])
def test_odd_after_values_are_a_400(client: TestClient, chat_id: str, after: str) -> None:
    message = refused(client.get(f"/api/agent/chats/{chat_id}/messages", params={"after": after}), 400)
    assert "after" in message


def test_sane_after_values_are_read(client: TestClient, chat_id: str) -> None:
    for after in ("0", "1", str(MAX_ID)):
        response = client.get(f"/api/agent/chats/{chat_id}/messages", params={"after": after})
        assert response.status_code == 200, response.text


def signed_form(path: str, fields: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    """A webhook's form and headers, signed as Twilio signs them."""
    body = httpx2.QueryParams(fields).__str__().encode()
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, fields)
    return body, {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature}


CALL = {"CallSid": "CA" + "1" * 32, "From": "+8613800000002", "To": HOTLINE, "CallStatus": "ringing"}


@pytest.mark.parametrize("path", ["/twilio/voice", "/twilio/voice/status", "/twilio/recording"])
@pytest.mark.parametrize("signature", ["é", "签名", "\udcff"])
def test_a_non_ascii_twilio_signature_is_a_403(client: TestClient, path: str, signature: str) -> None:
    body, headers = signed_form(path, CALL)
    raw = [(k.encode(), v.encode()) for k, v in headers.items() if k != "X-Twilio-Signature"]
    raw.append((b"X-Twilio-Signature", signature.encode("utf-8", "surrogateescape")))
    refused(client.post(path, content=body, headers=raw), 403)


def test_a_signed_webhook_past_its_cap_is_a_413_the_first_of_a_call_too(client: TestClient) -> None:
    for path in ("/twilio/voice", "/twilio/voice/status", "/twilio/recording"):
        body, headers = signed_form(path, {**CALL, "Padding": "x" * WEBHOOK_LIMIT})
        message = refused(client.post(path, content=body, headers=headers), 413)
        assert str(WEBHOOK_LIMIT) in message
    body, headers = signed_form("/twilio/voice", CALL)
    assert client.post("/twilio/voice", content=body, headers=headers).status_code == 200


def test_an_api_body_past_its_cap_is_a_413_by_its_content_length(client: TestClient) -> None:
    big = b'{"state": "available", "reason": "' + b"x" * API_LIMIT + b'"}'
    for method, path in [("POST", "/api/agent/state"), ("POST", "/login"), ("POST", "/api/chat/start")]:
        message = refused(client.request(method, path, content=big, headers=JSON), 413)
        assert str(API_LIMIT) in message
    # A webhook's limit is its own: an API body between the two caps is read.
    under = {"state": "offline", "reason": "x" * (WEBHOOK_LIMIT + 10)}
    assert client.post("/api/agent/state", json=under).status_code == 200


def streamed(size: int, chunk: int = 4096) -> Iterator[bytes]:
    """A body with no Content-Length (chunked), `size` bytes of a JSON string."""
    yield b'{"reason": "'
    for _ in range(size // chunk):
        yield b"x" * chunk
    yield b'"}'


def test_a_streamed_body_past_its_cap_is_a_413_while_it_streams(client: TestClient) -> None:
    response = client.post("/api/agent/state", content=streamed(API_LIMIT * 3), headers=JSON)
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert str(API_LIMIT) in refused(response, 413)
    body, headers = signed_form("/twilio/voice/status", {**CALL, "Padding": "x" * WEBHOOK_LIMIT})
    pieces = iter([body[:100], body[100:]])
    assert str(WEBHOOK_LIMIT) in refused(client.post("/twilio/voice/status", content=pieces, headers=headers), 413)
    body, headers = signed_form("/twilio/voice", {**CALL, "Padding": "x" * WEBHOOK_LIMIT})  # the fast opening's
    assert str(WEBHOOK_LIMIT) in refused(client.post("/twilio/voice", content=iter([body]), headers=headers), 413)
    small = client.post("/api/agent/state", content=iter([b'{"state": ', b'"offline"}']), headers=JSON)
    assert small.status_code == 200, small.text


def test_a_lying_content_length_is_refused_before_the_body_is_read(client: TestClient) -> None:
    headers = {**JSON, "Content-Length": str(10 * 1024 * 1024)}
    response = client.post("/api/agent/state", content=b"{}", headers=headers)
    assert str(API_LIMIT) in refused(response, 413)
    bad = client.post("/api/agent/state", content=b"{}", headers={**JSON, "Content-Length": "many"})
    assert 400 <= bad.status_code < 500


@pytest.mark.parametrize("value", ["²", "١٢", "9" * 30, "-1", "1.5", ""])
def test_odd_whole_numbers_in_a_query_are_a_400(client: TestClient, value: str) -> None:
    refused(client.get("/ivr/hold-music.wav", params={"seconds": value}), 400)
    assert "hours" in refused(client.get("/api/stats/queues/history", params={"hours": value}), 400)
    webhook = "/twilio/voice/wait?" + urlencode({"contact": value})  # signed as the app will see it
    body, headers = signed_form(webhook, CALL)
    past_any_id = value.isdigit() and len(value) > 10  # a number, of no contact
    assert "contact" in refused(client.post(webhook, content=body, headers=headers), 404 if past_any_id else 400)


LONE_SURROGATE = "\\ud800"  # JSON's escape of half a UTF-16 pair: text no database or encoder takes


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/login", {"username": LONE_SURROGATE, "password": "x"}),
        ("/api/chat/start", {"name": "A" + LONE_SURROGATE, "phone": "+8613800000009", "topic": "consultation"}),
        ("/api/contacts/1/requeue", {"priority": 1, "queue": LONE_SURROGATE}),
        ("/api/canned-replies", {"title": LONE_SURROGATE, "body": "b"}),
    ],
    ids=["login", "chat", "requeue", "canned reply"],
)
def test_json_text_with_half_a_surrogate_pair_is_a_400(client: TestClient, path: str, body: dict[str, Any]) -> None:
    raw = "{" + ", ".join(f'"{k}": ' + (f'"{v}"' if isinstance(v, str) else str(v)) for k, v in body.items()) + "}"
    assert "JSON" in refused(client.post(path, content=raw.encode(), headers=JSON), 400)
    pair = raw.replace(LONE_SURROGATE, "\\ud83d\\ude00")  # a whole pair (an emoji) is fine text
    assert client.post(path, content=pair.encode(), headers=JSON).status_code < 500


@pytest.mark.parametrize("path", ["/chat/ws", "/agents/ws", "/supervisors/ws"])
@pytest.mark.parametrize(
    "hello", ["[" * 15_000, '{"type": "hello", "token": "\\ud800"}', "\xff"], ids=["deep", "half a pair", "no JSON"]
)
def test_a_websocket_hello_that_is_no_readable_json_closes_4400(client: TestClient, path: str, hello: str) -> None:
    client.cookies.clear()
    logged_in = client.post("/login", json={"username": "supervisor", "password": DEMO_PASSWORD})
    assert logged_in.status_code == 200
    with client.websocket_connect(path) as ws:
        ws.send_text(hello)
        closed = ws.receive()
    assert closed["type"] == "websocket.close" and closed["code"] == 4400, closed


def test_a_chat_hello_after_a_message_id_past_any_is_answered(client: TestClient) -> None:
    started = client.post(
        "/api/chat/start", json={"name": "Input Test", "phone": "+8613800000003", "topic": "consultation"}
    )
    if started.status_code == 409:
        pytest.skip("the chat hotline is closed")
    with client.websocket_connect("/chat/ws") as ws:
        ws.send_json({"type": "hello", "token": started.json()["token"], "last_message_id": 10**30})
        history = ws.receive_json()
    assert history["type"] == "history" and history["messages"] == []
