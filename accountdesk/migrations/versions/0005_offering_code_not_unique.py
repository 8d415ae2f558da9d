"""A service offering's code is no longer UNIQUE in the laptop's store: two offline laptops may
create the same code, and the server reconciles them (renames the second one). A pulled row must
never fail on a laptop because of another laptop's data; the services still refuse a code that
is taken locally.

Revision ID: 0005_offering_code
Revises: 0004
Create Date: 2026-12-07 11:00:00
"""
from __future__ import annotations

from alembic import op

revision = "0005_offering_code"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("service_offerings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_service_offerings_code", type_="unique")
        batch_op.create_index("ix_service_offerings_code", ["code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("service_offerings", schema=None) as batch_op:
        batch_op.drop_index("ix_service_offerings_code")
        batch_op.create_unique_constraint("uq_service_offerings_code", ["code"])
