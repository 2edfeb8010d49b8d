"""Retention and legal hold: legal holds, the marks of expired objects, files left to unlink, the deletion receipts
(append-only)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

REFUSAL = "retention_receipts is append-only"
# As the access log's (0010): PostgreSQL refuses UPDATE, DELETE and TRUNCATE; SQLite UPDATE and DELETE.
POSTGRESQL_UP = (
    f"""CREATE FUNCTION retention_receipts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$""",
    """CREATE TRIGGER retention_receipts_append_only BEFORE UPDATE OR DELETE ON retention_receipts
    FOR EACH ROW EXECUTE FUNCTION retention_receipts_append_only()""",
    """CREATE TRIGGER retention_receipts_no_truncate BEFORE TRUNCATE ON retention_receipts
    FOR EACH STATEMENT EXECUTE FUNCTION retention_receipts_append_only()""",
)
POSTGRESQL_DOWN = (
    "DROP TRIGGER IF EXISTS retention_receipts_no_truncate ON retention_receipts",
    "DROP TRIGGER IF EXISTS retention_receipts_append_only ON retention_receipts",
    "DROP FUNCTION IF EXISTS retention_receipts_append_only()",
)
SQLITE_UP = (
    "CREATE TRIGGER retention_receipts_no_update BEFORE UPDATE ON retention_receipts "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
    "CREATE TRIGGER retention_receipts_no_delete BEFORE DELETE ON retention_receipts "
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS retention_receipts_no_update",
    "DROP TRIGGER IF EXISTS retention_receipts_no_delete",
)


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("date_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("date_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("placed_by", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.Integer(), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["placed_by"], ["users.id"], name=op.f("fk_legal_holds_placed_by_users")),
        sa.ForeignKeyConstraint(["released_by"], ["users.id"], name=op.f("fk_legal_holds_released_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_index(op.f("ix_legal_holds_released_at"), "legal_holds", ["released_at"])
    op.create_table(
        "retention_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("object_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt_seq", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_marks")),
        sa.UniqueConstraint("data_class", "object_id", name="uq_retention_marks_object"),
    )
    op.create_index("ix_retention_marks_due", "retention_marks", ["state", "due_at"])
    op.create_index("ix_retention_marks_batch", "retention_marks", ["data_class", "state", "id"])
    op.create_table(
        "retention_leftovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_leftovers")),
    )
    op.create_table(
        "retention_receipts",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data_class", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_retention_receipts")),
        sa.UniqueConstraint("object_type", "object_id", name="uq_retention_receipts_object"),
    )
    op.create_index(op.f("ix_retention_receipts_destroyed_at"), "retention_receipts", ["destroyed_at"])
    for statement in POSTGRESQL_UP if op.get_bind().dialect.name == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in POSTGRESQL_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_table("retention_receipts")
    op.drop_table("retention_leftovers")
    op.drop_index("ix_retention_marks_batch", table_name="retention_marks")
    op.drop_index("ix_retention_marks_due", table_name="retention_marks")
    op.drop_table("retention_marks")
    op.drop_index(op.f("ix_legal_holds_released_at"), table_name="legal_holds")
    op.drop_table("legal_holds")
