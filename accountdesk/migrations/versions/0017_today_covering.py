"""Covering indexes for the Today page's first query (issue 14's benchmark): it now narrows the
clients with an open complaint, a visit planned today or a task due to those the user owns, backs
up, serves or is assigned such an item on — by client ids read from indexes alone — before it reads
any client's row (at 10,000 clients it read ~740 pages of ~700 clients' rows first, which an
encrypted profile decrypts, for a supervisor who serves none of them: now ~40).

- ``ix_clients_owner`` (owner, id) and ``ix_clients_backup_owner`` (backup owner, id) replace the
  single-column ``ix_clients_owner_id`` / ``ix_clients_backup_owner_id`` (their prefix);
- ``ix_client_team_user`` (user, deleted_at, client) replaces ``ix_client_team_user_id``;
- ``ix_feedback_handler_open`` (handler, status, deadline, client, deleted_at) over live complaints:
  the complaints a person handles (``ix_feedback_handler_id`` would read each complaint's row).

Revision ID: 0017_today_covering
Revises: 0016_dashboard_owner_period
Create Date: 2026-12-08 00:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_today_covering"
down_revision = "0016_dashboard_owner_period"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index("ix_clients_owner_id")
        batch_op.drop_index("ix_clients_backup_owner_id")
        batch_op.create_index("ix_clients_owner", ["owner_id", "id"], unique=False)
        batch_op.create_index("ix_clients_backup_owner", ["backup_owner_id", "id"], unique=False)
    with op.batch_alter_table("client_team", schema=None) as batch_op:
        batch_op.drop_index("ix_client_team_user_id")
        batch_op.create_index("ix_client_team_user", ["user_id", "deleted_at", "client_id"], unique=False)
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_handler_open",
            ["handler_id", "status", "due_at", "client_id", "deleted_at"],
            unique=False,
            sqlite_where=sa.text("deleted_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_handler_open")
    with op.batch_alter_table("client_team", schema=None) as batch_op:
        batch_op.drop_index("ix_client_team_user")
        batch_op.create_index("ix_client_team_user_id", ["user_id"], unique=False)
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_index("ix_clients_backup_owner")
        batch_op.drop_index("ix_clients_owner")
        batch_op.create_index("ix_clients_backup_owner_id", ["backup_owner_id"], unique=False)
        batch_op.create_index("ix_clients_owner_id", ["owner_id"], unique=False)
