"""Twilio's voice webhooks, posted and signed the way Twilio does it, and the rows they leave behind."""

from __future__ import annotations

import random
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
from sqlalchemy import Engine, text
from twilio.request_validator import RequestValidator

from tests.conftest import HOTLINE, System

Params = dict[str, str]
TABLES = ("contacts", "tickets", "customers", "audit_events")


def new_call_sid() -> str:
    return "CA" + uuid.uuid4().hex


def new_mobile() -> str:
    return "+86139" + "".join(random.choices("0123456789", k=8))


def signed_post(
    system: System,
    path_and_query: str,
    params: Params,
    *,
    signed_base: str | None = None,
    signed_path_and_query: str | None = None,
) -> httpx.Response:
    signed_url = (signed_base or system.base_url) + (signed_path_and_query or path_and_query)
    signature = RequestValidator(system.credentials[1]).compute_signature(signed_url, params)
    return httpx.post(
        system.base_url + path_and_query, data=params, headers={"X-Twilio-Signature": signature}, timeout=15
    )


def twiml(response: httpx.Response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    return root


def spoken(root: ET.Element) -> list[str]:
    return [say.text or "" for say in root.iter("Say")]


def open_sql(system: System) -> Iterator[Engine]:
    """The system's database, disposed of afterwards: a module fixture does `yield from open_sql(system)`."""
    engine = system.sql()
    yield engine
    engine.dispose()


def table_counts(sql: Engine) -> dict[str, int]:
    with sql.connect() as conn:
        return {table: int(conn.scalar(text(f"select count(*) from {table}")) or 0) for table in TABLES}


def contact_row(sql: Engine, call_sid: str) -> dict[str, object]:
    with sql.connect() as conn:
        row = conn.execute(text("select * from contacts where provider_id = :sid"), {"sid": call_sid}).mappings().one()
    return dict(row)


# What Twilio sends about a call with every webhook (From, To, ...), by CallSid: like Twilio, the
# helpers below repeat them after the incoming call.
_CALLS: dict[str, Params] = {}


def incoming(system: System, call_sid: str, from_number: str) -> httpx.Response:
    _CALLS[call_sid] = {
        "CallSid": call_sid,
        "AccountSid": system.credentials[0],
        "From": from_number,
        "To": HOTLINE,
        "Direction": "inbound",
    }
    return signed_post(system, "/twilio/voice", {**_CALLS[call_sid], "CallStatus": "ringing"})


def call_params(system: System, call_sid: str) -> Params:
    """The parameters Twilio repeats on every webhook of this call."""
    return dict(_CALLS.get(call_sid) or {"CallSid": call_sid, "AccountSid": system.credentials[0]})


def contact_id_of(system: System, call_sid: str) -> int:
    """The contact id of a call (0 for a call the system never saw)."""
    engine = system.sql()
    try:
        with engine.connect() as conn:
            found = conn.scalar(text("select id from contacts where provider_id = :sid"), {"sid": call_sid})
    finally:
        engine.dispose()
    return int(found or 0)


def answer(
    system: System, call_sid: str, node: str, attempt: int, digits: str | None = None, speech: str | None = None
) -> httpx.Response:
    """The caller's answer (keys, words or silence) to the question at `node` of the demo flow.

    Before the call is registered the answer goes where the opening sends it: no contact, the time
    the call started."""
    params = {**call_params(system, call_sid), "CallStatus": "in-progress"}
    if digits is not None:
        params["Digits"] = digits
    if speech is not None:
        params["SpeechResult"], params["Confidence"] = speech, "0.92"
    contact = contact_id_of(system, call_sid)
    call = f"contact={contact}" if contact else f"started={int(time.time() * 1000)}"
    return signed_post(system, f"/twilio/voice/gather?{call}&node={node}&attempt={attempt}", params)


def menu(system: System, call_sid: str, attempt: int, digits: str | None = None) -> httpx.Response:
    return answer(system, call_sid, "main_menu", attempt, digits)


def hang_up(system: System, call_sid: str) -> None:
    response = signed_post(
        system,
        "/twilio/voice/status",
        {**call_params(system, call_sid), "CallStatus": "completed"},
    )
    assert response.status_code == 200, response.text


def register_call(system: System, sql: Engine) -> tuple[str, int]:
    """A new call that heard the opening and answered its first question with silence (which registers
    it): its CallSid and contact id."""
    call_sid = new_call_sid()
    assert incoming(system, call_sid, new_mobile()).status_code == 200
    assert answer(system, call_sid, "language", 1).status_code == 200
    return call_sid, int(contact_row(sql, call_sid)["id"])  # type: ignore[call-overload]
