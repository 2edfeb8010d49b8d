"""The ticket desk: lifecycle states, the fields the rules name, SLA policies and clocks, notifications

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# The four statuses before lifecycles, and where each ticket goes: an open ticket someone has is in progress.
_OLD_TO_NEW = (
    ("open", "in_progress", "assignee_id IS NOT NULL"),
    ("open", "new", "assignee_id IS NULL"),
    ("pending", "waiting_customer", "1 = 1"),
)


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("status", type_=sa.String(length=24), existing_type=sa.String(length=16))
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))
        batch.add_column(sa.Column("queue", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("routed_deadline", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("product_model", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("serial_number", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("purchase_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("solution", sa.Text(), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("satisfaction", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("escalation_level", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("about_agent_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("substantiated", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("status_before_merge", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_tickets_merged_into_id_tickets"), "tickets", ["merged_into_id"], ["id"]
        )
        batch.create_foreign_key(op.f("fk_tickets_about_agent_id_users"), "users", ["about_agent_id"], ["id"])
        batch.create_index("ix_tickets_about_agent_id", ["about_agent_id"])
        batch.create_index("ix_tickets_serial_number", ["serial_number"])
        batch.create_index("ix_tickets_merged_into_id", ["merged_into_id"])
        batch.create_index("ix_tickets_status_updated", ["status", "updated_at"])
        batch.create_index("ix_tickets_assignee_updated", ["assignee_id", "updated_at"])
        batch.create_index("ix_tickets_queue_updated", ["queue", "updated_at"])
        batch.create_index("ix_tickets_customer_category", ["customer_id", "category", "status"])
        batch.create_index("ix_tickets_created", ["created_at"])
    for old, new, condition in _OLD_TO_NEW:
        op.execute(f"UPDATE tickets SET status = '{new}' WHERE status = '{old}' AND {condition}")
    # The group a ticket was routed to is its first contact's queue.
    op.execute(
        "UPDATE tickets SET queue = (SELECT c.queue FROM contacts c WHERE c.ticket_id = tickets.id "
        "AND c.queue IS NOT NULL ORDER BY c.id LIMIT 1)"
    )
    with op.batch_alter_table("ticket_notes") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), server_default="note", nullable=False))

    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("calendar", sa.String(length=64), nullable=True),
        sa.Column("warn_percent", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
    )
    op.create_index("ix_sla_policies_current", "sla_policies", ["category", "target", "version"], unique=True)
    op.create_table(
        "ticket_clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=24), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("budget_seconds", sa.Integer(), nullable=False),
        sa.Column("calendar", sa.String(length=64), nullable=True),
        sa.Column("warn_percent", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("running_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("consumed_seconds", sa.Float(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("origin_ticket_id", sa.Integer(), nullable=True),
        sa.Column("superseded_by_merge", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_clocks_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["sla_policies.id"], name=op.f("fk_ticket_clocks_policy_id_sla_policies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_clocks")),
    )
    op.create_index("ix_ticket_clocks_ticket", "ticket_clocks", ["ticket_id", "target"])
    op.create_index("ix_ticket_clocks_state_due", "ticket_clocks", ["state", "due_at"])
    op.create_index("ix_ticket_clocks_state_warn", "ticket_clocks", ["state", "warn_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_notifications_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_user_unread", "notifications", ["user_id", "read_at", "id"])
    op.create_table(
        "ticket_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ticket_views_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_views")),
    )
    op.create_index("ix_ticket_views_user", "ticket_views", ["user_id", "name"], unique=True)
    op.create_table(
        "return_visit_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_return_visit_batches_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_visit_batches")),
    )
    with op.batch_alter_table("callbacks") as batch:
        batch.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            op.f("fk_callbacks_batch_id_return_visit_batches"), "return_visit_batches", ["batch_id"], ["id"]
        )
        batch.create_index("ix_callbacks_batch_id", ["batch_id"])
    op.create_table(
        "ticket_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("callback_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("reached", sa.Boolean(), nullable=False),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_surveys_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_ticket_surveys_contact_id_contacts")),
        sa.ForeignKeyConstraint(
            ["callback_id"], ["callbacks.id"], name=op.f("fk_ticket_surveys_callback_id_callbacks")
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_ticket_surveys_agent_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_surveys")),
    )
    op.create_index("ix_ticket_surveys_ticket_id", "ticket_surveys", ["ticket_id"])
    op.create_index("ix_ticket_surveys_created", "ticket_surveys", ["created_at"])
    op.create_table(
        "agent_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("ticket_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_agent_flags_agent_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["acknowledged_by"], ["users.id"], name=op.f("fk_agent_flags_acknowledged_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_flags")),
    )
    op.create_index("ix_agent_flags_agent_id", "agent_flags", ["agent_id"])


def downgrade() -> None:
    op.drop_table("agent_flags")
    op.drop_table("ticket_surveys")
    with op.batch_alter_table("callbacks") as batch:
        batch.drop_index("ix_callbacks_batch_id")
        batch.drop_constraint(op.f("fk_callbacks_batch_id_return_visit_batches"), type_="foreignkey")
        batch.drop_column("expires_at")
        batch.drop_column("batch_id")
    op.drop_table("return_visit_batches")
    op.drop_table("ticket_views")
    op.drop_table("notifications")
    op.drop_table("ticket_clocks")
    op.drop_table("sla_policies")
    with op.batch_alter_table("ticket_notes") as batch:
        batch.drop_column("kind")
    op.execute("UPDATE tickets SET status = 'open' WHERE status NOT IN ('resolved', 'closed', 'waiting_customer')")
    op.execute("UPDATE tickets SET status = 'pending' WHERE status = 'waiting_customer'")
    with op.batch_alter_table("tickets") as batch:
        for index in (
            "ix_tickets_created",
            "ix_tickets_customer_category",
            "ix_tickets_queue_updated",
            "ix_tickets_assignee_updated",
            "ix_tickets_status_updated",
            "ix_tickets_merged_into_id",
            "ix_tickets_serial_number",
            "ix_tickets_about_agent_id",
        ):
            batch.drop_index(index)
        batch.drop_constraint(op.f("fk_tickets_merged_into_id_tickets"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_tickets_about_agent_id_users"), type_="foreignkey")
        for column in (
            "closed_at",
            "resolved_at",
            "status_before_merge",
            "merged_into_id",
            "substantiated",
            "about_agent_id",
            "escalation_level",
            "satisfaction",
            "outcome",
            "solution",
            "purchase_date",
            "serial_number",
            "product_model",
            "routed_deadline",
            "queue",
            "description",
        ):
            batch.drop_column(column)
        batch.alter_column("status", type_=sa.String(length=16), existing_type=sa.String(length=24))
