"""Quality assurance: scorecards and their versions, evaluations, revisions, comments, disputes,
calibrations, coaching notes; users who lead QA

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qa_scorecards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_qa_scorecards_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_scorecards")),
    )
    op.create_table(
        "qa_scorecard_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scorecard_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_qa_scorecard_versions_created_by_users")),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"], name=op.f("fk_qa_scorecard_versions_published_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_id"],
            ["qa_scorecards.id"],
            name=op.f("fk_qa_scorecard_versions_scorecard_id_qa_scorecards"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_scorecard_versions")),
        sa.UniqueConstraint("scorecard_id", "number", name=op.f("uq_qa_scorecard_versions_scorecard_id")),
    )
    with op.batch_alter_table("qa_scorecard_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_scorecard_versions_scorecard_id"), ["scorecard_id"], unique=False)

    op.create_table(
        "qa_calibrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=True),
        sa.Column("evaluator_ids", sa.JSON(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_qa_calibrations_contact_id_contacts")),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_qa_calibrations_created_by_users")),
        sa.ForeignKeyConstraint(["expert_id"], ["users.id"], name=op.f("fk_qa_calibrations_expert_id_users")),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["qa_scorecard_versions.id"],
            name=op.f("fk_qa_calibrations_version_id_qa_scorecard_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_calibrations")),
    )
    op.create_table(
        "qa_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("evaluator_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("calibration_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("queue", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("band", sa.String(length=16), nullable=True),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_qa_evaluations_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["calibration_id"], ["qa_calibrations.id"], name=op.f("fk_qa_evaluations_calibration_id_qa_calibrations")
        ),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_qa_evaluations_contact_id_contacts")),
        sa.ForeignKeyConstraint(["evaluator_id"], ["users.id"], name=op.f("fk_qa_evaluations_evaluator_id_users")),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["qa_scorecard_versions.id"],
            name=op.f("fk_qa_evaluations_version_id_qa_scorecard_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_evaluations")),
    )
    with op.batch_alter_table("qa_evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_qa_evaluations_agent_submitted", ["agent_id", "submitted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_qa_evaluations_calibration_id"), ["calibration_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_qa_evaluations_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_qa_evaluations_evaluator_status", ["evaluator_id", "status"], unique=False)
        batch_op.create_index("ix_qa_evaluations_submitted", ["kind", "submitted_at"], unique=False)

    op.create_table(
        "qa_coaching_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_qa_coaching_notes_agent_id_users")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_qa_coaching_notes_author_id_users")),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["qa_evaluations.id"],
            name=op.f("fk_qa_coaching_notes_evaluation_id_qa_evaluations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_coaching_notes")),
    )
    with op.batch_alter_table("qa_coaching_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_coaching_notes_agent_id"), ["agent_id"], unique=False)

    op.create_table(
        "qa_disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("raised_by", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["qa_evaluations.id"],
            name=op.f("fk_qa_disputes_evaluation_id_qa_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["raised_by"], ["users.id"], name=op.f("fk_qa_disputes_raised_by_users")),
        sa.ForeignKeyConstraint(["reviewer_id"], ["users.id"], name=op.f("fk_qa_disputes_reviewer_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_disputes")),
        sa.UniqueConstraint("evaluation_id", "round", name=op.f("uq_qa_disputes_evaluation_id")),
    )
    with op.batch_alter_table("qa_disputes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_disputes_evaluation_id"), ["evaluation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_qa_disputes_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "qa_evaluation_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("at_seconds", sa.Float(), nullable=True),
        sa.Column("question", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_qa_evaluation_comments_author_id_users")),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["qa_evaluations.id"],
            name=op.f("fk_qa_evaluation_comments_evaluation_id_qa_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_evaluation_comments")),
    )
    with op.batch_alter_table("qa_evaluation_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_evaluation_comments_evaluation_id"), ["evaluation_id"], unique=False)

    op.create_table(
        "qa_evaluation_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False),
        sa.Column("critical_failed", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_qa_evaluation_revisions_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["qa_evaluations.id"],
            name=op.f("fk_qa_evaluation_revisions_evaluation_id_qa_evaluations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qa_evaluation_revisions")),
        sa.UniqueConstraint("evaluation_id", "number", name=op.f("uq_qa_evaluation_revisions_evaluation_id")),
    )
    with op.batch_alter_table("qa_evaluation_revisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qa_evaluation_revisions_evaluation_id"), ["evaluation_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("qa_lead", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    # Evaluations, disputes and scorecards are gone with their tables; the audit log keeps their events.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("qa_lead")
    for table in (
        "qa_evaluation_revisions",
        "qa_evaluation_comments",
        "qa_disputes",
        "qa_coaching_notes",
        "qa_evaluations",
        "qa_calibrations",
        "qa_scorecard_versions",
        "qa_scorecards",
    ):
        op.drop_table(table)
