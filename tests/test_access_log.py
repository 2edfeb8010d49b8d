"""The access log of reads through a running system: every read of a ticket, a chat transcript, a recording
(list, play, download) and a customer record, and every export, leaves who, what, when and from where; a
player's range requests log one play; a read whose entry cannot be written is refused; managers and admins
find entries by user, object, action and time, page through them and export them (the export logged too)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from contactcenter.audit import access
from contactcenter.chats.models import ChatMessage, ChatSession, Sender
from contactcenter.contacts.models import Contact, ContactStatus
from contactcenter.customers.models import Customer
from contactcenter.tickets.models import Ticket
from contactcenter.users.models import User
from recordings.models import Recording, RecordingStatus
from tests.conftest import HOTLINE, System

WAV = b"RIFF" + b"\x00" * 4000


@dataclass(frozen=True)
class Seeded:
    customer: int
    ticket: int
    chat: int
    recording: int
    last_message: int
    unknown_caller: int  # a call from a number no customer has


@pytest.fixture(scope="module")
def sql(system: System) -> Iterator[Engine]:
    engine = system.sql()
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def seeded(system: System, sql: Engine, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """A customer's ticket, a chat of hers handled by agent1 with two messages, a stored recording."""
    audio = tmp_path_factory.mktemp("audio") / "call.wav"
    audio.write_bytes(WAV)
    with Session(sql) as session, session.begin():
        customer = session.scalars(select(Customer).order_by(Customer.id)).first()
        assert customer is not None
        agent = session.scalars(select(User).where(User.username == "agent1")).one()
        ticket = Ticket(subject=f"Call from {customer.phone}", customer_id=customer.id)
        session.add(ticket)
        session.flush()
        chat = Contact(
            channel="chat",
            provider_id=f"chat-{uuid.uuid4().hex}",
            from_number=customer.phone,
            to_number=HOTLINE,
            status=ContactStatus.ENDED,
            customer_id=customer.id,
            ticket_id=ticket.id,
            agent_id=agent.id,
        )
        session.add(chat)
        session.flush()
        session.add(ChatSession(contact_id=chat.id, token_hash=uuid.uuid4().hex, name="赵女士", topic="repair"))
        messages = [
            ChatMessage(contact_id=chat.id, sender=Sender.CUSTOMER, body="洗衣机坏了"),
            ChatMessage(contact_id=chat.id, sender=Sender.AGENT, author_id=agent.id, body="请提供型号"),
        ]
        session.add_all(messages)
        recording = Recording(
            provider_sid=f"RE{uuid.uuid4().hex}",
            call_sid=f"CA{uuid.uuid4().hex}",
            contact_id=chat.id,
            ticket_id=ticket.id,
            status=RecordingStatus.STORED,
            path=str(audio),
            size_bytes=len(WAV),
        )
        session.add(recording)
        unknown = Contact(
            provider_id=f"CA{uuid.uuid4().hex}", from_number="+8613900001111", to_number=HOTLINE, agent_id=agent.id
        )
        session.add(unknown)
        session.flush()
        return Seeded(customer.id, ticket.id, chat.id, recording.id, messages[-1].id, unknown.id)


@pytest.fixture(scope="module")
def supervisor(system: System) -> httpx.Client:
    return system.login("supervisor")


@pytest.fixture(scope="module")
def manager(system: System) -> httpx.Client:
    return system.login("manager")


def entries_since(sql: Engine, seq: int) -> list[dict[str, Any]]:
    with sql.connect() as connection:
        rows = connection.execute(text("SELECT * FROM access_log WHERE seq > :seq ORDER BY seq"), {"seq": seq})
        return [dict(row._mapping) for row in rows]


def head(sql: Engine) -> int:
    with sql.connect() as connection:
        return int(connection.execute(text("SELECT coalesce(max(seq), 0) FROM access_log")).scalar_one())


def what(entries: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(e["action"], e["object_type"], e["object_id"]) for e in entries]


