"""Seeding of the ticket benchmark's PostgreSQL database: the schema by the migrations, then a bulk load.

Customers, tickets (their text and search tokens made here), the open tickets' clocks and their alarms go in
by COPY; each ticket's five contacts and the finished tickets' met clocks are derived from the tickets in one
INSERT … SELECT each (PostgreSQL writes them without a Python round per row). The secondary indexes are dropped
for the load and built again after it, foreign keys are not checked during it (session_replication_role), and
everything is ANALYZEd at the end. The rows themselves: tickets_rows.py.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import psycopg
from tickets_rows import (
    AGENTS_PER_TEAM,
    CLOCK_COLUMNS,
    CONTACTS_SQL,
    QUEUES,
    TABLES,
    TEAMS,
    TICKET_COLUMNS,
    OpenTicket,
    Person,
    Seeded,
    Sizes,
    clock_lines,
    customer_lines,
    met_clocks_sql,
    ticket_lines,
)
from tickets_text import SURNAMES

from contactcenter.tickets.lifecycle import OPEN_STATES


def _people(conn: psycopg.Connection) -> list[Person]:
    """Queues, the agents of both teams (each in their team's queues), the team leads, two managers."""
    queue_ids = {}
    for name, display in QUEUES:
        queue_ids[name] = conn.execute(
            "INSERT INTO queues (name, display_name, skills, strategy, service_level_percent, service_level_seconds,"
            " overflow, weight, created_at) VALUES (%s, %s, '{}', 'longest_idle', 80, 15, '[]', 1, now()) RETURNING id",
            (name, display),
        ).fetchone()[0]  # type: ignore[index]
    wanted: list[tuple[str, str, str | None, tuple[str, ...]]] = []
    for team, queues in TEAMS.items():
        wanted += [(f"{team}{n:02d}", "agent", team, queues) for n in range(1, AGENTS_PER_TEAM + 1)]
        wanted.append((f"lead_{team}", "supervisor", team, queues))
    wanted += [("manager1", "manager", None, ()), ("manager2", "manager", None, ())]
    people = []
    for index, (username, role, team_name, queues) in enumerate(wanted):
        name = f"{SURNAMES[index % len(SURNAMES)]}{'明华伟芳静'[index % 5]} {username}"
        user_id = conn.execute(
            "INSERT INTO users (username, display_name, password_hash, role, skills, active, team, created_at)"
            " VALUES (%s, %s, 'x', %s, '{}', true, %s, now()) RETURNING id",
            (username, name, role, team_name),
        ).fetchone()[0]  # type: ignore[index]
        for queue in queues:
            conn.execute("INSERT INTO queue_members (user_id, queue_id) VALUES (%s, %s)", (user_id, queue_ids[queue]))
        people.append(Person(user_id, username, role, team_name, queues))
    return people


def _drop_indexes(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """Drop the secondary indexes of the loaded tables (not those of constraints); returns (table, definition)."""
    rows = conn.execute(
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s)"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexdef LIKE '%%USING gin%%' DESC",
        (list(TABLES),),
    ).fetchall()
    for _, name, _ in rows:
        conn.execute(f'DROP INDEX "{name}"')
    return [(table, definition) for table, _, definition in rows]


def _index_tickets(url: str, definitions: list[str]) -> float:
    """Build the tickets' indexes (the search's GIN first, the longest) and VACUUM ANALYZE them, on a connection
    of its own: beside the clocks and contacts being loaded, on the machine's other core."""
    began = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")
        for definition in definitions:
            conn.execute(definition)
        conn.execute("VACUUM ANALYZE tickets")
    return time.perf_counter() - began


def _copy(conn: psycopg.Connection, statement: str, lines: Iterator[str], batch: int = 4000) -> int:
    """COPY … FROM STDIN of tab-separated lines (the text holds no tab, newline or backslash); returns rows."""
    count = 0
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        chunk: list[str] = []
        for line in lines:
            chunk.append(line)
            if len(chunk) >= batch:
                copy.write("".join(chunk))
                count += len(chunk)
                chunk.clear()
        copy.write("".join(chunk))
        count += len(chunk)
    return count


def seed(url: str, sizes: Sizes, *, seed_value: int = 1, say: Callable[[str], None] = print) -> Seeded:
    """Load the migrated, empty database at `url` (a plain postgresql:// URL for psycopg)."""
    rng = random.Random(seed_value)
    now_dt = datetime.now(UTC).replace(microsecond=0)
    now = now_dt.timestamp()
    seeded = Seeded(now_dt)

    def phase(name: str, began: float) -> None:
        seeded.phases[name] = time.perf_counter() - began
        say(f"  {name}: {seeded.phases[name]:.1f} s")

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")  # no foreign-key triggers: the data is consistent
        conn.execute("SET maintenance_work_mem = '1GB'")
        began = time.perf_counter()
        seeded.people = _people(conn)
        indexes = _drop_indexes(conn)
        statement = "COPY customers (id, phone, name, grade, id_last4, created_at) FROM STDIN"
        seeded.counts["customers"] = _copy(conn, statement, customer_lines(sizes, rng, now))
        phase("users and customers", began)
        began = time.perf_counter()
        opened: list[OpenTicket] = []
        lines = ticket_lines(sizes, rng, now, seeded, opened)
        seeded.counts["tickets"] = _copy(conn, f"COPY tickets ({TICKET_COLUMNS}) FROM STDIN", lines)
        seeded.counts["open tickets"] = len(opened)
        phase(f"tickets (text and tokens, {seeded.distinct_clauses:,} distinct clauses)", began)
        ticket_indexes = [d for table, d in indexes if table == "tickets"]
        with ThreadPoolExecutor(1) as beside:
            indexing = beside.submit(_index_tickets, url, ticket_indexes)
            began = time.perf_counter()
            clocks, jobs = [], []
            for clock, job in clock_lines(sizes, rng, now, opened):
                clocks.append(clock)
                if job:
                    jobs.append(job)
            seeded.counts["running clocks"] = len(jobs)
            _copy(conn, f"COPY ticket_clocks ({CLOCK_COLUMNS}) FROM STDIN", iter(clocks))
            _copy(
                conn,
                "COPY outbox_jobs (created_at, job, args, due_ms, job_id, retry_intervals, attempts) FROM STDIN",
                iter(jobs),
            )
            conn.execute("SELECT setval('ticket_clocks_id_seq', %s)", (len(clocks),))
            seeded.counts["met clocks"] = conn.execute(met_clocks_sql()).rowcount
            phase("clocks and their alarms", began)
            began = time.perf_counter()
            seeded.counts["contacts"] = conn.execute(CONTACTS_SQL).rowcount
            phase("contacts (5 per ticket)", began)
            began = time.perf_counter()
            for table in ("customers", "tickets", "contacts", "ticket_clocks", "outbox_jobs"):
                conn.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
            others = [d for table, d in indexes if table != "tickets"]
            for definition in others:
                conn.execute(definition)
            conn.execute(f"VACUUM ANALYZE {', '.join(t for t in (*TABLES, 'users', 'queues') if t != 'tickets')}")
            phase(f"{len(others)} indexes of the other tables, VACUUM ANALYZE", began)
            began = time.perf_counter()
            seeded.phases["tickets' indexes"] = indexing.result()
            phase(f"waiting for the tickets' {len(ticket_indexes)} indexes and VACUUM ANALYZE", began)
        beside_s = seeded.phases["tickets' indexes"]
        say(f"  (the tickets' indexes took {beside_s:.1f} s, beside the clocks and contacts)")
        seeded.counts["database MB"] = round(
            conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20  # type: ignore[index]
        )
    return seeded


def describe(url: str) -> Seeded:
    """What `seed` returned, read back from a database it loaded earlier (--reuse)."""
    seeded = Seeded(datetime.now(UTC).replace(microsecond=0))
    with psycopg.connect(url) as conn:
        users = conn.execute("SELECT u.id, u.username, u.role, u.team FROM users u ORDER BY u.id").fetchall()
        members = conn.execute(
            "SELECT m.user_id, q.name FROM queue_members m JOIN queues q ON q.id = m.queue_id ORDER BY q.id"
        ).fetchall()
        for user_id, username, role, team in users:
            queues = tuple(name for member, name in members if member == user_id)
            seeded.people.append(Person(user_id, username, role, team, queues))
        seeded.serials = [
            r[0] for r in conn.execute("SELECT serial_number FROM tickets TABLESAMPLE SYSTEM (1) LIMIT 2000")
        ]
        for name, query in (
            ("customers", "SELECT count(*) FROM customers"),
            ("tickets", "SELECT count(*) FROM tickets"),
            (
                "open tickets",
                f"SELECT count(*) FROM tickets WHERE status = ANY(ARRAY{sorted(s.value for s in OPEN_STATES)})",
            ),
            ("running clocks", "SELECT count(*) FROM ticket_clocks WHERE state = 'running'"),
            ("met clocks", "SELECT count(*) FROM ticket_clocks WHERE state = 'stopped'"),
            ("contacts", "SELECT count(*) FROM contacts"),
            ("database MB", "SELECT pg_database_size(current_database()) / 1048576"),
        ):
            seeded.counts[name] = int(conn.execute(query).fetchone()[0])  # type: ignore[index]
    return seeded
