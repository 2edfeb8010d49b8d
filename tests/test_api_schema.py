"""Schemathesis against the served OpenAPI document, in process: for every JSON operation, page, static
folder and Twilio webhook, a few generated requests (valid and invalid ones) as anonymous, as an agent and
as a supervisor (the role that may call every operation, so the most examples), and each answer must be
no 5xx, a documented status, a documented content type and a body of the documented schema. Webhook
requests are signed as Twilio signs them, so they reach the handlers (which must answer TwiML, or refuse
in plain text).

The app runs once, in a starlette TestClient (its lifespan builds the services). Schemathesis's own ASGI
transport would start the lifespan a second time on its own event loop, so the generated requests go
through the TestClient and schemathesis validates the answers (`case.validate_response`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx2
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from contactcenter import openapi
from contactcenter.app import create_app
from contactcenter.settings import load_settings
from contactcenter.tickets import notifier
from tests.conftest import emptied_app_redis_url
from tests.desk import make_ticket
from tests.environment import clear_settings
from tests.inprocess import DEMO_PASSWORD, DemoDatabase

pytestmark = pytest.mark.long  # ~37 s on one test process: started first (tests/conftest.py)

AUTH_TOKEN = "twilio-auth-token-for-schema-tests"
PUBLIC_URL = "https://hotline.example.com"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Who asks, and examples per operation (the supervisor reaches every handler; the others mostly their
# refusals). About 30 s of one core for the whole module.
ROLES = {"anonymous": (None, 3), "agent": ("agent1", 4), "supervisor": ("supervisor", 8)}
# Operations that never read the session, asked once, as anonymous, with fewer examples: logging in hashes
# a password per request, the hold music is generated per request (up to 600 s of it).
SESSIONLESS = {"POST /login": 4, "GET /ivr/hold-music.wav": 2}


@pytest.fixture(scope="module")
def client(
    demo_database: DemoDatabase, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The app on the demo data (`sessions` are its logged-in users' cookies)."""
    workdir: Path = tmp_path_factory.mktemp("api-schema")
    url = demo_database.copy(workdir)
    with pytest.MonkeyPatch.context() as monkeypatch:
        clear_settings(monkeypatch, workdir)
        settings = load_settings(
            VAR_DIR=str(workdir / "var"),
            DATABASE_URL=url,
            REDIS_URL=emptied_app_redis_url(redis_url),  # not the database `redis_client` flushes
            SECRET_KEY="session-secret-for-schema-tests",
            # The sandbox's Twilio (as `run` starts it): the browser phone's token is then the sandbox's
            # address, where real Twilio without its keys would answer the documented 503.
            TWILIO_API_BASE="http://127.0.0.1:9",
            TWILIO_AUTH_TOKEN=AUTH_TOKEN,
            PUBLIC_BASE_URL=PUBLIC_URL,
            # Generous, so that the generated chat forms and logins are answered, not refused as too many.
            CHAT_FORM_LIMIT="10000",
            LOGIN_FAILURE_LIMIT="1000",
        )
        with TestClient(create_app(settings), follow_redirects=False) as client:
            yield client


@pytest.fixture(scope="module")
def sessions(client: TestClient) -> dict[str, str | None]:
    """Each role's session cookie (None: anonymous), logged in once."""
    found: dict[str, str | None] = {}
    for role, (username, _) in ROLES.items():
        client.cookies.clear()
        if username is not None:
            logged_in = client.post("/login", json={"username": username, "password": DEMO_PASSWORD})
            assert logged_in.status_code == 200, logged_in.text
        found[role] = client.cookies.get("cc_session")
    client.cookies.clear()
    return found


def fuzzed(path: str, operation: dict[str, Any]) -> bool:
    """Operations that generated requests can exercise as a client would.

    Left out: websockets (no HTTP answer to check: test_console_socket.py and test_chat_web.py speak
    them) and logging out (it would end the session the rest of the run uses)."""
    return not (operation.get("x-websocket") or path == "/logout")


# The operations as api.yml has them (collected before any app runs; the test reads the served document).
OPERATIONS = [
    (f"{method.upper()} {path}", operation)
    for path, item in openapi.document()["paths"].items()
    for method, operation in item.items()
    if method in ("get", "post", "put", "patch", "delete") and fuzzed(path, operation)
]
# Twilio's webhooks and static files read no session either.
ONCE = {label for label, op in OPERATIONS if label in SESSIONLESS or op.get("x-twilio-webhook") or op.get("x-static")}
ASKED = [(role, label) for label, _ in OPERATIONS for role in ROLES if role == "anonymous" or label not in ONCE]


