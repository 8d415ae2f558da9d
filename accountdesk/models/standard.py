"""Service standards per tier (服务标准) and saved list views: global rows, synced to every laptop."""

from __future__ import annotations

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class ServiceStandard(SyncMixin, Base):
    """One cadence of a tier's service standard: visits of ``kind`` every ``every_months``
    months for every client of ``tier``. Only supervisors and admins write these. When a tier has
    no row at all, the shipped default applies (:mod:`accountdesk.domain.standards`); a row that
    is not ``active`` takes its kind out of the tier's standard."""

    __tablename__ = "service_standards"
    __entity__ = "service_standard"
    __global__ = True
    __table_args__ = (
        Index("ix_service_standards_client_live", "client_id", "deleted_at"),
        Index("ix_service_standards_tier", "tier", "deleted_at"),
    )

    tier: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(24))
    every_months: Mapped[int] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)


class SavedView(SyncMixin, Base):
    """A user's named list view (filters, columns, sort) of one list, synced with the profile.
    ``spec`` holds the view as JSON text (see :mod:`accountdesk.services.saved_views`)."""

    __tablename__ = "saved_views"
    __entity__ = "saved_view"
    __global__ = True
    __table_args__ = (
        Index("ix_saved_views_client_live", "client_id", "deleted_at"),
        Index("ix_saved_views_user", "user_id", "list_name", "deleted_at"),
    )

    user_id: Mapped[str] = mapped_column(Id)
    list_name: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    spec: Mapped[str] = mapped_column(Text, default="{}")
