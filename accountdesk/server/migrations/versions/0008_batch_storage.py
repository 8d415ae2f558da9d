"""a push's stored answer (srv_batches.result) kept out of line without compression on
PostgreSQL (issue 20): a join's batch answers a thousand items, and compressing each answer
cost PostgreSQL about as much as writing the batch's history; answers are stored as their JSON
text (server/repo/history.py). Nothing changes on SQLite.

Revision ID: 0008_batch_storage
Revises: 0007_farewell
Create Date: 2026-12-07 23:50:00
"""
from __future__ import annotations

from alembic import op

revision = '0008_batch_storage'
down_revision = '0007_farewell'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE srv_batches ALTER COLUMN result SET STORAGE EXTERNAL')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE srv_batches ALTER COLUMN result SET STORAGE EXTENDED')
