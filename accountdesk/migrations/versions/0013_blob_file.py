"""The bytes of attachments leave the database: table ``blob_chunks`` is dropped. Its pieces are
in the profile's file of bytes beside it (``accountdesk-blobs.sqlite3``, 64 KB pages, keyed like
the database: store/blobdb.py), where store/migrate.py moved them before this revision runs
(committed there first, so that a stop at any point loses nothing). A database that still holds
pieces here (an upgrade run without that move) is refused rather than emptied.

Revision ID: 0013_blob_file
Revises: 0012_dashboard_covering
Create Date: 2026-12-07 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_blob_file"
down_revision = "0012_dashboard_covering"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.exec_driver_sql("SELECT 1 FROM blob_chunks LIMIT 1").first() is not None:
        raise RuntimeError(
            "blob_chunks still holds attachment bytes: they must be moved to the file of bytes first "
            "(store/migrate.py: move_pieces)"
        )
    op.drop_table("blob_chunks")


def downgrade() -> None:
    # (the bytes stay in the file of bytes; an older version finds its table empty)
    op.create_table(
        "blob_chunks",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "idx", name=op.f("pk_blob_chunks")),
    )
