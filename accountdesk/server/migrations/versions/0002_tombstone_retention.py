"""tombstone retention: purge log with its horizon; the sequence at which a user lost a client

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('srv_purges',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('older_than_s', sa.BigInteger(), nullable=False),
    sa.Column('purged', sa.Integer(), nullable=False),
    sa.Column('horizon', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srv_purges'))
    )
    op.add_column('srv_former_scope', sa.Column('until_seq', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('srv_former_scope') as batch:
        batch.drop_column('until_seq')
    op.drop_table('srv_purges')
