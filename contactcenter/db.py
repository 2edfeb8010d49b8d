"""Database engine, sessions and migrations: SQLite by default, PostgreSQL in production."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from alembic import command
from alembic.config import Config
from sqlalchemy import DateTime, Dialect, Engine, MetaData, Table, TypeDecorator, create_engine, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from contactcenter.private_files import private_file

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp kept as its UTC instant on every database, and read back aware in UTC.

    SQLite has no time zones: SQLAlchemy writes an aware value's wall-clock digits and drops its zone, so a
    time given in Asia/Shanghai was read back 8 hours off (a callback's `scheduled_for`), and its string no
    longer compared in order with the others. PostgreSQL answers in the session's zone. A naive value is
    taken as the UTC the product always means."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every table; constraint names are stable for migrations."""

    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:  # every model here is mapped to a Table (none to a join or a select)
        __table__: ClassVar[Table]


def make_engine(url: str, *, for_writing: bool = True) -> Engine:
    """An engine; SQLite gets foreign keys, WAL and a busy timeout so several processes share it.
    `for_writing` False: its transactions take no write lock (a reader's, see Database.reading)."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///").partition("?")[0]
        if url.startswith("sqlite:///") and path and path != ":memory:":
            private_file(Path(path))  # before SQLite creates it 0644; its -wal and -shm copy the mode
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            # pysqlite would BEGIN only before the first write, so a SAVEPOINT (or a read) ran outside the
            # transaction and its RELEASE committed half of it. Transactions are begun below instead.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            # WAL's usual setting: safe against a crash of the app; only the OS crashing may lose the
            # last commits. SQLite is the embedded default; production runs PostgreSQL.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection) -> None:  # type: ignore[no-untyped-def]
            # Take the write lock up front: a reader that later writes would otherwise fail with
            # "database is locked" at once instead of waiting its turn (busy_timeout). A reader's
            # engine begins a plain (deferred) transaction: one snapshot, no lock to wait for.
            connection.exec_driver_sql("BEGIN IMMEDIATE" if for_writing else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache(maxsize=32)
def _insert_or_ignore(dialect: str, table: type[Base]) -> Any:
    build = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return build(table.__table__).on_conflict_do_nothing().returning(table.__table__.c.id)


def insert_or_ignore(session: Session, table: type[Base]) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id for this session's database, built once: execute it
    with the row's values; the id is None when the row existed already."""
    return _insert_or_ignore(session.get_bind().dialect.name, table)


class Database:
    """The engine and a session factory, created once per process by the app factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time. Threads of this process take turns here, handed over at once,
        # instead of in SQLite's busy handler, which sleeps up to 100 ms between tries.
        self._turns: AbstractContextManager[object] = (
            threading.RLock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )
        in_memory = url.startswith("sqlite") and url.removeprefix("sqlite:///") in ("", ":memory:")
        separate = self.engine.dialect.name == "sqlite" and not in_memory  # an in-memory one is per engine
        self.reader = make_engine(url, for_writing=False) if separate else self.engine
        self.reads = sessionmaker(self.reader, expire_on_commit=False) if separate else self.sessions

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self._turns, self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session that only reads (it is rolled back). On SQLite it waits for no writer: no turn here,
        no write lock (WAL readers never block), so a request's login check does not queue behind the
        IVR's writes or a worker's (measured in bench/calls.py: the accept's tail)."""
        with self.reads() as session:
            try:
                yield session
            finally:
                session.rollback()

    def upgrade(self) -> None:
        """Apply every Alembic migration not yet applied."""
        command.upgrade(alembic_config(self.url), "head")

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
        if self.reader is not self.engine:
            self.reader.dispose()


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the bundled migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config
