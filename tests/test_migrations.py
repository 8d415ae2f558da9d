"""Migrations of the local store: a fresh file, an upgrade that keeps the data, a failed upgrade
that keeps the old file usable."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from accountdesk.paths import backups_dir, database_path
from accountdesk.services import clients
from accountdesk.services.context import open_profile
from accountdesk.store import Store
from accountdesk.store import migrate as M

FIRST = "0001"


def revision_of(path: Path) -> str | None:
    return M.current_revision(path)


def client_names(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        names = [
            r[0] for r in conn.execute("SELECT name FROM clients WHERE deleted_at IS NULL ORDER BY name")
        ]
    conn.close()
    return names


def test_the_tree_has_a_single_head_and_starts_at_0001():
    script = ScriptDirectory.from_config(M.alembic_config())
    assert len(script.get_heads()) == 1
    assert [r.revision for r in script.walk_revisions()][-1] == FIRST


def test_the_quick_start_check_reads_the_same_head_as_alembic(tmp_path, monkeypatch):
    """At every start a store already at the head opens without loading Alembic: the head read
    from the files' revision lines is Alembic's own, and a store behind it still goes the slow way."""
    assert M.quick_head() == M.head_revision()
    store = Store(tmp_path / "p")
    store.close()
    M.downgrade(store.path, FIRST)
    assert M._quick_current(store.path, None) == FIRST
    calls = []
    real = M.head_revision
    monkeypatch.setattr(M, "head_revision", lambda: calls.append(1) or real())
    report = M.migrate_store(store.path, store.data_dir)  # behind: Alembic upgrades it
    assert calls and report.from_revision == FIRST and revision_of(store.path) == real()
    calls.clear()
    report = M.migrate_store(store.path, store.data_dir)  # at the head: the quick check only
    assert not calls and report.from_revision == report.to_revision == real() and report.backup is None


def test_a_new_or_empty_file_is_brought_to_head(tmp_path):
    fresh = Store(tmp_path / "fresh")
    assert revision_of(fresh.path) == M.head_revision()
    assert fresh.migration_report.backup is None
    fresh.close()
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    database_path(empty_dir).write_bytes(b"")  # e.g. left behind by a crashed first start
    store = Store(empty_dir)
    assert revision_of(store.path) == M.head_revision()
    ctx = open_profile(empty_dir)
    assert clients.create_client(ctx, name="护航科技服务有限公司")
    ctx.close()
    store.close()


def test_upgrade_from_the_first_revision_keeps_the_data(tmp_path):
    assert M.head_revision() != FIRST  # there is something to upgrade (0002: the search index)
    data_dir = tmp_path / "old"
    data_dir.mkdir()
    path = database_path(data_dir)
    M.upgrade(path, FIRST)
    with sqlite3.connect(path) as conn:
        for i, name in enumerate(["护航科技服务有限公司", "华为技术有限公司"]):
            cid = f"00000000-0000-7000-8000-00000000000{i}"
            conn.execute(
                "INSERT INTO clients (id, client_id, name, tier, status, tags, created_at, updated_at)"
                " VALUES (?, ?, ?, 'key', 'active', '[]', '2025-01-01 00:00:00', '0000000000000001-00000-old')",
                (cid, cid, name),
            )
        conn.execute(
            "INSERT INTO contacts (id, client_id, name, is_primary, created_at, updated_at) VALUES"
            " ('00000000-0000-7000-8000-0000000000c1', '00000000-0000-7000-8000-000000000000', '张三', 1,"
            " '2025-01-01 00:00:00', '0000000000000001-00000-old')"
        )
    conn.close()

    ctx = open_profile(data_dir)
    report = ctx.store.migration_report
    assert (report.from_revision, report.to_revision) == (FIRST, M.head_revision())
    assert report.backup is not None and report.backup.exists()
    assert revision_of(path) == M.head_revision()
    cid = clients.resolve_client(ctx, "护航科技服务有限公司")
    assert clients.get_client(ctx, cid)["tier"] == "key"
    from accountdesk.services.contacts import list_contacts

    assert [c["name"] for c in list_contacts(ctx, cid)] == ["张三"]
    # rows that existed before the upgrade are found by the client list's search
    from accountdesk.services.search import list_clients_page

    assert [r.id for r in list_clients_page(ctx, search="护航", limit=None).rows] == [cid]
    # the upgraded file takes new writes
    clients.update_client(ctx, cid, city="杭州")
    ctx.close()
    assert client_names(path) == sorted(["护航科技服务有限公司", "华为技术有限公司"])
    # the backup is the file as it was before the upgrade
    assert revision_of(report.backup) == FIRST


def test_downgrade_and_upgrade_again_with_data(data_dir):
    ctx = open_profile(data_dir)
    clients.create_client(ctx, name="护航科技服务有限公司")
    ctx.close()
    path = database_path(data_dir)
    M.downgrade(path, FIRST)
    assert revision_of(path) == FIRST
    M.upgrade(path)
    assert revision_of(path) == M.head_revision()
    assert client_names(path) == ["护航科技服务有限公司"]


def test_a_failed_migration_keeps_the_old_file_usable(data_dir, tmp_path, monkeypatch):
    ctx = open_profile(data_dir)
    clients.create_client(ctx, name="护航科技服务有限公司")
    ctx.close()
    head = M.head_revision()

    broken = tmp_path / "migrations"
    shutil.copytree(M.MIGRATIONS_DIR, broken, ignore=shutil.ignore_patterns("__pycache__"))
    (broken / "versions" / "9999_broken.py").write_text(
        f'''"""a revision that fails half way"""
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE clients SET name = 'damaged'")
    op.execute("ALTER TABLE clients ADD COLUMN half_done TEXT")
    raise RuntimeError("boom in the middle of a migration")


def downgrade():
    pass
''',
        encoding="utf-8",
    )
    monkeypatch.setattr(M, "MIGRATIONS_DIR", broken)
    assert M.head_revision() == "9999"
    with pytest.raises(M.MigrationError) as info:
        Store(data_dir)
    assert "boom" in str(info.value)

    backups = list(backups_dir(data_dir).glob("before-migration-*"))
    assert len(backups) == 1 and client_names(backups[0]) == ["护航科技服务有限公司"]
    path = database_path(data_dir)
    assert revision_of(path) == head
    assert client_names(path) == ["护航科技服务有限公司"]
    with sqlite3.connect(path) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(clients)")]
    conn.close()
    assert "half_done" not in columns

    monkeypatch.undo()  # the shipped migrations again: the old file opens and works
    ctx = open_profile(data_dir)
    cid = clients.resolve_client(ctx, "护航科技服务有限公司")
    clients.update_client(ctx, cid, tier="strategic")
    assert clients.get_client(ctx, cid)["tier"] == "strategic"
    ctx.close()


def test_lookups_by_client_use_the_client_live_index_once_the_client_id_ones_are_dropped(tmp_path):
    """0015 drops the single-column client_id indexes: a lookup of a client's rows still goes by
    an index (the (client_id, deleted_at) one), not through the whole table."""
    from accountdesk.services.context import open_profile

    ctx = open_profile(tmp_path / "p")
    try:
        with ctx.store.read() as session:
            conn = session.connection()
            names = {
                r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'index'")
            }
            assert not any(n.endswith("_client_id") and n != "ix_outbox_client_id" for n in names), names
            for table in ("contacts", "visits", "service_deliveries"):
                plan = " ".join(
                    str(r[-1])
                    for r in conn.exec_driver_sql(
                        f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE client_id = 'x'"
                    )
                )
                assert f"ix_{table}_client_live" in plan, plan
    finally:
        ctx.close()
