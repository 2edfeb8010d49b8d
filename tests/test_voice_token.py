"""GET /api/voice/token: a Voice SDK access token per agent with real Twilio, the sandbox's address in
sandbox mode, and a clear refusal when the browser phone cannot work."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import jwt
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from twilio.request_validator import RequestValidator

from agents.voice import renew_after
from contactcenter.app import create_app
from contactcenter.audit.models import AuditEvent
from contactcenter.db import Database
from contactcenter.settings import load_settings
from contactcenter.users.models import User
from tests.conftest import emptied_app_redis_url
from tests.environment import clear_settings
from tests.inprocess import DEMO_PASSWORD, DemoDatabase

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "auth-token-for-voice-tests"
API_KEY = "SK" + "2" * 32
API_SECRET = "api-secret-for-voice-tests-32-chars"
APP_SID = "AP" + "3" * 32
REAL_TWILIO = {
    "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
    "TWILIO_API_KEY": API_KEY,
    "TWILIO_API_SECRET": API_SECRET,
    "TWILIO_TWIML_APP_SID": APP_SID,
    "TWILIO_API_BASE": "",  # unset: real Twilio
}
SANDBOX_URL = "http://127.0.0.1:18001"
PUBLIC_URL = "https://hotline.example.com"

Client = Callable[..., TestClient]


@pytest.fixture(scope="module")
def database_url(demo_database: DemoDatabase, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database with the demo's queues and users (agents, a supervisor, QA staff)."""
    return demo_database.copy(tmp_path_factory.mktemp("voice-token"))


@pytest.fixture
def app_with(
    database_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., TestClient]]:
    """Starts the app with these settings (on top of REAL_TWILIO) and returns a client for it."""
    clear_settings(monkeypatch, tmp_path)
    started: list[TestClient] = []

    def start(**settings: str) -> TestClient:
        values = {
            "VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": database_url,
            "REDIS_URL": emptied_app_redis_url(redis_url),  # not the database `redis_client` flushes
            "SECRET_KEY": "session-secret-for-voice-tests",
            "PUBLIC_BASE_URL": PUBLIC_URL,
            **REAL_TWILIO,
            **settings,
        }
        client = TestClient(create_app(load_settings(**values)), base_url=PUBLIC_URL)
        client.__enter__()
        started.append(client)
        return client

    yield start
    for client in started:
        client.__exit__(None, None, None)


def logged_in(client: TestClient, username: str) -> TestClient:
    response = client.post("/login", json={"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 200, response.text
    return client


def identity_of(database_url: str, username: str) -> str:
    db = Database(database_url)
    with db.session() as session:
        identity = session.scalars(select(User).where(User.username == username)).one().client_identity
    db.dispose()
    return identity


def test_an_agent_gets_a_token_that_lets_their_browser_take_calls_as_their_client_identity(
    app_with: Client, database_url: str
) -> None:
    client = logged_in(app_with(VOICE_TOKEN_TTL_SECONDS="900"), "agent1")

    response = client.get("/api/voice/token")

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"mode", "token", "identity", "expires_in", "renew_after"}
    assert body["mode"] == "twilio"
    assert body["identity"] == identity_of(database_url, "agent1")
    assert (body["expires_in"], body["renew_after"]) == (900, 840)

    claims = jwt.decode(body["token"], API_SECRET, algorithms=["HS256"])
    assert jwt.get_unverified_header(body["token"])["cty"] == "twilio-fpa;v=1"
    assert claims["iss"] == API_KEY
    assert claims["sub"] == ACCOUNT_SID
    assert claims["grants"] == {
        "identity": body["identity"],
        "voice": {"incoming": {"allow": True}, "outgoing": {"application_sid": APP_SID}},
    }
    # twilio's AccessToken marks the issue time as nbf (it writes no iat).
    assert claims["exp"] - claims["nbf"] == 900


def test_a_token_signed_with_another_secret_does_not_verify(app_with: Client) -> None:
    token = logged_in(app_with(), "agent1").get("/api/voice/token").json()["token"]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "not-the-api-secret-but-as-long-as-one", algorithms=["HS256"])


