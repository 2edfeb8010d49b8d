"""QA figures: each counted answer's worth (the weakest questions), and the index the figures' scan reads

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

FIGURES_COLUMNS = ["kind", "status", "score", "band", "critical_failed", "agent_id", "queue", "channel", "version_id"]


def upgrade() -> None:
    op.create_table(
        "qa_answer_worths",
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("worth", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["qa_evaluations.id"],
            name=op.f("fk_qa_answer_worths_evaluation_id_qa_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", "question", name=op.f("pk_qa_answer_worths")),
    )
    op.create_index("ix_qa_answer_worths_agent", "qa_answer_worths", ["agent_id", "submitted_at"])
    op.create_index(
        "ix_qa_answer_worths_period",
        "qa_answer_worths",
        ["submitted_at", "scorecard_id", "question", "agent_id", "queue", "channel", "worth"],
    )
    op.create_index("ix_qa_evaluations_figures", "qa_evaluations", ["submitted_at"], postgresql_include=FIGURES_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_qa_evaluations_figures", table_name="qa_evaluations")
    op.drop_table("qa_answer_worths")
