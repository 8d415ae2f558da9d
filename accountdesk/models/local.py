"""Device-local tables: never synced as rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, HLCType, Id, utcnow


class OutboxEntry(Base):
    """One local change waiting to be pushed (DESIGN.md §5). Written in the same transaction as
    the change itself, so it survives crashes. ``fields`` holds the new values of the changed
    fields, ``old_values`` the values before (the device's own field history until pushed)."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(Id, index=True)
    client_id: Mapped[str | None] = mapped_column(Id, index=True)
    op: Mapped[str] = mapped_column(String(8))  # create | update | delete
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    old_values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hlc: Mapped[str] = mapped_column(HLCType, index=True)  # max() at start-up continues the clock
    base_seq: Mapped[int | None] = mapped_column()
    schema_version: Mapped[int] = mapped_column()
    user_id: Mapped[str | None] = mapped_column(Id)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    batch_id: Mapped[str | None] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | rejected
    reject_reason: Mapped[str | None] = mapped_column(Text)


class Meta(Base):
    """Key/value settings of this store: device id, current user, last clock, sync cursor."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
