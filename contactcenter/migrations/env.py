"""Alembic environment: runs migrations against the URL the app configured."""

from alembic import context
from sqlalchemy import engine_from_config, pool

import contactcenter.models  # noqa: F401  (registers every table)
from contactcenter.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Apply migrations over one connection; batch mode lets SQLite alter tables."""
    connectable = config.attributes.get("connection") or engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
