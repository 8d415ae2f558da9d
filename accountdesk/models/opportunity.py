from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, SyncMixin


class Opportunity(SyncMixin, Base):
    """A need found during a visit; its value is confidential."""

    __tablename__ = "opportunities"
    __entity__ = "opportunity"
    __confidential__ = frozenset({"estimated_value"})

    title: Mapped[str] = mapped_column(String(200))
    estimated_value: Mapped[int | None] = mapped_column()
    stage: Mapped[str] = mapped_column(String(16), default="identified")
    expected_on: Mapped[dt.date | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