def test_each_read_of_customer_data_is_logged_with_who_what_when_and_from_where(
    supervisor: httpx.Client, sql: Engine, seeded: Seeded
) -> None:
    start, before = head(sql), datetime.now(UTC)
    assert supervisor.get(f"/api/tickets/{seeded.ticket}").status_code == 200
    assert supervisor.get(f"/api/agent/chats/{seeded.chat}/messages").status_code == 200
    assert supervisor.get(f"/api/agent/contacts/{seeded.chat}/screen-pop").status_code == 200
    assert supervisor.get("/api/recordings").status_code == 200
    assert supervisor.get("/qa").status_code == 200
    assert supervisor.get(f"/recordings/{seeded.recording}/media").content == WAV
    logged = entries_since(sql, start)
    assert what(logged) == [
        ("read", "ticket", str(seeded.ticket)),
        ("read", "transcript", str(seeded.chat)),
        ("read", "customer", str(seeded.customer)),
        ("list", "recording", ""),
        ("list", "recording", ""),
        ("play", "recording", str(seeded.recording)),
    ]
    assert logged[2]["detail"] == f"contact {seeded.chat}"
    for entry in logged:
        assert (entry["username"], entry["role"]) == ("supervisor", "supervisor") and entry["user_id"] > 0
        assert entry["address"]  # the client as the server saw it (the test client's name here)
        at = entry["at"] if isinstance(entry["at"], datetime) else datetime.fromisoformat(entry["at"])
        assert before - timedelta(seconds=1) <= at.replace(tzinfo=at.tzinfo or UTC) <= datetime.now(UTC)
    # The screen pop of a caller no customer record matches: a read of the contact (and its number).
    assert supervisor.get(f"/api/agent/contacts/{seeded.unknown_caller}/screen-pop").status_code == 200
    logged = entries_since(sql, start)
    assert what(logged[-1:]) == [("read", "contact", str(seeded.unknown_caller))]
    # Refused or missing objects disclose nothing and log nothing.
    assert supervisor.get("/api/tickets/2147483000").status_code == 404
    assert head(sql) == start + len(logged)


def test_the_voicemail_and_callback_lists_are_logged_as_lists(system: System, sql: Engine) -> None:
    agent = system.login("agent1")
    start = head(sql)
    assert agent.get("/api/voicemails").status_code == 200 and agent.get("/api/callbacks").status_code == 200
    logged = entries_since(sql, start)
    assert what(logged) == [("list", "voicemail", ""), ("list", "callback", "")]
    assert {(e["username"], e["role"]) for e in logged} == {("agent1", "agent")}
    assert logged[0]["detail"].endswith("of general,repair,complaints")


def test_a_players_range_requests_log_one_play_and_a_download_is_a_download(
    supervisor: httpx.Client, sql: Engine, seeded: Seeded
) -> None:
    start, media = head(sql), f"/recordings/{seeded.recording}/media"
    first = supervisor.get(media, headers={"Range": "bytes=0-"})
    assert first.status_code == 206
    for part in ("bytes=1000-1999", "bytes=2000-", "bytes=-500"):
        assert supervisor.get(media, headers={"Range": part}).status_code == 206
    saved = supervisor.get(media + "?download=1")
    assert saved.status_code == 200 and "attachment" in saved.headers["content-disposition"]
    assert what(entries_since(sql, start)) == [
        ("play", "recording", str(seeded.recording)),
        ("download", "recording", str(seeded.recording)),
    ]


def test_an_empty_catch_up_of_a_chat_is_not_another_read(supervisor: httpx.Client, sql: Engine, seeded: Seeded) -> None:
    start, path = head(sql), f"/api/agent/chats/{seeded.chat}/messages"
    assert supervisor.get(f"{path}?after={seeded.last_message}").json()["messages"] == []
    assert head(sql) == start
    assert len(supervisor.get(f"{path}?after={seeded.last_message - 1}").json()["messages"]) == 1
    assert [(e["object_id"], e["detail"]) for e in entries_since(sql, start)] == [
        (str(seeded.chat), f"after message {seeded.last_message - 1}")
    ]


