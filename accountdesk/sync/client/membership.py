"""Joining a server, handing a local user's work to the server user, dropping demo data, and wiping a revoked
device."""

from __future__ import annotations

import orjson
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ...models import SYNCABLE, Client, Meta, OutboxEntry, User, new_id
from ..changes import META_DEMO, get_meta, set_meta
from ..codec import column_kind
from .base import (
    META_BATCHES,
    META_CURRENT_USER,
    META_CURSOR,
    META_HELD,
    META_RESNAPSHOT,
    META_SCOPE,
    META_SERVER_CONTACT,
    META_SNAPSHOT,
    META_SYNC_USER,
    META_UNLOCK_VERIFIER,
    META_USER_ALIAS,
    _now_iso,
    log,
)
from .core import EngineCore


def _hand_local_work_over(session: Session, user_id: str) -> None:
    """A profile used before it joined a server belongs to a local user (the person at the
    keyboard, see ``AppContext``). On joining, that user's work becomes the server user's: every
    reference to the local user — owners, authors, the outbox's pending changes and their
    authors — names the server user instead, and the local user, which the server does not
    know, is neither kept nor pushed. (Before, the clients kept an owner no other laptop knew,
    and the server refused the local user's row.) Ids are UUIDs, so an exact match is one."""
    local = get_meta(session, META_CURRENT_USER)
    if not local or local == user_id:
        return
    row = session.get(User, local)
    if row is None or row.server_seq is not None:  # a user that came from a server is not local
        return
    _replace_user(session, local, user_id)


def _replace_user(session: Session, local: str, user_id: str) -> None:
    """Every reference to user ``local`` (owners, authors, the outbox's changes) names ``user_id``
    instead, and ``local`` is neither kept nor pushed."""
    conn = session.connection()
    quoted_old, quoted_new = orjson.dumps(local).decode(), orjson.dumps(user_id).decode()
    for model in SYNCABLE:
        for col in model.__table__.columns:
            kind = column_kind(model, col.key)
            assign = f'UPDATE "{model.__tablename__}" SET "{col.name}" ='
            if kind == "str" and col.key != "id" and col.key.endswith(("_id", "_by")):
                conn.exec_driver_sql(f'{assign} ? WHERE "{col.name}" = ?', (user_id, local))
            elif kind == "json":
                conn.exec_driver_sql(
                    f'{assign} replace("{col.name}", ?, ?) WHERE instr("{col.name}", ?)',
                    (quoted_old, quoted_new, quoted_old),
                )
    conn.exec_driver_sql("DELETE FROM outbox WHERE row_id = ?", (local,))
    conn.exec_driver_sql("UPDATE outbox SET user_id = ? WHERE user_id = ?", (user_id, local))
    # The pending changes name the local user in their stored JSON: rather than rewrite the
    # whole outbox in one transaction (a profile of a whole company: hundreds of MB of SQLite
    # memory), the push puts the server user in as each batch is sent (:data:`META_USER_ALIAS`).
    aliases = {old: user_id for old, new in _aliases(session).items()}  # an earlier user's changes too
    aliases[local] = user_id
    set_meta(session, META_USER_ALIAS, aliases)
    session.flush()  # (expire_all would drop the change)
    conn.exec_driver_sql(f'DELETE FROM "{User.__tablename__}" WHERE id = ?', (local,))
    session.expire_all()


def _aliases(session: Session) -> dict[str, str]:
    """Users whose pending changes now belong to another (old id -> new id), see
    :data:`META_USER_ALIAS`."""
    value = get_meta(session, META_USER_ALIAS)
    if isinstance(value, list) and len(value) == 2:  # the first form of the mark
        return {value[0]: value[1]}
    return dict(value or {})


def _drop_demo_data(session: Session) -> None:
    """Remove the made-up records of a demo profile (and their pending changes) before it joins
    a server; what remains is an empty profile."""
    for model in reversed(SYNCABLE):
        if model is not User:
            session.execute(delete(model))
    session.execute(delete(User).where(User.server_seq.is_(None)))  # the demo's made-up staff
    session.execute(delete(OutboxEntry))
    set_meta(session, META_BATCHES, None)
    set_meta(session, META_DEMO, None)
    session.expire_all()


def _drop_local_users(session: Session, username: str | None, keep_id: str) -> None:
    """A profile used before joining a server has a local user; the server's user replaces it."""
    if not username:
        return
    for other in session.scalars(select(User).where(User.username == username, User.id != keep_id)).all():
        session.delete(other)
    session.flush()


def _has_company_data(session: Session) -> bool:
    return session.scalar(select(Client.id).where(Client.server_seq.is_not(None)).limit(1)) is not None


class MembershipMixin(EngineCore):
    """The part of :class:`SyncEngine` that does this job (see the module docstring)."""

    def _wipe(self) -> None:
        """Remove the company's data from this store (a revoked device): its rows, the bytes of its
        attachments, the backups kept in the profile folder (pre-migration and pre-rejoin ones,
        overwritten before removal), and the freed pages (VACUUM: nothing left to carve out).
        The file of bytes is emptied first (store/blobdb.py): a stop in between leaves the rows,
        and the wipe runs again."""
        from ...models import LocalBlob

        self.store.blobdb.clear()
        with self.store.write() as session:
            for model in reversed(SYNCABLE):
                session.execute(delete(model))
            session.execute(delete(LocalBlob))
            session.execute(delete(OutboxEntry))
            session.execute(
                delete(Meta).where(
                    Meta.key.in_(
                        [
                            META_CURSOR,
                            META_SCOPE,
                            META_SNAPSHOT,
                            META_RESNAPSHOT,
                            META_HELD,
                            META_BATCHES,
                            META_SYNC_USER,
                            META_CURRENT_USER,
                            META_USER_ALIAS,
                            META_UNLOCK_VERIFIER,
                            META_SERVER_CONTACT,
                        ]
                    )
                )
            )
            set_meta(session, "device_id", new_id().replace("-", "")[-16:])
            set_meta(session, "wiped_at", _now_iso())
        self.store.remove_backups()
        self.store.vacuum()
        self.credentials.forget()
        log.warning("device revoked: local company data wiped")
