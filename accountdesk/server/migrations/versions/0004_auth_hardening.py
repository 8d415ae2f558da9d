"""auth hardening: token families (reuse ends a sign-in, absolute lifetime), login lockouts,
device keys, indexes to prune failed logins and login audit rows

Revision ID: 0004_auth_hardening
Revises: 0003_authority
Create Date: 2026-12-07 10:00:00
"""
from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from alembic import op

revision = '0004_auth_hardening'
down_revision = '0003_authority'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('srv_token_families',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('expires_at', TS, nullable=False),
    sa.Column('revoked_at', TS, nullable=True),
    sa.Column('revoked_reason', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srv_token_families'))
    )
    op.create_table('srv_login_locks',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('since', TS, nullable=False),
    sa.Column('until', TS, nullable=False),
    sa.Column('strikes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_srv_login_locks'))
    )
    op.add_column('srv_devices', sa.Column('key_hash', sa.String(length=64), nullable=True))
    op.add_column('srv_tokens', sa.Column('family_id', sa.String(length=36), nullable=True))
    # the tokens already issued: one sign-in per user and device, starting now
    conn = op.get_bind()
    tokens = sa.table('srv_tokens', sa.column('user_id', sa.String), sa.column('device_id', sa.String),
                      sa.column('family_id', sa.String))
    families = sa.table('srv_token_families', sa.column('id', sa.String), sa.column('user_id', sa.String),
                        sa.column('device_id', sa.String), sa.column('created_at', TS), sa.column('expires_at', TS))
    now = dt.datetime.now(dt.UTC)
    for user_id, device_id in conn.execute(sa.select(tokens.c.user_id, tokens.c.device_id).distinct()).all():
        family = str(uuid.uuid4())
        conn.execute(sa.insert(families).values(id=family, user_id=user_id, device_id=device_id, created_at=now,
                                                expires_at=now + dt.timedelta(days=90)))
        conn.execute(sa.update(tokens).where(tokens.c.user_id == user_id, tokens.c.device_id == device_id)
                     .values(family_id=family))
    with op.batch_alter_table('srv_tokens') as batch:
        batch.alter_column('family_id', existing_type=sa.String(length=36), nullable=False)
        batch.create_index('ix_srv_tokens_family', ['family_id'], unique=False)
    op.create_index('ix_srv_login_failures_at', 'srv_login_failures', ['at'], unique=False)
    op.create_index('ix_srv_audit_action', 'srv_audit', ['action', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_srv_audit_action', table_name='srv_audit')
    op.drop_index('ix_srv_login_failures_at', table_name='srv_login_failures')
    with op.batch_alter_table('srv_tokens') as batch:
        batch.drop_index('ix_srv_tokens_family')
        batch.drop_column('family_id')
    with op.batch_alter_table('srv_devices') as batch:
        batch.drop_column('key_hash')
    op.drop_table('srv_login_locks')
    op.drop_table('srv_token_families')
