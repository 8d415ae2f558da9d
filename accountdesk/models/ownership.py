from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class OwnershipChange(SyncMixin, Base):
    """One change of a client's owner or backup owner (the ownership history)."""

    __tablename__ = "ownership_changes"
    __entity__ = "ownership_change"

    kind: Mapped[str] = mapped_column(String(16), default="owner")
    from_user_id: Mapped[str | None] = mapped_column(Id)
    to_user_id: Mapped[str | None] = mapped_column(Id)
    by_user_id: Mapped[str | None] = mapped_column(Id)
    at: Mapped[dt.datetime] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    handover_id: Mapped[str | None] = mapped_column(Id)


class Handover(SyncMixin, Base):
    """A handover of a client from one manager to another, with its checklist.

    ``checklist`` is a list of ``{"key", "label", "done", "detail"}`` items (open feedback,
    upcoming visits, open improvement items, key contacts, ...).
    """

    __tablename__ = "handovers"
    __entity__ = "handover"

    from_user_id: Mapped[str | None] = mapped_column(Id)
    to_user_id: Mapped[str] = mapped_column(Id)
    by_user_id: Mapped[str | None] = mapped_column(Id)
    at: Mapped[dt.datetime] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
    checklist: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
