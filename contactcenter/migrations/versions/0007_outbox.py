"""The outbox: jobs that follow a committed change, written with it and handed to RQ by a relay

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job", sa.String(length=128), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("due_ms", sa.BigInteger(), nullable=False),
        sa.Column("job_id", sa.String(length=128), nullable=True),
        sa.Column("retry_intervals", sa.JSON(), nullable=False),
        sa.Column("handed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_jobs_pending", "outbox_jobs", ["handed_at", "due_ms"])


def downgrade() -> None:
    op.drop_index("ix_outbox_jobs_pending", table_name="outbox_jobs")
    op.drop_table("outbox_jobs")
