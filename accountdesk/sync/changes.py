"""Change capture: every service write updates its row and appends to the outbox in the same
transaction (docs/architecture.md, "Sync"). This module is the only place that sets the sync columns of a row
changed on this device.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import SCHEMA_VERSION
from ..models import SYNC_COLUMNS, Meta, OutboxEntry, SyncMixin, new_id, utcnow
from .clock import HLC, HybridClock
from .codec import encode_value

#: A synced model class (create() gives back a row of the class it was given).
M = TypeVar("M", bound=SyncMixin)

META_DEVICE_ID = "device_id"
META_HLC = "hlc"
#: set by the demo generator: this profile's data is made up (it never joins a company server)
META_DEMO = "demo_data"


def get_meta(session: Session, key: str, default: Any = None) -> Any:
    row = session.get(Meta, key)
    return default if row is None else row.value


def set_meta(session: Session, key: str, value: Any) -> None:
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value


def ensure_device_id(session: Session) -> str:
    device = get_meta(session, META_DEVICE_ID)
    if not device:
        device = new_id().replace("-", "")[-16:]
        set_meta(session, META_DEVICE_ID, device)
    return str(device)


def load_clock(session: Session, node: str, wall: Callable[[], int] | None = None) -> HybridClock:
    """The device clock, continuing after the last timestamp this store has used or seen."""
    candidates = [get_meta(session, META_HLC) or ""]
    candidates.append(session.scalar(select(func.max(OutboxEntry.hlc))) or "")
    last = max(candidates)
    kwargs = {"wall": wall} if wall else {}
    return HybridClock(node, last=HLC.decode(last) if last else None, **kwargs)


class ChangeWriter:
    """Applies creates, per-field updates and deletes to rows of a session and records each in
    the outbox. It never commits: the caller's unit of work does, so row and entry go together."""

    def __init__(
        self,
        session: Session,
        clock: HybridClock,
        user_id: str | None,
        *,
        now: Callable[[], dt.datetime] = utcnow,
    ):
        self.session = session
        self.clock = clock
        self.user_id = user_id
        self.now = now

    def _entry(
        self, row: SyncMixin, op: str, fields: dict[str, Any], old: dict[str, Any], hlc: HLC
    ) -> OutboxEntry:
        entry = OutboxEntry(
            entity=row.__entity__,
            row_id=row.id,
            client_id=row.client_id,
            op=op,
            fields={k: encode_value(v) for k, v in fields.items()},
            old_values={k: encode_value(v) for k, v in old.items()},
            hlc=hlc.encode(),
            base_seq=row.server_seq,
            schema_version=SCHEMA_VERSION,
            user_id=self.user_id,
            created_at=self.now(),
        )
        self.session.add(entry)
        return entry

    def create(
        self,
        model: type[M],
        values: dict[str, Any],
        *,
        client_id: str | None = None,
        row_id: str | None = None,
    ) -> M:
        hlc = self.clock.now()
        row_id = row_id or new_id()
        if model.__entity__ == "client":
            client_id = row_id
        unknown = set(values) & SYNC_COLUMNS
        if unknown:
            raise ValueError(f"sync columns cannot be set directly: {sorted(unknown)}")
        row = model(
            id=row_id,
            client_id=client_id,
            created_at=self.now(),
            created_by=self.user_id,
            updated_at=hlc.encode(),
            updated_by=self.user_id,
            **values,
        )
        self.session.add(row)
        self.session.flush()  # fill column defaults so the entry carries every field
        fields = {
            c.key: getattr(row, c.key)
            for c in model.__table__.columns
            if c.key not in ("id", "server_seq", "updated_at", "updated_by", "deleted_at")
        }
        self._entry(row, "create", fields, {}, hlc)
        return row

    def update(self, row: SyncMixin, changes: dict[str, Any]) -> dict[str, Any]:
        """Set the fields that really change; returns ``{field: new value}`` (empty: nothing to do)."""
        bad = set(changes) & SYNC_COLUMNS
        if bad:
            raise ValueError(f"sync columns cannot be set directly: {sorted(bad)}")
        changed = {k: v for k, v in changes.items() if getattr(row, k) != v}
        if not changed:
            return {}
        old = {k: getattr(row, k) for k in changed}
        hlc = self.clock.now()
        for k, v in changed.items():
            setattr(row, k, v)
        row.updated_at = hlc.encode()
        row.updated_by = self.user_id
        self._entry(row, "update", changed, old, hlc)
        return changed

    def undelete(self, row: SyncMixin, changes: dict[str, Any]) -> dict[str, Any]:
        """Bring a tombstoned row back with ``changes`` (an edit that lost against a delete and
        is restored): one ``update`` entry clearing ``deleted_at`` and setting the fields, so
        that the server sees the row revived and edited in one step. Returns what was set."""
        bad = set(changes) & SYNC_COLUMNS
        if bad:
            raise ValueError(f"sync columns cannot be set directly: {sorted(bad)}")
        old_deleted = row.deleted_at
        hlc = self.clock.now()
        row.deleted_at = None
        for k, v in changes.items():
            setattr(row, k, v)
        row.updated_at = hlc.encode()
        row.updated_by = self.user_id
        fields = {"deleted_at": None, **changes}
        self._entry(row, "update", fields, {"deleted_at": old_deleted}, hlc)
        return fields

    def delete(self, row: SyncMixin) -> bool:
        """Tombstone a row; returns False when it was already deleted."""
        if row.deleted_at is not None:
            return False
        hlc = self.clock.now()
        row.deleted_at = self.now()
        row.updated_at = hlc.encode()
        row.updated_by = self.user_id
        self._entry(row, "delete", {"deleted_at": row.deleted_at}, {}, hlc)
        return True
