"""The server migration of the farewell (``0007_farewell``) keeps the devices and their
revocations, starts every farewell open, and goes down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text
from sync_env import create_pg_database, drop_pg_database

from accountdesk.server.db import MIGRATIONS_DIR, Database


def _config(conn) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    return cfg


def _columns(conn) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns("srv_devices")}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_farewell_migration_keeps_devices_and_goes_down_and_up(backend, tmp_path):
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}" if backend == "sqlite" else create_pg_database()
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            command.upgrade(_config(conn), "0006_files")
        now = dt.datetime.now(dt.UTC)
        with db.engine.begin() as conn:
            assert "farewell_at" not in _columns(conn)
            conn.execute(
                text(
                    "INSERT INTO srv_devices (id, user_id, name, created_at, revoked_at) "
                    "VALUES ('d1', 'u1', '刘海涛的笔记本', :now, :now), ('d2', 'u2', '', :now, NULL)"
                ),
                {"now": now},
            )
        with db.engine.begin() as conn:
            command.upgrade(_config(conn), "head")
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, name, revoked_at IS NOT NULL, farewell_at FROM srv_devices ORDER BY id")
            ).all()
            assert [tuple(r) for r in rows] == [("d1", "刘海涛的笔记本", True, None), ("d2", "", False, None)]
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE srv_devices SET farewell_at = :now WHERE id = 'd1'"), {"now": now})
            command.downgrade(_config(conn), "0006_files")
        with db.engine.connect() as conn:
            assert "farewell_at" not in _columns(conn)
            assert conn.execute(text("SELECT count(*) FROM srv_devices")).scalar_one() == 2
        db.migrate()  # up again, as `serve` does
        with db.engine.connect() as conn:
            assert "farewell_at" in _columns(conn)
    finally:
        db.close()
        if backend == "postgres":
            drop_pg_database(url)
