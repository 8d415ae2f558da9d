from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, HLCType, Id, SyncMixin


class Conflict(SyncMixin, Base):
    """A concurrent edit of the same field that lost the merge, kept so it can be restored.

    ``field`` is ``None`` for a delete-against-edit conflict (``lost_value`` then holds the
    edited fields). Syncs to both authors.
    """

    __tablename__ = "conflicts"
    __entity__ = "conflict"

    entity: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[str] = mapped_column(Id, index=True)
    field: Mapped[str | None] = mapped_column(String(64))
    kept_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    kept_by: Mapped[str | None] = mapped_column(Id)
    kept_hlc: Mapped[str | None] = mapped_column(HLCType)
    lost_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    lost_by: Mapped[str | None] = mapped_column(Id)
    lost_hlc: Mapped[str | None] = mapped_column(HLCType)
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(Id)
    resolution: Mapped[str | None] = mapped_column(String(16))  # kept | restored
