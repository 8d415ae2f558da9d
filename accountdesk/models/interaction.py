from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, SyncMixin


class Interaction(SyncMixin, Base):
    """A call, mail, meeting or message: the timeline of the relationship."""

    __tablename__ = "interactions"
    __entity__ = "interaction"

    contact_ids: Mapped[list[str]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(16))
    formal: Mapped[bool] = mapped_column(default=False)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    summary: Mapped[str] = mapped_column(Text)
