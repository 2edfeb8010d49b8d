"""Wrap-up drafts: the form as the agent types it, filed when the wrap-up time runs out

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wrap_up_drafts",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_wrap_up_drafts_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_wrap_up_drafts_agent_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("contact_id", "agent_id", name=op.f("pk_wrap_up_drafts")),
    )


def downgrade() -> None:
    op.drop_table("wrap_up_drafts")
