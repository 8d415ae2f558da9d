"""notifications: channels, routing rules (with the default ones), user preferences, the message
outbox and dead-letter list, announced escalations, job locks, calendar feeds

Revision ID: 0005_notify
Revises: 0004_auth_hardening
Create Date: 2026-12-07 10:00:00
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = '0005_notify'
down_revision = '0004_auth_hardening'
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), 'postgresql')
TS = sa.DateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

#: (event, recipient): the handler and the owner hear of every level, the supervisor of the
#: owner's team from level 2 ("imminent"), every supervisor once the deadline has passed; managers
#: and supervisors get the daily digest.
DEFAULT_RULES = (
    ('escalation', 'handler'), ('escalation', 'owner'), ('escalation:2', 'team-supervisor'),
    ('escalation:3', 'team-supervisor'), ('escalation:3', 'supervisors'), ('digest', 'managers'),
    ('digest', 'supervisors'),
)


def upgrade() -> None:
    op.create_table('srv_notify_channels',
    sa.Column('id', sa.String(36), nullable=False),
    sa.Column('kind', sa.String(16), nullable=False),
    sa.Column('name', sa.String(64), nullable=False),
    sa.Column('settings', Json, nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('language', sa.String(8), nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srv_notify_channels')),
    sa.UniqueConstraint('name', name=op.f('uq_srv_notify_channels_name')),
    )
    rules = op.create_table('srv_notify_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event', sa.String(32), nullable=False),
    sa.Column('recipient', sa.String(120), nullable=False),
    sa.Column('tier', sa.String(16), nullable=True),
    sa.Column('severity', sa.String(16), nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srv_notify_rules')),
    )
    op.create_table('srv_user_prefs',
    sa.Column('user_id', sa.String(36), nullable=False),
    sa.Column('language', sa.String(8), nullable=True),
    sa.Column('time_zone', sa.String(64), nullable=True),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_srv_user_prefs')),
    )
    op.create_table('srv_notify_outbox',
    sa.Column('id', BIGID, autoincrement=True, nullable=False),
    sa.Column('key', sa.String(200), nullable=False),
    sa.Column('event', sa.String(32), nullable=False),
    sa.Column('channel_id', sa.String(36), nullable=True),
    sa.Column('recipient', sa.String(120), nullable=False),
    sa.Column('address', sa.String(254), nullable=True),
    sa.Column('language', sa.String(8), nullable=False),
    sa.Column('message', Json, nullable=False),
    sa.Column('status', sa.String(12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', TS, nullable=False),
    sa.Column('claimed_until', TS, nullable=True),
    sa.Column('last_error', sa.String(300), nullable=True),
    sa.Column('created_at', TS, nullable=False),
    sa.Column('sent_at', TS, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_srv_notify_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_srv_notify_outbox_key')),
    )
    op.create_index('ix_srv_notify_outbox_due', 'srv_notify_outbox', ['status', 'next_at'])
    op.create_table('srv_notify_escalations',
    sa.Column('feedback_id', sa.String(36), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('at', TS, nullable=False),
    sa.PrimaryKeyConstraint('feedback_id', name=op.f('pk_srv_notify_escalations')),
    )
    jobs = op.create_table('srv_notify_jobs',
    sa.Column('name', sa.String(32), nullable=False),
    sa.Column('last_run', TS, nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_srv_notify_jobs')),
    )
    op.create_table('srv_calendar_feeds',
    sa.Column('user_id', sa.String(36), nullable=False),
    sa.Column('secret_hash', sa.String(64), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_srv_calendar_feeds')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_srv_calendar_feeds_secret_hash')),
    )
    now = dt.datetime.now(dt.UTC)
    op.bulk_insert(rules, [{'event': e, 'recipient': r, 'tier': None, 'severity': None, 'created_at': now}
                           for e, r in DEFAULT_RULES])
    op.bulk_insert(jobs, [{'name': 'notify', 'last_run': None}])


def downgrade() -> None:
    op.drop_table('srv_calendar_feeds')
    op.drop_table('srv_notify_jobs')
    op.drop_table('srv_notify_escalations')
    op.drop_index('ix_srv_notify_outbox_due', table_name='srv_notify_outbox')
    op.drop_table('srv_notify_outbox')
    op.drop_table('srv_user_prefs')
    op.drop_table('srv_notify_rules')
    op.drop_table('srv_notify_channels')
