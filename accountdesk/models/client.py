from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, Id, SyncMixin


class Client(SyncMixin, Base):
    """A key client. Its ``client_id`` is its own id (every row is scoped by client)."""

    __tablename__ = "clients"
    __entity__ = "client"
    __confidential__ = frozenset({"annual_fees"})

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
    owner_id: Mapped[str | None] = mapped_column(Id, index=True)
    backup_owner_id: Mapped[str | None] = mapped_column(Id, index=True)
    relationship_since: Mapped[dt.date | None] = mapped_column()
    contract_renewal_date: Mapped[dt.date | None] = mapped_column()
    tags: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str | None] = mapped_column(Text)


class ClientTeamMember(SyncMixin, Base):
    """A member of a client's service team (field staff, implementation team)."""

    __tablename__ = "client_team"
    __entity__ = "client_team_member"

    user_id: Mapped[str] = mapped_column(Id, index=True)
    role: Mapped[str | None] = mapped_column(String(50))
