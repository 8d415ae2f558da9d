"""Indexes for the dashboard's period figures on a whole portfolio (issue 16 point 2).

- ``ix_visits_owner_period`` (owner, start, status, client, deleted_at): visits done against planned
  per manager are counted in owner order, each owner's visits of the period a range of the index,
  without sorting the period's ~73,000 visits (10,000 clients) by manager;
- ``ix_visits_period`` gains ``deleted_at``: SQLite (3.40) does not take a partial index as
  covering when the query names a column the index leaves out, even one its condition fixes, so
  the per-client counts ("My portfolio", a manager's scope) read every visit's row from the table
  (~74 MB at 10,000 clients) — now the index only;
- ``ix_clients_live`` (id, tier, status, owner, relationship start, fees, deleted_at) over live
  clients: the pyramid, the clients in scope and the cadence flags' join read it instead of the
  client rows; ``ix_clients_deleted`` lists the deleted clients (usually none), whose visits,
  complaints and surveys a whole-portfolio figure leaves out.

Measured with ``benchmarks/bench_dashboard.py`` (figures in the commit and issue 16's note).

Revision ID: 0016_dashboard_owner_period
Revises: 0015_drop_client_id_indexes
Create Date: 2026-12-07 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_dashboard_owner_period"
down_revision = "0015_drop_client_id_indexes"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")
PERIOD_BEFORE = ["client_id", "planned_start", "status", "owner_id"]


def upgrade() -> None:
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_visits_owner_period",
            ["owner_id", "planned_start", "status", "client_id", "deleted_at"],
            unique=False,
            sqlite_where=LIVE,
        )
        batch_op.drop_index("ix_visits_period")
        batch_op.create_index(
            "ix_visits_period", [*PERIOD_BEFORE, "deleted_at"], unique=False, sqlite_where=LIVE
        )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clients_live",
            ["id", "tier", "status", "owner_id", "relationship_since", "annual_fees", "deleted_at"],
            unique=False,
            sqlite_where=LIVE,
        )
        batch_op.create_index(
            "ix_clients_deleted", ["id"], unique=False, sqlite_where=sa.text("deleted_at IS NOT NULL")
        )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index("ix_clients_deleted")
        batch_op.drop_index("ix_clients_live")
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index("ix_visits_period")
        batch_op.create_index("ix_visits_period", PERIOD_BEFORE, unique=False, sqlite_where=LIVE)
        batch_op.drop_index("ix_visits_owner_period")