@pytest.fixture(scope="module")
def tally() -> Iterator[Counter[str]]:
    """Operations and requests this run made, printed at the end (pytest -s shows it)."""
    counts: Counter[str] = Counter()
    yield counts
    print(f"\nschemathesis: {len(counts) - 1} operations, {counts['requests']} requests")


def twilio_signature(request: httpx2.Request) -> str:  # what TestClient builds
    """Twilio's signature of a webhook: the public URL (path and query as the app gets them) and the form."""
    query = request.url.query.decode()
    url = PUBLIC_URL + request.url.path + (f"?{query}" if query else "")
    try:
        fields = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
    except UnicodeDecodeError:  # the app refuses such a form before it looks at the signature
        return ""
    return str(RequestValidator(AUTH_TOKEN).compute_signature(url, fields))


def sendable(files: Any) -> Any:
    """schemathesis's multipart parts (as `requests` takes them) with every content as bytes or text: httpx2
    takes no other value, and a negative case's file may be a number."""
    if not files:
        return files

    def content(value: Any) -> Any:
        return value if isinstance(value, str | bytes) or hasattr(value, "read") else str(value).encode()

    parts = files.items() if isinstance(files, dict) else files
    return [
        (name, (part[0], content(part[1]), *part[2:]) if isinstance(part, tuple) else content(part))
        for name, part in parts
    ]


@pytest.fixture(scope="module")
def api_schema(client: TestClient) -> Any:
    return schemathesis.openapi.from_dict(client.get("/api/openapi.json").json())


@pytest.mark.parametrize(("role", "label"), ASKED)
def test_every_operation_answers_as_documented(
    role: str, label: str, api_schema: Any, client: TestClient, sessions: dict[str, str | None], tally: Counter[str]
) -> None:
    method, path = label.split(" ", 1)
    operation = api_schema[path][method]
    valid_or_not = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)
    )

    @given(case=valid_or_not)
    @settings(
        max_examples=SESSIONLESS.get(label, ROLES["supervisor"][1]) if label in ONCE else ROLES[role][1],
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,  # the same requests every run: a failure is a finding, never a fluke
        database=None,
    )
    def answers_as_documented(case: Any) -> None:
        tally["requests"] += 1
        tally[label] += 1
        request = case.as_transport_kwargs(base_url=str(client.base_url))
        client.cookies.clear()  # the role's session only (an answer may have set another cookie)
        if (session := sessions[role]) is not None:
            client.cookies.set("cc_session", session)
        data = request.get("data")
        built = client.build_request(
            request["method"],
            request["url"],
            params=request.get("params"),
            headers=request.get("headers"),
            json=request.get("json"),
            data=data if isinstance(data, dict) else None,
            content=data if isinstance(data, str | bytes) else None,
            files=sendable(request.get("files")),
        )
        built.read()  # a multipart body (an upload's file) is built as a stream; the checks read the request's
        if case.operation.definition.raw.get("x-twilio-webhook"):
            built.headers["X-Twilio-Signature"] = twilio_signature(built)
        case.validate_response(client.send(built), checks=CHECKS)

    answers_as_documented()


# ---- the desk's odd input, each once: what the few generated examples above may not reach ----------------


@pytest.fixture(scope="module")
def manager_session(client: TestClient) -> str:
    """The demo manager's session cookie (who may edit SLA policies)."""
    client.cookies.clear()
    assert client.post("/login", json={"username": "manager", "password": DEMO_PASSWORD}).status_code == 200
    found = client.cookies.get("cc_session")
    client.cookies.clear()
    assert found is not None
    return found


def as_session(client: TestClient, session: str | None) -> TestClient:
    client.cookies.clear()
    client.cookies.set("cc_session", session or "")
    return client


