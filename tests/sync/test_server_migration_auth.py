"""Migration 0004_auth_hardening keeps what a running server holds: devices signed in before the
upgrade stay signed in (their tokens join a sign-in each), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import httpx
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, func, insert, select, text
from sync_env import ServerProcess

from accountdesk.server import tables as t
from accountdesk.server.db import MIGRATIONS_DIR
from accountdesk.server.security import hash_password, token_hash
from accountdesk.sync import protocol as p

H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}


def _alembic(conn, target: str, *, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    (command.downgrade if down else command.upgrade)(cfg, target)


def test_tokens_issued_before_the_upgrade_keep_working(database_url, tmp_path):
    engine = create_engine(database_url)
    with engine.begin() as conn:  # a server at 0003_authority (a fresh database) with two signed-in laptops
        _alembic(conn, "0003_authority")
        now = dt.datetime.now(dt.UTC)
        conn.execute(text("INSERT INTO srv_counter (id, seq) VALUES (1, 0)"))
        conn.execute(
            text(
                "INSERT INTO srv_users (id, username, display_name, role, active, password_hash, created_at) "
                "VALUES ('u1', 'old', 'Old', 'manager', :t, :h, :now)"
            ),
            {"t": True, "h": hash_password("pw-123456"), "now": now},
        )
        for dev in ("laptop-a", "laptop-b"):
            conn.execute(
                text("INSERT INTO srv_devices (id, user_id, name, created_at) VALUES (:d, 'u1', '', :now)"),
                {"d": dev, "now": now},
            )
            for kind, ttl in (("access", 900), ("refresh", 86400)):
                conn.execute(
                    text(
                        "INSERT INTO srv_tokens (token_hash, kind, user_id, device_id, expires_at) "
                        "VALUES (:h, :k, 'u1', :d, :e)"
                    ),
                    {
                        "h": token_hash(f"{kind}-{dev}"),
                        "k": kind,
                        "d": dev,
                        "e": now + dt.timedelta(seconds=ttl),
                    },
                )
    srv = ServerProcess(database_url, tmp_path / "server.log")  # migrates to the head
    with engine.connect() as conn:
        families = conn.execute(select(t.token_families)).mappings().all()
        assert sorted(f["device_id"] for f in families) == ["laptop-a", "laptop-b"]
        assert (
            conn.execute(
                select(func.count()).select_from(t.tokens).where(t.tokens.c.family_id.is_(None))
            ).scalar_one()
            == 0
        )
    srv.start()
    try:
        pull = httpx.get(srv.url + "/v1/sync/pull", headers={**H, "Authorization": "Bearer access-laptop-a"})
        assert pull.status_code == 200
        pair = httpx.post(
            srv.url + "/v1/auth/refresh",
            headers=H,
            json={"refresh_token": "refresh-laptop-b", "device_id": "laptop-b"},
        )
        assert pair.status_code == 200
        # the sign-ins are separate: laptop B's rotation leaves laptop A alone
        assert (
            httpx.get(
                srv.url + "/v1/sync/pull", headers={**H, "Authorization": "Bearer access-laptop-a"}
            ).status_code
            == 200
        )
        assert (
            httpx.get(
                srv.url + "/v1/sync/pull", headers={**H, "Authorization": "Bearer access-laptop-b"}
            ).status_code
            == 401
        )
    finally:
        srv.stop()
        srv.db.close()
    with engine.begin() as conn:  # down and up again, with the data in the tables
        _alembic(conn, "0003_authority", down=True)
        assert conn.execute(text("SELECT count(*) FROM srv_tokens")).scalar_one() == 6
        _alembic(conn, "head")
        assert (
            conn.execute(
                select(func.count()).select_from(t.tokens).where(t.tokens.c.family_id.is_not(None))
            ).scalar_one()
            == 6
        )
        conn.execute(
            insert(t.login_locks).values(
                key="account:x",
                kind="account",
                since=dt.datetime.now(dt.UTC),
                until=dt.datetime.now(dt.UTC),
                strikes=1,
            )
        )
    engine.dispose()
