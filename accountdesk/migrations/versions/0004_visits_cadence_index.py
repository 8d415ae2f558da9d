"""A covering index for cadence status: the last done and the planned visits of every client are
read from it instead of from the visits table, most of which is the text of visit reports
(Today on a 10,000-client profile scanned ~90 MB for it).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 13:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visits_cadence", ["status", "client_id", "kind", "done_at", "planned_start", "id", "deleted_at"],
            unique=False, sqlite_where=sa.text("deleted_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_cadence")
