"""Drop the single-column ``ix_<table>_client_id`` indexes: each is a prefix of the table's
``ix_<table>_client_live`` (client_id, deleted_at), which answers every lookup by client (SQLite
uses the leftmost column of an index alike), so they only cost upkeep — a little on every write,
and on a fresh laptop's first pull of a company 26 of the 83 indexes it builds once the rows are
in (store/bulk_indexes.py; issue 20's company benchmark).

Revision ID: 0015_drop_client_id_indexes
Revises: 0014_visits_day
Create Date: 2026-12-07 20:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0015_drop_client_id_indexes"
down_revision = "0014_visits_day"
branch_labels = None
depends_on = None

TABLES = [
    "attachments",
    "client_services",
    "client_team",
    "clients",
    "conflicts",
    "contacts",
    "equipment",
    "feedback",
    "handovers",
    "improvement_items",
    "improvement_plans",
    "interactions",
    "opportunities",
    "ownership_changes",
    "risk_flags",
    "saved_views",
    "service_commitments",
    "service_deliveries",
    "service_notes",
    "service_offerings",
    "service_standards",
    "surveys",
    "tasks",
    "users",
    "visit_plans",
    "visits",
]


def upgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_client_id")


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_client_id ON {table} (client_id)")
