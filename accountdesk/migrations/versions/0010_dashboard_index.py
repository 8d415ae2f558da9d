"""A covering index for the dashboard's visits done against planned: the live visits of a period,
per client, with their status and owner, read from the index instead of from the visits table
(most of which is the text of visit reports: on a 10,000-client profile the count read ~800 MB).

Revision ID: 0010_dashboard_index
Revises: 0009_alerts
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_dashboard_index"
down_revision = "0009_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visits_period",
            ["client_id", "planned_start", "status", "owner_id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_period")
