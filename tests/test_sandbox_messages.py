"""The sandbox's SMS: Twilio's Messages resource (send, fetch, list, Twilio's refusals) and the page and
listing that show a demo user what was sent."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from twilio_sandbox import NumberConfig, SandboxConfig, create_sandbox_app

ACCOUNT_SID = "AC" + "7e" * 16
AUTH_TOKEN = "messages-test-token"
HOTLINE = "+862180000000"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
AUTH = (ACCOUNT_SID, AUTH_TOKEN)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    config = SandboxConfig(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        public_url="http://sandbox.test",
        numbers={HOTLINE: NumberConfig(voice_url="http://app.test/twilio/voice")},
        recordings_dir=Path(tmp_path_factory.mktemp("recordings")),
    )
    with TestClient(create_sandbox_app(config)) as test_client:
        yield test_client


def send(client: TestClient, **form: str) -> tuple[int, dict[str, object]]:
    response = client.post(MESSAGES, data=form, auth=AUTH)
    return response.status_code, response.json()


def test_a_message_sent_through_the_messages_api_is_kept_fetched_listed_and_shown(client: TestClient) -> None:
    body = "【示例电器】验证码 123456,5 分钟内有效。<b>Your code is 123456</b>"
    status, created = send(client, To="+8613800138000", From=HOTLINE, Body=body)
    assert status == 201 and str(created["sid"]).startswith("SM") and len(str(created["sid"])) == 34
    assert (created["to"], created["from"], created["body"], created["direction"]) == (
        "+8613800138000",
        HOTLINE,
        body,
        "outbound-api",
    )
    assert created["account_sid"] == ACCOUNT_SID and created["num_segments"] == "1"
    fetched = client.get(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{created['sid']}.json", auth=AUTH)
    assert fetched.status_code == 200 and fetched.json()["body"] == body
    send(client, To="+8613900139000", From=HOTLINE, Body="second")
    listed = client.get(MESSAGES, params={"To": "+8613800138000"}, auth=AUTH).json()
    assert [m["sid"] for m in listed["messages"]] == [created["sid"]]
    mine = client.get("/sandbox/messages", params={"to": "+8613800138000"}).json()["messages"]
    assert [(m["to"], m["body"]) for m in mine] == [("+8613800138000", body)]
    assert [m["body"] for m in client.get("/sandbox/messages").json()["messages"]] == ["second", body]
    page = client.get("/sandbox/sms")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "验证码 123456" in page.text and "&lt;b&gt;Your code is 123456&lt;/b&gt;" in page.text  # escaped
    assert "Sandbox SMS" in page.text and "沙盒短信" in page.text
    assert "/sandbox/sms" in client.get("/").json()["endpoints"]


def test_the_messages_api_refuses_as_twilio_does(client: TestClient) -> None:
    ok = {"To": "+8613800138000", "From": HOTLINE, "Body": "hi"}
    for changes, code in [
        ({"To": ""}, 21604),
        ({"To": "13800138000"}, 21211),
        ({"From": ""}, 21603),
        ({"From": "+8613911112222"}, 21606),
        ({"Body": " "}, 21602),
        ({"Body": "x" * 1601}, 21617),
    ]:
        status, error = send(client, **{**ok, **changes})
        assert (status, error["code"]) == (400, code), changes
    denied = client.post(MESSAGES, data=ok, auth=(ACCOUNT_SID, "wrong"))
    assert denied.status_code == 401 and denied.json()["code"] == 20003
    other = client.post(MESSAGES.replace(ACCOUNT_SID, "AC" + "0" * 32), data=ok, auth=AUTH)
    assert other.status_code == 404
    missing = client.get(f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/SM{'0' * 32}.json", auth=AUTH)
    assert missing.status_code == 404 and missing.json()["code"] == 20404
