from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class RiskFlag(SyncMixin, Base):
    """A reason for stricter handling of a client; active until ``cleared_at``."""

    __tablename__ = "risk_flags"
    __entity__ = "risk_flag"

    kind: Mapped[str] = mapped_column(String(24))
    severity: Mapped[str] = mapped_column(String(16), default="medium")
    note: Mapped[str | None] = mapped_column(Text)
    raised_by: Mapped[str | None] = mapped_column(Id)
    raised_at: Mapped[dt.datetime] = mapped_column()
    cleared_at: Mapped[dt.datetime | None] = mapped_column()
