from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class ServiceCommitment(SyncMixin, Base):
    """A written service-level commitment (SLA), e.g. on-site within 24 h, 7×24 support."""

    __tablename__ = "service_commitments"
    __entity__ = "service_commitment"

    title: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str | None] = mapped_column(
        String(50)
    )  # response_hours, onsite_hours, availability_pct, ...
    target: Mapped[float | None] = mapped_column()
    coverage: Mapped[str | None] = mapped_column(String(50))  # e.g. 7x24, 5x8
    valid_from: Mapped[dt.date | None] = mapped_column()
    valid_to: Mapped[dt.date | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)


class ServiceNote(SyncMixin, Base):
    """Tacit knowledge about serving the client; may be confidential."""

    __tablename__ = "service_notes"
    __entity__ = "service_note"
    __confidential__ = frozenset({"text"})
    __confidential_flag__ = "confidential"

    category: Mapped[str | None] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    confidential: Mapped[bool] = mapped_column(default=False)


class ServiceOffering(SyncMixin, Base):
    """The global catalogue of service products (standard or value-added)."""

    __tablename__ = "service_offerings"
    __entity__ = "service_offering"
    __global__ = True

    code: Mapped[str] = mapped_column(
        String(32), index=True
    )  # unique per live offering: the server reconciles
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)


class ClientService(SyncMixin, Base):
    """A client's subscription to an offering."""

    __tablename__ = "client_services"
    __entity__ = "client_service"
    __confidential__ = frozenset({"value_estimate"})

    offering_id: Mapped[str] = mapped_column(Id, index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    start_date: Mapped[dt.date | None] = mapped_column()
    end_date: Mapped[dt.date | None] = mapped_column()
    value_estimate: Mapped[int | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)


class ServiceDelivery(SyncMixin, Base):
    """One delivery of a subscribed service."""

    __tablename__ = "service_deliveries"
    __entity__ = "service_delivery"

    client_service_id: Mapped[str] = mapped_column(Id, index=True)
    delivered_at: Mapped[dt.datetime] = mapped_column()
    delivered_by: Mapped[str | None] = mapped_column(Id)
    notes: Mapped[str | None] = mapped_column(Text)
