"""the farewell of a revoked device (issue 13): srv_devices.farewell_at, when it ended (it sent
what it had not pushed, then wiped itself); tokens of kind "farewell" need no new column

Revision ID: 0007_farewell
Revises: 0006_files
Create Date: 2026-12-07 16:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_farewell'
down_revision = '0006_files'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column('srv_devices', sa.Column('farewell_at', TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('srv_devices') as batch:
        batch.drop_column('farewell_at')
