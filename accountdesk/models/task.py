from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class Task(SyncMixin, Base):
    """A next step someone owes a client (下一步计划 → 待办任务): who, by when, and from which visit
    it came. Shown on Today and in the calendar until done; syncs like any record."""

    __tablename__ = "tasks"
    __entity__ = "task"
    __table_args__ = (
        Index("ix_tasks_client_live", "client_id", "deleted_at"),
        Index("ix_tasks_owner_status", "owner_id", "status"),
    )

    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    owner_id: Mapped[str | None] = mapped_column(Id)
    due_on: Mapped[dt.date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    done_at: Mapped[dt.datetime | None] = mapped_column()
    #: The visit whose next steps it came from.
    visit_id: Mapped[str | None] = mapped_column(Id)
