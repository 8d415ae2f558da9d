"""The sequence counter (every write takes its numbers here) and what makes a push start again."""

from __future__ import annotations

from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.exc import DBAPIError

from .. import tables as t


def lock_counter(conn: Connection) -> int:
    """Take the counter row lock (held until commit) and return the last sequence handed out."""
    return int(
        conn.execute(select(t.counter.c.seq).where(t.counter.c.id == 1).with_for_update()).scalar_one()
    )


def store_counter(conn: Connection, seq: int) -> None:
    conn.execute(update(t.counter).where(t.counter.c.id == 1).values(seq=seq))


def take_numbers(conn: Connection, used: int) -> int:
    """Lock the counter row (held until commit) and take ``used`` sequence numbers; returns the
    last number handed out before them (the first taken is that + 1). Every writer calls this
    last, just before writing with the numbers and committing: numbers commit in order, so a
    pull cursor can never pass a commit still in flight (docs/architecture.md, "Sync")."""
    if conn.dialect.name == "postgresql":
        return int(
            conn.execute(
                text("UPDATE srv_counter SET seq = seq + :used WHERE id = 1 RETURNING seq - :used"),
                {"used": used},
            ).scalar_one()
        )
    last = lock_counter(conn)
    store_counter(conn, last + used)
    return last


def current_seq(conn: Connection) -> int:
    return int(conn.execute(select(t.counter.c.seq).where(t.counter.c.id == 1)).scalar_one())


_SEQ_AND_HORIZON = select(t.counter.c.seq, select(func.max(t.purges.c.horizon)).scalar_subquery()).where(
    t.counter.c.id == 1
)


def seq_and_horizon(conn: Connection) -> tuple[int, int]:
    """:func:`current_seq` and :func:`purge_horizon` in one query (every pull needs both)."""
    seq, purged = conn.execute(_SEQ_AND_HORIZON).one()
    return int(seq), int(purged or 0)


#: PostgreSQL errors after which a push starts again: unique violation (the same new row or batch
#: from a concurrent push), deadlock, serialisation failure.
COLLISIONS = frozenset({"23505", "40P01", "40001"})


def is_collision(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in COLLISIONS
