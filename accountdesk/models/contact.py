from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class Contact(SyncMixin, Base):
    """A person at the client. ``reports_to_id`` draws the org chart / relationship map."""

    __tablename__ = "contacts"
    __entity__ = "contact"

    name: Mapped[str] = mapped_column(String(100), index=True)
    title: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100))
    buying_role: Mapped[str | None] = mapped_column(String(20))
    relationship_role: Mapped[str | None] = mapped_column(String(20))
    influence: Mapped[int | None] = mapped_column()  # 0..10
    attitude: Mapped[str | None] = mapped_column(String(16))
    relationship_strength: Mapped[int | None] = mapped_column()  # 0..10, how well we know them
    reports_to_id: Mapped[str | None] = mapped_column(Id)
    mobile: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    wechat: Mapped[str | None] = mapped_column(String(64))
    birthday: Mapped[dt.date | None] = mapped_column()
    preferred_channel: Mapped[str | None] = mapped_column(String(16))
    is_primary: Mapped[bool] = mapped_column(default=False)
    left_company_on: Mapped[dt.date | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
