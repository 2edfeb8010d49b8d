"""priority aging and cross-queue weight per queue; chat capacity per agent

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("aging_seconds_per_priority", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("weight", sa.Integer(), server_default="1", nullable=False))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_capacity", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("chat_capacity")
    with op.batch_alter_table("queues", schema=None) as batch_op:
        batch_op.drop_column("weight")
        batch_op.drop_column("aging_seconds_per_priority")
