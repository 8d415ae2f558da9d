"""The declarative base, shared column types and the sync columns every syncable row carries."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from sqlalchemy import JSON, DateTime, Dialect, FromClause, Index, MetaData, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column
from uuid6 import uuid7

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    """A device-made, time-ordered UUID (v7) as text: inserts stay local in the B-tree."""
    return str(uuid7())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes stored as naive UTC; naive input is taken to be UTC already."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC)


Id = String(36)
HLCType = String(48)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
        list[Any]: JSON(),
    }


class SyncMixin:
    """Columns of every syncable row (docs/architecture.md, "Domain model").

    ``client_id`` is the scope key (a client row carries its own id); it is null only for global
    rows (users, the service catalogue). ``updated_at`` is the hybrid logical clock of the last
    change. ``deleted_at`` marks a tombstone: user actions never hard-delete. ``server_seq`` is
    device bookkeeping: the server sequence of the version this device last received (the
    ``base_seq`` of the next local edit).
    """

    #: Entity name on the wire and in the outbox (set on each model).
    __entity__: ClassVar[str]
    #: What every mapped model has (declared here so that ``type[SyncMixin]`` is typed as one).
    __tablename__: Any
    __table__: ClassVar[FromClause]
    #: Fields that only roles allowed to see confidential data may read.
    __confidential__: ClassVar[frozenset[str]] = frozenset()
    #: When set, ``__confidential__`` fields are confidential only in rows whose flag column of
    #: this name is true (a service note marked confidential); otherwise always.
    __confidential_flag__: ClassVar[str | None] = None
    #: True for rows without a client (global rows).
    __global__: ClassVar[bool] = False

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    # indexed by ``ix_<table>_client_live`` (client_id, deleted_at) below (a lone client_id index
    # would only be upkeep: migration 0015)
    client_id: Mapped[str | None] = mapped_column(Id)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(Id)
    updated_at: Mapped[str] = mapped_column(HLCType, default="")
    updated_by: Mapped[str | None] = mapped_column(Id)
    deleted_at: Mapped[dt.datetime | None] = mapped_column()
    server_seq: Mapped[int | None] = mapped_column()

    if TYPE_CHECKING:  # the declarative constructor every mapped model has

        def __init__(self, **kwargs: Any) -> None: ...

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Index, ...]:  # noqa: N805 - SQLAlchemy's declared_attr convention
        return (Index(f"ix_{cls.__tablename__}_client_live", "client_id", "deleted_at"),)


#: Columns managed by the sync machinery, never set through a service's field updates.
SYNC_COLUMNS = frozenset(
    {"id", "client_id", "created_at", "created_by", "updated_at", "updated_by", "deleted_at", "server_seq"}
)
#: Sync columns that do travel on the wire (``server_seq`` is local bookkeeping).
WIRE_SYNC_COLUMNS = frozenset(
    {"client_id", "created_at", "created_by", "updated_at", "updated_by", "deleted_at"}
)


_T = TypeVar("_T")


def per_model(fn: Callable[[type[SyncMixin]], _T]) -> Callable[[type[SyncMixin]], _T]:
    """``functools.cache`` for a function of a model class, typed as the function it wraps.

    (A class is hashable, but mypy checks ``type[X]`` against ``Hashable`` with ``X.__hash__``
    taken as the class's own method, and refuses ``functools.cache``'s wrapper a model class.)"""
    return cast(Callable[[type[SyncMixin]], _T], functools.cache(fn))


def confidential_fields(model: type[SyncMixin], values: dict[str, Any]) -> frozenset[str]:
    """The fields of one row (given as a mapping of its values) that are confidential."""
    flag = model.__confidential_flag__
    if flag is not None and not values.get(flag):
        return frozenset()
    return model.__confidential__
