"""Device-local tables: never synced as rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, HLCType, Id, utcnow


class OutboxEntry(Base):
    """One local change waiting to be pushed (docs/architecture.md, "Sync"). Written in the same transaction as
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


class LocalBlob(Base):
    """The bytes of an attachment held on this device, content-addressed (SHA-256), stored in
    pieces in the profile's file of bytes beside its database (store/blobdb.py: encrypted like it,
    carried by its backups). ``have`` bytes have arrived so far (a download resumes from there);
    ``complete`` once all are here and their hash was checked. ``uploaded``: the server is known
    to hold them (nothing left to send)."""

    __tablename__ = "local_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    have: Mapped[int] = mapped_column(BigInteger, default=0)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: why the last transfer of this blob failed (shown in the attachments list), None when fine
    last_error: Mapped[str | None] = mapped_column(Text)


class OfflineChoice(Base):
    """A person's "keep offline" switch for one client's files. Without a row, a device keeps
    the files of the clients its user owns, backs up or serves, and fetches others on demand."""

    __tablename__ = "offline_choices"

    client_id: Mapped[str] = mapped_column(Id, primary_key=True)
    keep: Mapped[bool] = mapped_column(Boolean)


class Alert(Base):
    """One alert raised for this device's user (the bell's history), at most once per ``key``:
    ``escalation:<feedback>:<level>`` (a complaint's deadline nearing or passed, from this laptop's
    data or escalated to the user by the server), ``task:<id>:<due date>``,
    ``visit:<id>:<planned start>``. ``params`` holds what its text is made of (client name,
    subject, level, …), so it is written in the language shown."""

    __tablename__ = "alerts"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    user_id: Mapped[str | None] = mapped_column(Id, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # escalation | deadline | task | visit
    client_id: Mapped[str | None] = mapped_column(Id)
    entity: Mapped[str | None] = mapped_column(String(32))
    row_id: Mapped[str | None] = mapped_column(Id)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    due_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    read_at: Mapped[dt.datetime | None] = mapped_column()