def test_a_read_whose_entry_cannot_be_written_is_refused(
    supervisor: httpx.Client, sql: Engine, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> int:
        raise OperationalError("INSERT INTO access_log", {}, Exception("disk I/O error"))

    monkeypatch.setattr(access, "append", broken)
    for path in (
        f"/api/tickets/{seeded.ticket}",
        f"/api/agent/chats/{seeded.chat}/messages",
        f"/api/agent/contacts/{seeded.chat}/screen-pop",
        "/api/recordings",
        f"/recordings/{seeded.recording}/media",
    ):
        refused = supervisor.get(path)
        assert refused.status_code == 503, path
        assert refused.json()["code"] == "unavailable" and "洗衣机" not in refused.text and "RIFF" not in refused.text


def test_the_access_log_is_for_managers_and_admins_only(system: System, supervisor: httpx.Client) -> None:
    for client in (system.login("agent1"), supervisor, system.login("qa")):
        for path in ("/api/audit", "/api/audit.csv"):
            assert client.get(path).status_code == 403, path
        assert client.get("/audit").status_code == 403
    assert httpx.get(system.base_url + "/api/audit").status_code == 401
    page = httpx.get(system.base_url + "/audit")
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/audit"


def test_managers_find_entries_by_user_object_action_and_time_page_by_page(
    supervisor: httpx.Client, manager: httpx.Client, seeded: Seeded, system: System
) -> None:
    for _ in range(3):
        assert supervisor.get(f"/api/tickets/{seeded.ticket}").status_code == 200
    found = manager.get(
        "/api/audit", params={"user": "supervisor", "object_type": "ticket", "object_id": seeded.ticket}
    ).json()
    assert len(found["entries"]) >= 3 and found["timezone"] == "Asia/Shanghai"  # the TIMEZONE setting's default
    assert {(e["username"], e["action"], e["object_id"]) for e in found["entries"]} == {
        ("supervisor", "read", str(seeded.ticket))
    }
    seqs = [e["seq"] for e in found["entries"]]
    assert seqs == sorted(seqs, reverse=True)  # newest first
    newest = found["entries"][0]
    zone = ZoneInfo(found["timezone"])
    assert datetime.fromisoformat(newest["at_local"]) == datetime.fromisoformat(newest["at"]).replace(microsecond=0)
    assert datetime.fromisoformat(newest["at_local"]).utcoffset() == datetime.now(zone).utcoffset()
    # One at a time: each page hands the next (older) one its start, the last none.
    first = manager.get("/api/audit", params={"object_type": "ticket", "limit": 1}).json()
    second = manager.get("/api/audit", params={"object_type": "ticket", "limit": 1, "before": first["next_before"]})
    assert second.json()["entries"][0]["seq"] < first["entries"][0]["seq"]
    # A time range in the hotline's time zone (no offset), as the page's fields send it.
    local = datetime.fromisoformat(newest["at_local"]).replace(tzinfo=None)
    window = {"from": (local - timedelta(minutes=5)).isoformat(), "to": (local + timedelta(minutes=5)).isoformat()}
    assert newest["seq"] in [e["seq"] for e in manager.get("/api/audit", params=window).json()["entries"]]
    later = {"from": (local + timedelta(hours=1)).isoformat()}
    assert manager.get("/api/audit", params=later).json() == {
        "entries": [],
        "next_before": None,
        "timezone": found["timezone"],
    }
    assert supervisor.get(f"/recordings/{seeded.recording}/media").status_code == 200
    plays = manager.get("/api/audit", params={"action": "play"}).json()["entries"]
    assert plays and {e["action"] for e in plays} == {"play"}
    for wrong in (
        {"action": "erase"},
        {"from": "yesterday"},
        {"from": "0001-01-01T00:00"},  # before year 1 in UTC
        {"to": "2026-12-06", "from": "2026-12-07"},
        {"user": "a\x00b"},
        {"limit": "0"},
        {"limit": "²"},
        {"before": "x"},
        {"before": "9" * 30},
        {"limit": "501"},
    ):
        refused = manager.get("/api/audit", params=wrong)
        assert refused.status_code == 400 and refused.json()["code"] == "invalid", wrong


def test_the_csv_export_holds_the_matching_entries_and_is_itself_logged(
    supervisor: httpx.Client, manager: httpx.Client, seeded: Seeded, sql: Engine
) -> None:
    assert supervisor.get(f"/api/tickets/{seeded.ticket}").status_code == 200
    start = head(sql)
    exported = manager.get("/api/audit.csv", params={"user": "supervisor", "object_type": "ticket"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(exported.text.removeprefix("\ufeff"))))
    assert rows and {(r["username"], r["object_type"]) for r in rows} == {("supervisor", "ticket")}
    assert rows[-1]["object_id"] == str(seeded.ticket) and rows[-1]["time_local"] and rows[-1]["hash"]
    assert what(entries_since(sql, start)) == [("export", "access_log", "")]
    assert entries_since(sql, start)[0]["detail"] == "user=supervisor object=ticket:*"
    logged = manager.get("/api/audit", params={"action": "export", "user": "manager"}).json()["entries"]
    assert logged[0]["seq"] == start + 1


def test_the_audit_page_shows_entries_in_the_hotlines_time_in_chinese_and_english(
    manager: httpx.Client, supervisor: httpx.Client, seeded: Seeded
) -> None:
    assert supervisor.get(f"/api/tickets/{seeded.ticket}").status_code == 200
    newest = manager.get("/api/audit", params={"object_type": "ticket"}).json()["entries"][0]
    page = manager.get("/audit", params={"object_type": "ticket"})
    assert page.status_code == 200
    for words in ("访问日志 Access log", "查看 Read", "工单 Ticket", "导出 CSV Export CSV", "来源地址 Address"):
        assert words in page.text
    assert newest["at_local"][:19].replace("T", " ") in page.text
    assert "/api/audit.csv?object_type=ticket" in page.text
    assert 'href="/audit"' in manager.get("/qa").text  # where managers land after logging in
    wrong = manager.get("/audit", params={"from": "soon"})
    assert wrong.status_code == 400 and "from must be" in wrong.text


def test_the_database_refuses_to_change_or_delete_an_entry(
    sql: Engine, seeded: Seeded, supervisor: httpx.Client
) -> None:
    assert supervisor.get(f"/api/tickets/{seeded.ticket}").status_code == 200
    for statement in (
        "UPDATE access_log SET object_id = 'x' WHERE seq = 1",
        "DELETE FROM access_log WHERE seq = 1",
        "DELETE FROM access_log",
    ):
        with sql.connect() as connection, pytest.raises(Exception, match="append-only"):
            connection.execute(text(statement))
    if sql.dialect.name == "postgresql":
        with sql.connect() as connection, pytest.raises(Exception, match="append-only"):
            connection.execute(text("TRUNCATE access_log"))
