from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, SyncMixin


class Equipment(SyncMixin, Base):
    """An installed instrument or machine; next service/calibration dates are derived."""

    __tablename__ = "equipment"
    __entity__ = "equipment"

    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(100))
    serial: Mapped[str | None] = mapped_column(String(100), index=True)
    category: Mapped[str | None] = mapped_column(String(50))
    location: Mapped[str | None] = mapped_column(String(200))
    last_serviced_on: Mapped[dt.date | None] = mapped_column()
    service_interval_months: Mapped[int | None] = mapped_column()
    last_calibrated_on: Mapped[dt.date | None] = mapped_column()
    calibration_interval_months: Mapped[int | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="in_service")
    notes: Mapped[str | None] = mapped_column(Text)
