"""QA sampling: policies, runs (seed and selection kept), and the work queue's items

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qa_sampling_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("per_agent", sa.Integer(), nullable=False),
        sa.Column("percentage", sa.Float(), nullable=True),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("min_seconds", sa.Integer(), nullable=False),
        sa.Column("recording_required", sa.Boolean(), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("evaluator_ids", sa.JSON(), nullable=False),
        sa.Column("assign", sa.Boolean(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_qa_sampling_policies_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_sampling_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_qa_sampling_policies_name")),
    )
    op.create_table(
        "qa_sample_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("period_key", sa.String(length=64), nullable=True),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("selected", sa.Integer(), nullable=False),
        sa.Column("contact_ids", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_qa_sample_runs_created_by_users")),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["qa_sampling_policies.id"], name=op.f("fk_qa_sample_runs_policy_id_qa_sampling_policies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_sample_runs")),
        sa.UniqueConstraint("period_key", name=op.f("uq_qa_sample_runs_period_key")),
    )
    with op.batch_alter_table("qa_sample_runs", schema=None) as batch_op:
        batch_op.create_index("ix_qa_sample_runs_policy_window", ["policy_id", "window_end"], unique=False)

    op.create_table(
        "qa_sample_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("evaluator_id", sa.Integer(), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("contact_ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.Column("evaluation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_qa_sample_items_agent_id_users")),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_qa_sample_items_contact_id_contacts")),
        sa.ForeignKeyConstraint(
            ["evaluation_id"], ["qa_evaluations.id"], name=op.f("fk_qa_sample_items_evaluation_id_qa_evaluations")
        ),
        sa.ForeignKeyConstraint(["evaluator_id"], ["users.id"], name=op.f("fk_qa_sample_items_evaluator_id_users")),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["qa_sampling_policies.id"], name=op.f("fk_qa_sample_items_policy_id_qa_sampling_policies")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["qa_sample_runs.id"], name=op.f("fk_qa_sample_items_run_id_qa_sample_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_sample_items")),
        sa.UniqueConstraint("contact_id", name=op.f("uq_qa_sample_items_contact_id")),
    )
    with op.batch_alter_table("qa_sample_items", schema=None) as batch_op:
        batch_op.create_index("ix_qa_sample_items_agent_created", ["agent_id", "created_at"], unique=False)
        batch_op.create_index("ix_qa_sample_items_evaluator_status", ["evaluator_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_qa_sample_items_run_id"), ["run_id"], unique=False)
        batch_op.create_index("ix_qa_sample_items_status_due", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("qa_sample_items", schema=None) as batch_op:
        batch_op.drop_index("ix_qa_sample_items_status_due")
        batch_op.drop_index(batch_op.f("ix_qa_sample_items_run_id"))
        batch_op.drop_index("ix_qa_sample_items_evaluator_status")
        batch_op.drop_index("ix_qa_sample_items_agent_created")
    op.drop_table("qa_sample_items")
    with op.batch_alter_table("qa_sample_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_qa_sample_runs_policy_window")
    op.drop_table("qa_sample_runs")
    op.drop_table("qa_sampling_policies")
