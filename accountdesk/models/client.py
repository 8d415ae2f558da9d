from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class Client(SyncMixin, Base):
    """A key client. Its ``client_id`` is its own id (every row is scoped by client)."""

    __tablename__ = "clients"
    __entity__ = "client"
    __confidential__ = frozenset({"annual_fees"})
    __table_args__ = (
        Index("ix_clients_client_live", "client_id", "deleted_at"),
        # The dashboard (pyramid, clients in scope, the cadence flags' join) reads the live
        # clients from here, not from their rows (deleted_at listed: covering).
        Index(
            "ix_clients_live",
            "id",
            "tier",
            "status",
            "owner_id",
            "relationship_since",
            "annual_fees",
            "deleted_at",
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # The deleted clients (usually none), left out of whole-portfolio figures.
        Index("ix_clients_deleted", "id", sqlite_where=text("deleted_at IS NOT NULL")),
        # The ids of a person's clients from the index alone (Today's first query, migration 0017).
        Index("ix_clients_owner", "owner_id", "id"),
        Index("ix_clients_backup_owner", "backup_owner_id", "id"),
    )

    name: Mapped[str] = mapped_column(String(200), index=True)
    short_name: Mapped[str | None] = mapped_column(String(100))
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(16), default="standard")
    status: Mapped[str] = mapped_column(String(16), default="active")
    province: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(50))
    address: Mapped[str | None] = mapped_column(String(300))
    employees: Mapped[int | None] = mapped_column()
    #: Annual fees in yuan (confidential).
    annual_fees: Mapped[int | None] = mapped_column()
    #: Services (or sample submissions) per year.
    service_frequency: Mapped[int | None] = mapped_column()
    report_usage: Mapped[str | None] = mapped_column(String(300))
    deadline_demands: Mapped[str | None] = mapped_column(String(300))
    owner_id: Mapped[str | None] = mapped_column(Id)
    backup_owner_id: Mapped[str | None] = mapped_column(Id)
    relationship_since: Mapped[dt.date | None] = mapped_column()
    contract_renewal_date: Mapped[dt.date | None] = mapped_column()
    tags: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(Text)


class ClientTeamMember(SyncMixin, Base):
    """A member of a client's service team (field staff, implementation team)."""

    __tablename__ = "client_team"
    __entity__ = "client_team_member"
    __table_args__ = (
        Index("ix_client_team_client_live", "client_id", "deleted_at"),
        # The clients a person serves from the index alone (Today's first query, migration 0017).
        Index("ix_client_team_user", "user_id", "deleted_at", "client_id"),
    )

    user_id: Mapped[str] = mapped_column(Id)
    role: Mapped[str | None] = mapped_column(String(50))
