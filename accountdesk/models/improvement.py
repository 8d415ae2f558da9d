from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class ImprovementPlan(SyncMixin, Base):
    """The yearly improvement plan of a client (made even for clients that scored high)."""

    __tablename__ = "improvement_plans"
    __entity__ = "improvement_plan"

    year: Mapped[int] = mapped_column()
    title: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)


class ImprovementItem(SyncMixin, Base):
    __tablename__ = "improvement_items"
    __entity__ = "improvement_item"
    __table_args__ = (
        Index("ix_improvement_items_client_live", "client_id", "deleted_at"),
        # The clients a user serves include those with an improvement item the user owns.
        Index("ix_improvement_items_owner", "owner_id", "client_id", sqlite_where=text("deleted_at IS NULL")),
    )

    plan_id: Mapped[str] = mapped_column(Id, index=True)
    action: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(Id)
    due_on: Mapped[dt.date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="open")
    result: Mapped[str | None] = mapped_column(Text)
