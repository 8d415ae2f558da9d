"""attachment files (issue 18): srv_blobs (who uploaded each blob, for quotas and the purge) and
an index of attachment records by the hash of their file (a download checks who may have it)

Revision ID: 0006_files
Revises: 0005_notify
Create Date: 2026-12-07 13:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_files'
down_revision = '0005_notify'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('srv_blobs',
    sa.Column('sha256', sa.String(64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('uploaded_by', sa.String(36), nullable=False),
    sa.Column('created_at', TS, nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_srv_blobs')),
    )
    op.create_index('ix_srv_blobs_uploaded_by', 'srv_blobs', ['uploaded_by'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("CREATE INDEX ix_srv_records_attachment_sha ON srv_records ((data->>'sha256')) "
                   "WHERE entity = 'attachment'")
    else:
        op.execute("CREATE INDEX ix_srv_records_attachment_sha ON srv_records (json_extract(data, '$.sha256')) "
                   "WHERE entity = 'attachment'")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_srv_records_attachment_sha")
    op.drop_index('ix_srv_blobs_uploaded_by', table_name='srv_blobs')
    op.drop_table('srv_blobs')
