"""The local store: pragmas, units of work."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accountdesk.models import Client
from accountdesk.store import Store


def test_store_uses_wal_foreign_keys_and_a_busy_timeout(data_dir):
    store = Store(data_dir)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    store.close()


def test_a_failed_unit_of_work_leaves_nothing(data_dir):
    store = Store(data_dir)
    with pytest.raises(RuntimeError):
        with store.write() as session:
            session.add(Client(name="半途而废有限公司", client_id="x", updated_at=""))
            session.flush()
            raise RuntimeError("boom")
    with store.read() as session:
        assert session.scalars(select(Client)).all() == []
    store.close()


def test_migrations_build_exactly_the_schema_of_the_models(data_dir):
    """A model changed without its migration would only show on users' machines; catch it here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from accountdesk.models import Base

    store = Store(data_dir)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    store.close()
    # the search index tables are maintained by triggers, outside the ORM
    assert [d for d in diff if "search_" not in str(d)] == []
