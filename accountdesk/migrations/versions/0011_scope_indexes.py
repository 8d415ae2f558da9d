"""Indexes for the clients a user serves (services/scope.py) and the first screen's quick agenda:
the planned visits, live cadences and improvement items a user owns, and the open complaints with a
deadline, found from an index instead of from every row. At 10,000 clients the Today page's first
query read every planned visit (~11,600 rows spread over the visits table) and scanned the
complaints, cadences and improvement items; an encrypted profile decrypts every page it reads, so
its start took ~3x the plaintext one's (issue 14's benchmark).

Revision ID: 0011_scope_indexes
Revises: 0010_dashboard_index
Create Date: 2026-12-07 17:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_scope_indexes"
down_revision = "0010_dashboard_index"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")
INDEXES = [
    ("visits", "ix_visits_owner_status", ["owner_id", "status", "client_id"]),
    ("visit_plans", "ix_visit_plans_owner", ["owner_id", "client_id"]),
    ("improvement_items", "ix_improvement_items_owner", ["owner_id", "client_id"]),
    ("feedback", "ix_feedback_open", ["status", "due_at", "client_id"]),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False, sqlite_where=LIVE)


def downgrade() -> None:
    for table, name, _columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
