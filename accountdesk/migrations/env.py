"""Alembic environment of the local store (and of any SQLite/PostgreSQL database holding the
domain tables). Batch mode on SQLite only; one transaction per migration; foreign keys off while
migrating SQLite."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from accountdesk.models import Base
from accountdesk.store.engine import create_sqlite_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url and url.startswith("sqlite:///"):
        engine = create_sqlite_engine(url.removeprefix("sqlite:///"))
    else:
        from sqlalchemy import create_engine

        engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _include_name(name, type_, parent_names) -> bool:
    """Autogenerate ignores the search index (store/search.py: plain SQL, FTS5, triggers)."""
    return not (type_ == "table" and name and name.startswith("search_"))


def _run(connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    if is_sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,
        transaction_per_migration=True,
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()
    if is_sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")


if context.is_offline_mode():  # pragma: no cover - we never generate offline SQL
    raise SystemExit("offline migrations are not supported")
run_migrations_online()
