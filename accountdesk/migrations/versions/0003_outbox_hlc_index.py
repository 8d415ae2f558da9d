"""Index the outbox by clock value: opening a profile continues the device clock from max(hlc),
which scanned the whole outbox (half a million entries on a fresh 10,000-client demo profile).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:00:00
"""
from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_hlc"), ["hlc"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_hlc"))
