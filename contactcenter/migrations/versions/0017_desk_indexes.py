"""Desk indexes for a million tickets: newest first (all, by category); a ticket's and a customer's contacts

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07

Measured by bench/tickets.py (docs/performance.md). Plain CREATE INDEX (not batch mode): SQLite keeps the
tickets table and its search triggers (migration 0015).
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The desk lists newest activity first whatever the view: without it a team lead's or an agent's queues view
    # read every ticket of the view and sorted them (440 ms at 1,000,000 tickets; under 1 ms walking this index).
    op.create_index("ix_tickets_updated", "tickets", ["updated_at", "id"])
    # A category's recent tickets: the planner read all of a category from (customer_id, category, status), whose
    # first column it does not know (78 ms for an agent's complaints of the last week at 1,000,000 tickets).
    op.create_index("ix_tickets_category_updated", "tickets", ["category", "updated_at"])
    # A new call's menu choice asks whether its ticket has other contacts (tickets/linking.py `_fresh`) and who
    # last served the caller (contacts/service.py `last_agent_of`): each read every contact (the menu choice took
    # 1.5 s at 5,000,000 contacts, 27 ms with these).
    op.create_index("ix_contacts_ticket_id", "contacts", ["ticket_id"])
    op.create_index("ix_contacts_customer", "contacts", ["customer_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_contacts_customer", table_name="contacts")
    op.drop_index("ix_contacts_ticket_id", table_name="contacts")
    op.drop_index("ix_tickets_category_updated", table_name="tickets")
    op.drop_index("ix_tickets_updated", table_name="tickets")
