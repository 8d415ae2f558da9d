"""An index for the visits planned on a day (the Today page's first query: the clients with a visit
planned today). That query found them through ``ix_visits_cadence`` by status alone, reading the
index entry of every planned visit (at 10,000 clients ~8,900 entries, ~300 of the ~1,040 pages the
query read); by status and time it reads the day's entries only. An encrypted profile decrypts each
page it reads the first time (issue 14's benchmark).

Revision ID: 0014_visits_day
Revises: 0013_blob_file
Create Date: 2026-12-07 20:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_visits_day"
down_revision = "0013_blob_file"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visits_day",
            ["status", "planned_start", "client_id"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_day")
