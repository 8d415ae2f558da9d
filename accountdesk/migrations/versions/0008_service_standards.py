"""Service standards per tier and saved list views (issue 16): the synced global rows
``service_standards`` and ``saved_views``, and ``visit_plans.from_standard`` (a plan made by
applying the tier's standard, as against one set by hand).

Revision ID: 0008_service_standards
Revises: 0007_tasks
Create Date: 2026-12-07 13:50:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_service_standards"
down_revision = "0007_tasks"
branch_labels = None
depends_on = None


def _sync_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("client_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("updated_at", sa.String(length=48), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.Column("deleted_at", sa.DateTime(), nullable=True),
        sa.Column("server_seq", sa.Integer(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "service_standards",
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("every_months", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        *_sync_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_standards")),
    )
    with op.batch_alter_table("service_standards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_standards_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_service_standards_client_live", ["client_id", "deleted_at"], unique=False)
        batch_op.create_index("ix_service_standards_tier", ["tier", "deleted_at"], unique=False)
    op.create_table(
        "saved_views",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("list_name", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        *_sync_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
    )
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_views_client_id"), ["client_id"], unique=False)
        batch_op.create_index("ix_saved_views_client_live", ["client_id", "deleted_at"], unique=False)
        batch_op.create_index("ix_saved_views_user", ["user_id", "list_name", "deleted_at"], unique=False)
    with op.batch_alter_table("visit_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_standard", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("visit_plans", schema=None) as batch_op:
        batch_op.drop_column("from_standard")
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_views_user")
        batch_op.drop_index("ix_saved_views_client_live")
        batch_op.drop_index(batch_op.f("ix_saved_views_client_id"))
    op.drop_table("saved_views")
    with op.batch_alter_table("service_standards", schema=None) as batch_op:
        batch_op.drop_index("ix_service_standards_tier")
        batch_op.drop_index("ix_service_standards_client_live")
        batch_op.drop_index(batch_op.f("ix_service_standards_client_id"))
    op.drop_table("service_standards")
