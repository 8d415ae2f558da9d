"""the server decides what a device knew: registration sequence of a device, first serve of a
scope loss per device; the writer of a record's version (pulls skip a device's own writes)

Revision ID: 0003_authority
Revises: 0002
Create Date: 2026-12-07 10:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003_authority'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('srv_records', sa.Column('writer', sa.String(length=64), nullable=True))
    op.add_column('srv_devices', sa.Column('first_seq', sa.BigInteger(), nullable=True))
    op.create_table('srv_loss_seen',
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('client_id', 'user_id', 'device_id', name=op.f('pk_srv_loss_seen'))
    )


def downgrade() -> None:
    op.drop_table('srv_loss_seen')
    with op.batch_alter_table('srv_devices') as batch:
        batch.drop_column('first_seq')
    with op.batch_alter_table('srv_records') as batch:
        batch.drop_column('writer')
