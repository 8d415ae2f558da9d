"""Small helpers shared by the sync tests."""

from __future__ import annotations

from sqlalchemy import select

from accountdesk.models import Client, Conflict, OutboxEntry


class Row:
    """A detached copy of a row's column values."""

    def __init__(self, row):
        self.__dict__.update({c.key: getattr(row, c.key) for c in row.__table__.columns})


def get(dev, model, row_id):
    with dev.ctx.read() as s:
        row = s.get(model, row_id)
        return Row(row) if row is not None else None


def client(dev, client_id):
    return get(dev, Client, client_id)


def client_ids(dev) -> set[str]:
    with dev.ctx.read() as s:
        return set(s.scalars(select(Client.id).where(Client.deleted_at.is_(None))).all())


def conflicts(dev, row_id=None) -> list[Row]:
    with dev.ctx.read() as s:
        stmt = select(Conflict)
        if row_id:
            stmt = stmt.where(Conflict.row_id == row_id)
        return [Row(c) for c in s.scalars(stmt)]


def outbox(dev, status=None) -> list[Row]:
    with dev.ctx.read() as s:
        stmt = select(OutboxEntry)
        if status:
            stmt = stmt.where(OutboxEntry.status == status)
        return [Row(e) for e in s.scalars(stmt.order_by(OutboxEntry.seq))]
