"""The server migration of notifications (``0005_notify``) keeps existing data, seeds the default
rules, and goes down and up again, on SQLite and PostgreSQL; the server tree has one head."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sync_env import create_pg_database, drop_pg_database

from accountdesk.server.db import MIGRATIONS_DIR, Database
from accountdesk.server.notify.rules import DEFAULT_RULES

NOTIFY_TABLES = {
    "srv_notify_channels",
    "srv_notify_rules",
    "srv_user_prefs",
    "srv_notify_outbox",
    "srv_notify_escalations",
    "srv_notify_jobs",
    "srv_calendar_feeds",
}


def _before_notify() -> str:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg).get_revision("0005_notify").down_revision


def _config(conn) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def test_the_server_tree_has_one_head():
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_notify_migration_keeps_data_and_goes_down_and_up(backend, tmp_path):
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}" if backend == "sqlite" else create_pg_database()
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            command.upgrade(_config(conn), _before_notify())
        now = dt.datetime.now(dt.UTC)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO srv_users (id, username, display_name, role, active, password_hash, created_at) "
                    "VALUES ('u1', 'li', '李', 'manager', true, 'x', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO srv_records (id, entity, client_id, seq, deleted, data, clocks, hidden) "
                    "VALUES ('c1', 'client', 'c1', 1, false, '{\"name\": \"华东精密仪器\"}', '{}', '[]')"
                )
            )
        with db.engine.begin() as conn:
            command.upgrade(_config(conn), "head")
        with db.engine.connect() as conn:
            assert NOTIFY_TABLES <= set(inspect(conn).get_table_names())
            assert conn.execute(text("SELECT username FROM srv_users")).scalars().all() == ["li"]
            assert "华东精密仪器" in str(
                conn.execute(text("SELECT data FROM srv_records WHERE id = 'c1'")).scalar_one()
            )
            rules = conn.execute(text("SELECT event, recipient FROM srv_notify_rules ORDER BY id")).all()
            assert [tuple(r) for r in rules] == list(DEFAULT_RULES)
            assert conn.execute(text("SELECT name FROM srv_notify_jobs")).scalars().all() == ["notify"]
        with db.engine.begin() as conn:
            command.downgrade(_config(conn), _before_notify())
        with db.engine.connect() as conn:
            assert not NOTIFY_TABLES & set(inspect(conn).get_table_names())
            assert conn.execute(text("SELECT count(*) FROM srv_records")).scalar_one() == 1
        db.migrate()  # up again, as `serve` does
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM srv_notify_rules")).scalar_one() == len(
                DEFAULT_RULES
            )
    finally:
        db.close()
        if backend == "postgres":
            drop_pg_database(url)
