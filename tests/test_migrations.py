"""The migrations build exactly the models' schema, on SQLite and (TEST_DATABASE_URL) PostgreSQL, and step back
down to nothing: a model changed without its migration, or a migration that fails on one database, fails here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import contactcenter.models  # noqa: F401  every table on the metadata
from contactcenter.db import Base, alembic_config
from tests.inprocess import sqlalchemy_url

# What the migrations make that no model maps: tickets' full-text search (0015: FTS5 tables on SQLite, a GIN
# index on PostgreSQL).
UNMAPPED = ("ticket_search", "ix_tickets_search")


def _differences(url: str) -> list[Any]:
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            found = compare_metadata(
                MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata
            )
    finally:
        engine.dispose()
    return [d for d in found if not any(name in repr(d) for name in UNMAPPED)]


def test_the_migrations_make_the_models_schema_and_go_back_down(new_database: Callable[[], str]) -> None:
    url = new_database()
    config = alembic_config(url)
    command.upgrade(config, "head")
    assert _differences(url) == []
    command.downgrade(config, "base")
    engine = create_engine(sqlalchemy_url(url))
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
