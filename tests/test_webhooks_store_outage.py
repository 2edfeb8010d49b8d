"""Redis or the database out of reach: a caller's webhook answers hold music and the same webhook again
(Twilio gets TwiML, never a 500, and the caller is not dropped); a status callback answers 503 saying
why; once the store is back the call goes on where it was."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from contactcenter.context import Services
from tests.conftest import System
from tests.webhooks import answer, call_params, open_sql, signed_post, twiml


@pytest.fixture(scope="module")
def sql(system: System) -> Iterator[Engine]:
    yield from open_sql(system)


def _services(system: System) -> Services:
    return system.client.app.state.services  # type: ignore[attr-defined]


def _refusing(error: Exception) -> Any:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise error

    return refused


def _redis_down(system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    services, refused = _services(system), _refusing(RedisConnectionError("Error 111 connecting: refused."))
    monkeypatch.setattr(services.redis, "execute_command", refused)
    monkeypatch.setattr(services.routing.redis, "execute_command", refused)


def _database_down(system: System, monkeypatch: pytest.MonkeyPatch) -> None:
    services = _services(system)
    refused = _refusing(OperationalError("SELECT 1", {}, Exception("connection to 127.0.0.1:5432 failed")))
    monkeypatch.setattr(services.db, "sessions", refused)
    monkeypatch.setattr(services.db, "reads", refused)


def _keeps_waiting(root: ET.Element, path_and_query: str) -> None:
    plays = [play.text or "" for play in root.iter("Play")]
    redirects = list(root.iter("Redirect"))
    assert len(plays) == 1 and "/ivr/hold-music.wav?seconds=" in plays[0]
    assert len(redirects) == 1 and (redirects[0].text or "").endswith(path_and_query)
    assert redirects[0].get("method") == "POST"
    assert [element.tag for element in root] == ["Play", "Redirect"]  # no Hangup, no apology


def test_a_waiting_callers_webhook_with_redis_down_plays_music_and_asks_again(
    system: System, registered_call: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    call_sid, contact_id = registered_call
    wait = f"/twilio/voice/wait?contact={contact_id}"
    params = {**call_params(system, call_sid), "QueuePosition": "1", "QueueTime": "12", "CallStatus": "in-progress"}
    with monkeypatch.context() as outage:
        _redis_down(system, outage)
        during = signed_post(system, wait, params)
        _keeps_waiting(twiml(during), wait + "&QueueTime=12")
    after = signed_post(system, wait, params)
    assert after.status_code == 200 and "hold-music" in after.text  # the wait loop, as before the outage


def test_a_key_pressed_while_the_database_is_down_is_kept_for_when_twilio_asks_again(
    system: System, sql: Engine, registered_call: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    call_sid, contact_id = registered_call
    with monkeypatch.context() as outage:
        _database_down(system, outage)
        during = answer(system, call_sid, "main_menu", 1, digits="1")
    gather = f"/twilio/voice/gather?contact={contact_id}&node=main_menu&attempt=1"
    _keeps_waiting(twiml(during), gather + "&Digits=1")
    # What Twilio's Redirect posts: the call's parameters, without the key pressed before the outage.
    again = signed_post(system, gather + "&Digits=1", {**call_params(system, call_sid), "CallStatus": "in-progress"})
    root = twiml(again)
    assert not [g for g in root.iter("Gather") if "node=main_menu" in (g.get("action") or "")]  # not asked again
    with sql.connect() as conn:
        chosen = conn.scalar(text("select menu_choice from contacts where id = :id"), {"id": contact_id})
    assert chosen  # the key counted: the caller's choice is on the contact


def test_a_caller_queued_in_sql_when_redis_failed_waits_in_routing_when_twilio_asks_again(
    system: System, sql: Engine, registered_call: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    call_sid, contact_id = registered_call
    with monkeypatch.context() as outage:
        _redis_down(system, outage)
        during = answer(system, call_sid, "main_menu", 1, digits="1")
    redirect = next(twiml(during).iter("Redirect")).text or ""
    again = signed_post(
        system, redirect.removeprefix(system.base_url), {**call_params(system, call_sid), "CallStatus": "in-progress"}
    )
    enqueue = list(twiml(again).iter("Enqueue"))
    assert enqueue and f"contact={contact_id}" in (enqueue[0].get("waitUrl") or "")  # waits, not hung up
    assert _services(system).routing.contact(str(contact_id)).get("state") == "waiting"


def test_a_queue_result_with_the_database_down_is_asked_again_with_the_result_the_redirect_cannot_post(
    system: System, registered_call: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A <Redirect> posts only the call's own fields: the queue's result rides in its query, or the webhook
    asked again once the database is back would be refused 400 (Twilio's application error: dropped)."""
    call_sid, contact_id = registered_call
    result = f"/twilio/voice/queue-result?contact={contact_id}"
    with monkeypatch.context() as outage:
        _database_down(system, outage)
        during = signed_post(system, result, {**call_params(system, call_sid), "QueueResult": "hangup"})
        _keeps_waiting(twiml(during), result + "&QueueResult=hangup")
    again = signed_post(system, result + "&QueueResult=hangup", call_params(system, call_sid))  # the Redirect
    assert again.status_code == 200, again.text


def test_a_status_callback_with_a_store_down_is_answered_503_saying_why(
    system: System, registered_call: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    call_sid, _contact_id = registered_call
    with monkeypatch.context() as outage:
        _database_down(system, outage)
        _redis_down(system, outage)
        ended = {**call_params(system, call_sid), "CallStatus": "completed"}
        response = signed_post(system, "/twilio/voice/status", ended)
    assert response.status_code == 503 and "out of reach" in response.text