def test_every_agent_gets_their_own_identity_and_each_token_is_audited(app_with: Client, database_url: str) -> None:
    app = app_with()
    agent = logged_in(app, "agent1").get("/api/voice/token").json()
    supervisor = logged_in(app, "supervisor").get("/api/voice/token").json()

    assert agent["identity"] == identity_of(database_url, "agent1")
    assert supervisor["identity"] == identity_of(database_url, "supervisor")
    assert agent["identity"] != supervisor["identity"]
    db = Database(database_url)
    with db.session() as session:
        query = select(AuditEvent).where(AuditEvent.kind == "voice_token_issued").order_by(AuditEvent.id)
        issued = session.scalars(query).all()
        identities = [event.data["identity"] for event in issued]
    db.dispose()
    assert identities[-2:] == [agent["identity"], supervisor["identity"]]


def test_people_who_neither_take_calls_nor_listen_in_get_no_token(app_with: Client) -> None:
    app = app_with()
    assert app.get("/api/voice/token").status_code == 401
    refused = logged_in(app, "manager").get("/api/voice/token")
    assert refused.status_code == 403
    assert "token" not in refused.json()


def test_qa_staff_get_a_phone_to_listen_in_with_but_routing_never_offers_them_calls(
    app_with: Client, database_url: str
) -> None:
    qa = logged_in(app_with(), "qa")

    token = qa.get("/api/voice/token")

    assert token.status_code == 200, token.text
    assert token.json()["identity"] == identity_of(database_url, "qa")
    # No way into routing: no state to go available with, no console to be offered calls on.
    assert qa.post("/api/agent/state", json={"state": "available"}).status_code == 403
    cookie = "; ".join(f"{name}={value}" for name, value in qa.cookies.items())  # Secure: not sent to ws://
    with (
        qa.websocket_connect("/agents/ws", headers={"Cookie": cookie}) as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert closed.value.code == 4403


@pytest.mark.parametrize(
    "unset",
    [["TWILIO_API_KEY"], ["TWILIO_API_SECRET"], ["TWILIO_TWIML_APP_SID"], ["TWILIO_API_KEY", "TWILIO_API_SECRET"]],
)
def test_real_twilio_without_the_voice_settings_answers_503_naming_them(app_with: Client, unset: list[str]) -> None:
    client = logged_in(app_with(**dict.fromkeys(unset, "")), "agent1")

    response = client.get("/api/voice/token")

    assert response.status_code == 503
    error = response.json()["error"]
    assert f"set {', '.join(unset)} " in error
    assert "token" not in response.json()


@pytest.mark.parametrize(
    ("setting", "value"),
    [("TWILIO_API_KEY", ACCOUNT_SID), ("TWILIO_TWIML_APP_SID", "APnot-a-sid")],
)
def test_a_sid_of_the_wrong_kind_answers_503_saying_what_it_should_be(
    app_with: Client, setting: str, value: str
) -> None:
    response = logged_in(app_with(**{setting: value}), "agent1").get("/api/voice/token")

    assert response.status_code == 503
    assert f"{setting} must be" in response.json()["error"]


def test_in_sandbox_mode_the_console_is_sent_to_the_sandbox_and_needs_no_twilio_keys(
    app_with: Client, database_url: str
) -> None:
    no_keys = dict.fromkeys(["TWILIO_API_KEY", "TWILIO_API_SECRET", "TWILIO_TWIML_APP_SID"], "")
    client = logged_in(app_with(TWILIO_API_BASE=SANDBOX_URL, **no_keys), "agent1")

    response = client.get("/api/voice/token")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "mode": "sandbox",
        "identity": identity_of(database_url, "agent1"),
        "sandbox_url": SANDBOX_URL,
    }


@pytest.mark.parametrize(("ttl", "renew"), [(600, 540), (86400, 86340), (100, 50), (60, 30)])
def test_the_console_renews_a_minute_before_expiry_or_halfway_through_a_short_token(ttl: int, renew: int) -> None:
    assert renew_after(ttl) == renew


def test_the_twiml_apps_voice_url_tells_a_browser_dialling_out_that_it_cannot(app_with: Client) -> None:
    client = app_with()
    params = {"CallSid": "CA" + "4" * 32, "From": "client:agent-1", "To": "+8613800138000"}
    url = PUBLIC_URL + "/twilio/voice/agent-outgoing"
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)

    answered = client.post("/twilio/voice/agent-outgoing", data=params, headers={"X-Twilio-Signature": signature})
    forged = client.post("/twilio/voice/agent-outgoing", data=params, headers={"X-Twilio-Signature": "forged"})

    assert answered.status_code == 200, answered.text
    assert "Outgoing calls from the agent console are not enabled" in answered.text
    assert answered.text.rstrip().endswith("<Hangup /></Response>")
    assert forged.status_code == 403
