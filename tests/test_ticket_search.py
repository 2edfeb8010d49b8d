"""Full-text search over tickets (contactcenter/tickets/search.py, migration 0015): Chinese words inside
sentences, serial numbers and English, notes, hostile queries, the index used, and the migration's backfill.
On SQLite, or on PostgreSQL with TEST_DATABASE_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from contactcenter.access.scopes import Reach
from contactcenter.db import Database, alembic_config
from contactcenter.errors import Invalid, NotFound
from contactcenter.tickets.desk import Filters, list_tickets
from contactcenter.tickets.models import Ticket, TicketNote
from contactcenter.tickets.search import MAX_QUERY_CHARS, MAX_TOKENS_CHARS, matching, reindex, search_tokens
from contactcenter.timeutil import utcnow
from contactcenter.users.auth import CurrentUser

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def database(new_database: Callable[[], str]) -> Iterator[Database]:
    db = Database(new_database())
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def db(database: Database) -> Database:
    with database.session() as session:  # each test searches among its own tickets
        session.execute(text("DELETE FROM ticket_notes"))
        session.execute(text("DELETE FROM tickets"))
    return database


def ticket(db: Database, subject: str, **fields: str | datetime) -> int:
    with db.session() as session:
        row = Ticket(subject=subject, status="new", **fields)
        session.add(row)
        session.flush()
        reindex(session, ticket_id=row.id)
        return row.id


def found(db: Database, query: str) -> set[int]:
    with db.session() as session:
        dialect = session.get_bind().dialect.name
        return set(session.scalars(select(Ticket.id).where(matching(query, dialect=dialect))))


def test_a_chinese_word_is_found_inside_a_longer_sentence(db: Database) -> None:
    air = ticket(db, "报修", description="客户反映空调不制冷")
    ticket(db, "报修", description="冰箱门关不严")
    assert found(db, "空调") == {air}
    assert found(db, "制冷") == {air}
    assert found(db, "空调不制冷") == {air}


def test_a_word_is_found_however_the_sentence_around_it_segments(db: Database) -> None:
    # jieba segments these texts 售后服务/中心, 态度/很差, 脱水/时异响: the query's words are still in them.
    centre = ticket(db, "咨询", description="请拨打售后服务中心电话")
    rude = ticket(db, "投诉", description="客户投诉客服态度很差")
    noisy = ticket(db, "报修", description="洗衣机脱水时异响")
    assert found(db, "服务中心") == {centre}
    assert found(db, "态度差") == {rude}
    assert found(db, "投诉 态度") == {rude}
    assert found(db, "异响") == {noisy}


def test_every_word_of_the_query_must_be_in_the_ticket(db: Database) -> None:
    air = ticket(db, "空调不制冷")
    ticket(db, "冰箱不制冷")
    ticket(db, "空调漏水")
    assert found(db, "空调 不制冷") == {air}
    assert found(db, "空调 漏水 不制冷") == set()


def test_a_serial_number_is_found_whole_and_only_whole(db: Database) -> None:
    unit = ticket(db, "报修", serial_number="SN12345", product_model="KFR-35GW/BP3DN8Y")
    ticket(db, "报修", serial_number="SN123456")
    assert found(db, "SN12345") == {unit}
    assert found(db, "sn12345") == {unit}
    assert found(db, "ＳＮ１２３４５") == {unit}  # typed full-width
    assert found(db, "SN1234") == set()
    # A model is found by its parts, and as a whole with or without its separators.
    assert found(db, "KFR-35GW") == found(db, "kfr35gw") == found(db, "BP3DN8Y") == {unit}


def test_english_is_found_whatever_its_case(db: Database) -> None:
    noisy = ticket(db, "Compressor noise", solution="Replaced the FAN motor")
    assert found(db, "COMPRESSOR") == found(db, "fan Motor") == found(db, "noise, compressor!") == {noisy}
    assert found(db, "compressors") == set()


def test_the_fields_and_every_note_are_searched(db: Database) -> None:
    fields = {"description": "室外机结霜", "solution": "更换温度传感器", "product_model": "KFR-26GW"}
    unit = ticket(db, "报修", **fields)
    assert found(db, "结霜") == found(db, "传感器") == found(db, "kfr-26gw") == {unit}
    with db.session() as session:
        for body in ("客户来电催促上门", "聊天记录：客户说遥控器没反应"):
            session.add(TicketNote(ticket_id=unit, body=body, kind="transcript"))
    assert found(db, "遥控器") == set()  # until the ticket is indexed again
    with db.session() as session:
        reindex(session, ticket_id=unit)
    assert found(db, "遥控器") == found(db, "催促 上门") == {unit}


def test_a_changed_field_is_found_by_its_new_words_only_once_reindexed(db: Database) -> None:
    unit = ticket(db, "报修", description="热水器打不着火")
    with db.session() as session:
        session.get_one(Ticket, unit).description = "热水器漏水"
        reindex(session, ticket_id=unit)
    assert found(db, "漏水") == {unit}
    assert found(db, "打不着") == set()


# Each query, and whether it finds the ticket "空调不制冷" (every word in it) or nothing (a word missing).
HOSTILE = [
    ('"空调', True),
    ("空调*", True),
    ("-空调 +制冷 ^空调", True),
    ("(空调) & !漏水 | 制冷:*", False),
    ('NEAR(空调 制冷) OR "1"="1"', False),
    ("'; DROP TABLE tickets; --", False),
    ("search_tokens:空调", False),
    ("空调\x00制冷", True),
    ("空调\ud800", True),  # a lone surrogate, as JSON's \ud800 decodes
    ("😀空调🔥", True),
    ("空调 " * (MAX_QUERY_CHARS // 3), True),
]


@pytest.mark.parametrize(("query", "finds"), HOSTILE)
def test_a_query_with_search_syntax_finds_its_words_as_plain_words(db: Database, query: str, finds: bool) -> None:
    air = ticket(db, "空调不制冷")
    ticket(db, "冰箱漏水")
    assert found(db, query) == ({air} if finds else set())


def test_operator_words_are_searched_as_words(db: Database) -> None:
    words = ticket(db, "either AND or OR, NOT never")
    ticket(db, "空调")
    assert found(db, "AND OR NOT") == {words}
    assert found(db, "near") == set()


@pytest.mark.parametrize("query", ["", "   ", '"', "*", ")(", "&|!():*", "😀🔥", "，。！", "的了吗"])
def test_a_query_with_no_word_is_refused_as_invalid(db: Database, query: str) -> None:
    with pytest.raises(Invalid, match="Type a word"):
        found(db, query)


def test_a_query_too_long_is_refused_as_invalid(db: Database) -> None:
    air = ticket(db, "空调")
    with pytest.raises(Invalid, match="at most"):
        found(db, "空调" * 5_000)
    assert found(db, "空调".ljust(MAX_QUERY_CHARS)) == {air}


def test_a_ticket_that_does_not_exist_cannot_be_reindexed(db: Database) -> None:
    with db.session() as session, pytest.raises(NotFound):
        reindex(session, ticket_id=999_999)


def test_tokens_are_lowercase_words_each_once_without_punctuation() -> None:
    tokens = search_tokens("Compressor,COMPRESSOR! 空调（不制冷）", None, "SN12345。空调")
    assert tokens.split() == list(dict.fromkeys(tokens.split()))
    assert {"compressor", "空调", "制冷", "sn12345"} <= set(tokens.split())
    assert not set(tokens) & set(",!（）。")
    assert tokens == tokens.lower()
    assert search_tokens(None, "", "…!?") == ""


def test_a_long_transcript_is_capped_keeping_the_ticket_fields(db: Database) -> None:
    transcript = "".join(f"第{n}次来电，序列号SN{n:06d}，空调不制冷。" for n in range(2_500))
    assert len(transcript) > 50_000
    tokens = search_tokens("KFR-35GW", transcript)
    assert len(tokens) <= MAX_TOKENS_CHARS
    assert {"kfr35gw", "sn000000"} <= set(tokens.split())
    assert "sn002499" not in tokens.split()  # words first seen past the cap
    unit = ticket(db, "报修", product_model="KFR-35GW", description=transcript)
    assert found(db, "KFR-35GW") == found(db, "SN000001") == {unit}


def test_the_database_indexes_each_token_as_one_word(db: Database) -> None:
    unit = ticket(db, "Café ß 空调", description="型号KFR-35GW/BP3DN8Y 用户Ｗｉｆｉ连不上 1.5匹 2,000元 Ⅲ")
    with db.session() as session:
        tokens = set((session.scalar(select(Ticket.search_tokens).where(Ticket.id == unit)) or "").split())
        if session.get_bind().dialect.name == "postgresql":
            sql = "SELECT unnest(tsvector_to_array(search_tokens_vector)) FROM (SELECT to_tsvector('simple', "
            sql += "search_tokens) AS search_tokens_vector FROM tickets WHERE id = :id) AS t"
        else:
            vocabulary = "fts5vocab(main, ticket_search, instance)"
            session.execute(text(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.terms USING {vocabulary}"))
            sql = "SELECT term FROM temp.terms WHERE doc = :id"
        assert set(session.scalars(text(sql), {"id": unit})) == tokens


def test_a_search_uses_the_index(db: Database) -> None:
    ticket(db, "空调不制冷")
    with db.session() as session:
        dialect = session.get_bind().dialect
        query = select(Ticket.id).where(matching("空调 SN12345", dialect=dialect.name))
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "postgresql":
            session.execute(text("SET LOCAL enable_seqscan = off"))  # a few rows: a scan would be cheaper
            plan = "\n".join(session.execute(text("EXPLAIN " + sql)).scalars())
            assert "ix_tickets_search" in plan
        else:
            plan = "\n".join(row[-1] for row in session.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "VIRTUAL TABLE INDEX" in plan and "SCAN tickets" not in plan


def test_the_desk_lists_a_search_newest_first_across_every_window_of_activity(db: Database) -> None:
    # On PostgreSQL the desk reads the matches of the last week, then of two months, then all (desk.SEARCH_WINDOWS):
    # a page straddling them still comes newest first, and the next page goes on where it stopped.
    now = utcnow()
    ages = (1, 20, 100, 400)  # days since each ticket's last activity: one in each window and one past them all
    ids = {age: ticket(db, "遥控器失灵", updated_at=now - timedelta(days=age)) for age in ages}
    ticket(db, "空调漏水", updated_at=now)  # the newest, not a match
    manager = CurrentUser(1, "manager", "Manager", "manager", (), {})
    reach = Reach(manager, True, frozenset(), frozenset(), frozenset({1}))
    seen: list[int] = []
    after = None
    with db.session() as session:
        for _ in ages:
            page = list_tickets(session, reach=reach, filters=Filters(view="all", q="遥控器"), limit=1, after=after)
            seen += [row["id"] for row in page["tickets"]]
            after = page["next"]
        assert after is None
        assert list_tickets(session, reach=reach, filters=Filters(view="all", q="遥控器"), limit=3)["next"]
    assert seen == [ids[age] for age in ages]


def _migrated_to_0014(url: str) -> Database:
    command.upgrade(alembic_config(url), "0014")
    older = Database(url)
    with older.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tickets (id, subject, status, description, serial_number, escalation_level, "
                "created_at, updated_at) VALUES (7, '报修', 'new', '客户反映空调不制冷', 'SN777', 0, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO ticket_notes (ticket_id, body, kind, created_at) "
                "VALUES (7, '聊天记录：遥控器没反应', 'transcript', CURRENT_TIMESTAMP)"
            )
        )
    return older


def test_the_migration_indexes_the_tickets_that_existed_before_it(new_database: Callable[[], str]) -> None:
    db = _migrated_to_0014(new_database())
    try:
        db.upgrade()
        assert found(db, "空调 不制冷") == found(db, "sn777") == found(db, "遥控器") == {7}
    finally:
        db.dispose()


def test_the_migration_downgrades_and_upgrades_again(new_database: Callable[[], str]) -> None:
    db = _migrated_to_0014(new_database())
    try:
        db.upgrade()
        command.downgrade(alembic_config(db.url), "0014")
        inspector = inspect(db.engine)
        assert "search_tokens" not in {column["name"] for column in inspector.get_columns("tickets")}
        assert "ix_tickets_search" not in {index["name"] for index in inspector.get_indexes("tickets")}
        assert not [name for name in inspector.get_table_names() if name.startswith("ticket_search")]
        db.upgrade()
        assert found(db, "遥控器") == {7}
        with db.session() as session:  # the triggers are back: a new ticket is found once indexed
            session.add(Ticket(id=8, subject="遥控器失灵", status="new"))
            session.flush()
            reindex(session, ticket_id=8)
        assert found(db, "遥控器") == {7, 8}
    finally:
        db.dispose()


def test_jieba_loads_on_first_use_and_writes_no_file(tmp_path: Path) -> None:
    temp, cwd = tmp_path / "tmp", tmp_path / "cwd"
    temp.mkdir()
    cwd.mkdir()
    script = (
        "import sys, contactcenter.app\n"
        "assert 'jieba' not in sys.modules, 'jieba imported with the app'\n"
        "from contactcenter.tickets.search import search_tokens\n"
        "print(search_tokens('客户反映空调不制冷'))\n"
    )
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "空调" in done.stdout.split()
    assert done.stderr == ""  # jieba's loading messages silenced
    assert list(temp.iterdir()) == list(cwd.iterdir()) == []
