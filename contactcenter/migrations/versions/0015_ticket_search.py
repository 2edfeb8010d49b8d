"""Ticket search: tickets.search_tokens, its index (PostgreSQL GIN, SQLite FTS5 and triggers), filled for every ticket

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from contactcenter.tickets.search import search_tokens

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BATCH = 500  # tickets read, tokenized and written at a time: a long history is never all in memory

# The expression must stay the one tickets/search.py queries (`matching`), or the index is not used.
POSTGRESQL_UP = (
    "CREATE INDEX ix_tickets_search ON tickets USING gin (to_tsvector('simple'::regconfig, search_tokens))",
)
POSTGRESQL_DOWN = ("DROP INDEX IF EXISTS ix_tickets_search",)

# External content: the tokens are stored once, in tickets; the triggers keep the index in step with every
# write of the column. A later migration that alters tickets in SQLite's batch mode (copy, drop, rename) must
# create the triggers again: they go with the dropped table.
SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE ticket_search USING fts5(search_tokens, content='tickets', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')"
)
SQLITE_TRIGGERS = (
    """CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, search_tokens) VALUES (new.id, new.search_tokens); END""",
    """CREATE TRIGGER tickets_search_update AFTER UPDATE OF search_tokens ON tickets BEGIN
    INSERT INTO ticket_search (ticket_search, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens);
    INSERT INTO ticket_search (rowid, search_tokens) VALUES (new.id, new.search_tokens); END""",
    """CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN
    INSERT INTO ticket_search (ticket_search, rowid, search_tokens) VALUES ('delete', old.id, old.search_tokens);
    END""",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS tickets_search_delete",
    "DROP TRIGGER IF EXISTS tickets_search_update",
    "DROP TRIGGER IF EXISTS tickets_search_insert",
    "DROP TABLE IF EXISTS ticket_search",
)

# The tables as this revision knows them (not the models, which later revisions change).
tickets = sa.table(
    "tickets",
    sa.column("id", sa.Integer),
    sa.column("serial_number", sa.String),
    sa.column("product_model", sa.String),
    sa.column("subject", sa.String),
    sa.column("description", sa.Text),
    sa.column("solution", sa.Text),
    sa.column("search_tokens", sa.Text),
)
notes = sa.table("ticket_notes", sa.column("id", sa.Integer), sa.column("ticket_id", sa.Integer), sa.column("body"))


def backfill(connection: sa.Connection) -> None:
    """Every ticket's tokens from its fields and notes (oldest first), as tickets/search.py's reindex does."""
    last = 0
    while True:
        rows = connection.execute(
            sa.select(
                tickets.c.id,
                tickets.c.serial_number,
                tickets.c.product_model,
                tickets.c.subject,
                tickets.c.description,
                tickets.c.solution,
            )
            .where(tickets.c.id > last)
            .order_by(tickets.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        bodies: dict[int, list[str]] = {row.id: [] for row in rows}
        for ticket_id, body in connection.execute(
            sa.select(notes.c.ticket_id, notes.c.body)
            .where(notes.c.ticket_id.in_(list(bodies)))
            .order_by(notes.c.ticket_id, notes.c.id)
        ):
            bodies[ticket_id].append(body)
        connection.execute(
            tickets.update().where(tickets.c.id == sa.bindparam("ticket_id")),
            [
                {"ticket_id": row.id, "search_tokens": search_tokens(*row[1:], *bodies[row.id])}
                for row in rows
            ],
        )
        last = rows[-1].id


def upgrade() -> None:
    connection = op.get_bind()
    op.add_column("tickets", sa.Column("search_tokens", sa.Text(), nullable=True))
    # Filled before the index exists: one build of it at the end instead of an update per ticket.
    backfill(connection)
    if connection.dialect.name == "postgresql":
        for statement in POSTGRESQL_UP:
            op.execute(statement)
    else:
        op.execute(SQLITE_TABLE)
        op.execute("INSERT INTO ticket_search (ticket_search) VALUES ('rebuild')")
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    for statement in POSTGRESQL_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("search_tokens")