ODD_LIST_QUERIES = [
    {"limit": "²"},  # a digit to str.isdigit, no number to int()
    {"limit": "abc"},
    {"limit": "0"},
    {"limit": "9" * 30},
    {"assignee_id": "١٢"},  # Arabic-Indic digits
    {"customer_id": "²"},
    {"customer_id": "-1"},
    {"view": "bogus"},
    {"status": "bogus"},
    {"due": "later"},
    {"q": "!!!"},  # only punctuation: no word to search for
    {"q": "x" * 300},
    {"after": "garbage"},
    {"after": "_"},
    {"after": "2026-12-07T00:00:00+00:00_99999999999999999999"},  # an id past any SQL integer
    {"after": "2026-12-07T00:00:00+00:00_²"},
    {"created_from": "yesterday"},
    {"created_from": "0001-01-01T00:00+08:00"},  # before year 1 in UTC
    {"updated_to": "9999-12-31T23:59:59-12:00"},  # after year 9999 in UTC
    {"category": "a\x00b"},  # PostgreSQL refuses NUL in text
    {"queue": "\x00"},
]


@pytest.mark.parametrize("params", ODD_LIST_QUERIES, ids=[repr(p)[:40] for p in ODD_LIST_QUERIES])
def test_an_odd_desk_list_query_is_a_400_naming_the_parameter(
    client: TestClient, sessions: dict[str, str | None], params: dict[str, str]
) -> None:
    answer = as_session(client, sessions["supervisor"]).get("/api/tickets", params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith(next(iter(params))) or "status" in params


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "  "},
        {"q": "空调 KFR-35GW"},
        {"limit": "100", "after": "2026-12-07T08:00:00+08:00_5"},
        {"created_from": "2026-12-07", "updated_to": "2026-12-08T09:30:00+08:00", "status": "new, merged"},
    ],
    ids=["empty q", "blank q", "a search", "a cursor", "dates and statuses"],
)
def test_a_sane_desk_list_query_is_answered(
    client: TestClient, sessions: dict[str, str | None], params: dict[str, str]
) -> None:
    answer = as_session(client, sessions["supervisor"]).get("/api/tickets", params=params)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("category", "target"),
    [("%00", "resolve"), ("complaint", "%00"), ("*", "resolve"), ("complaint", "escalation:1"), ("x" * 64, "y" * 24)],
    ids=["NUL category", "NUL target", "every category's resolve", "a category's level", "long unknowns"],
)
def test_an_odd_sla_policy_path_is_a_400(
    client: TestClient, sessions: dict[str, str | None], manager_session: str, category: str, target: str
) -> None:
    path = f"/api/sla-policies/{category}/{target}"
    assert as_session(client, sessions["supervisor"]).put(path, json={"minutes": 30}).status_code == 403
    answer = as_session(client, manager_session).put(path, json={"minutes": 30})
    assert answer.status_code == 400, answer.text


def test_an_escalation_whose_live_push_fails_is_made_and_its_notification_kept(
    client: TestClient, sessions: dict[str, str | None], manager_session: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def redis_gone(*args: object) -> None:
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(notifier, "notifications_sent", redis_gone)
    ticket = make_ticket(client.app.state.services, category="repair", queue="general")  # type: ignore[attr-defined]
    escalated = as_session(client, manager_session).post(f"/api/tickets/{ticket}/escalate", json={})
    assert escalated.status_code == 200, escalated.text
    assert escalated.json()["escalation_level"] == 1
    told = as_session(client, sessions["supervisor"]).get("/api/notifications", params={"unread": "1"}).json()
    assert [(n["kind"], n["data"]["level"]) for n in told["notifications"] if n["ticket_id"] == ticket] == [
        ("escalated", 1)
    ]


def test_a_date_without_an_offset_is_the_hotlines_day_on_every_database(
    client: TestClient, manager_session: str
) -> None:
    """04:00 in Shanghai on 7 December is 20:00 UTC on the 6th: listed from the 7th on, not before it (SQLite
    compares the stored UTC text, so the bound must be given in UTC too)."""
    services = client.app.state.services  # type: ignore[attr-defined]
    opened = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    ticket = make_ticket(services, category="order", phone="+8613700135007", opened_at=opened)
    customer = as_session(client, manager_session).get(f"/api/tickets/{ticket}").json()["customer"]["id"]

    def listed(**bounds: str) -> bool:
        params = {"view": "all", "customer_id": str(customer), **bounds}
        rows = as_session(client, manager_session).get("/api/tickets", params=params).json()["tickets"]
        return ticket in [row["id"] for row in rows]

    assert listed(created_from="2026-12-07") and not listed(created_to="2026-12-07")
    assert listed(created_to="2026-12-07T04:00:01") and not listed(created_from="2026-12-07T04:00:01")
