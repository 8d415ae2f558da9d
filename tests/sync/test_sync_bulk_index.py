"""A large pull writes its rows without keeping the search index row by row and rebuilds the
index in one pass at the end; cancelled or crashed half-way, the index is still whole and the
next sync resumes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sync_env import PASSWORD, Device

from accountdesk.services import clients
from accountdesk.services.search import search
from accountdesk.store import search as index

NAMES = [f"护航科技{i:02d}" for i in range(12)] + [f"Harbour Trading {i:02d}" for i in range(12)]


def _suspended(dev) -> bool:
    with dev.ctx.read() as session:
        return index.suspended(session.connection())


def _indexes(conn) -> set[str]:
    """The secondary indexes of the store (a DB-API or SQLAlchemy connection)."""
    exec_ = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    return {r[0] for r in exec_("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def _dev_indexes(dev) -> set[str]:
    with dev.ctx.read() as session:
        return _indexes(session.connection())


def _found(dev, text: str) -> set[str]:
    return {h.client_name for h in search(dev.ctx, text, limit=100) if h.entity == "client"}


@pytest.fixture
def portfolio(server, make_device):
    server.add_user("alice", "manager")
    server.add_user("boss", "supervisor")
    alice = make_device("alice")
    alice.sync()
    for name in NAMES:
        clients.create_client(alice.ctx, name=name)
    alice.sync()
    return alice


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_large_pull_rebuilds_the_index_at_the_end(portfolio, make_device):
    boss = make_device("boss")
    whole = _dev_indexes(boss)
    assert "ix_visits_client_live" in whole
    boss.engine.page_size, boss.engine.bulk_rows = 5, 1
    during, indexes_during = [], []

    def progress(phase, done, total):
        if phase == "pull":
            during.append(_suspended(boss))
            indexes_during.append(_dev_indexes(boss))

    boss.sync(progress=progress)
    assert during and during[0]  # written without the row-by-row index
    # nor the secondary indexes of the synced tables (built once at the end); unique ones stay
    assert "ix_visits_client_live" not in indexes_during[0]
    assert not _suspended(boss)
    assert _dev_indexes(boss) == whole
    assert _found(boss, "hhkj") == {n for n in NAMES if n.startswith("护航")}  # pinyin initials
    assert len(_found(boss, "harbour")) == 12
    # the index is kept row by row again
    cid = clients.create_client(boss.ctx, name="鲸鱼物流")
    assert _found(boss, "jywl") == {"鲸鱼物流"}
    clients.update_client(boss.ctx, cid, name="海豚物流")
    assert _found(boss, "jywl") == set() and _found(boss, "htwl") == {"海豚物流"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_small_pull_keeps_the_index_row_by_row(portfolio, make_device):
    boss = make_device("boss")
    boss.engine.page_size = 5  # 24 clients and a few users: below the default bulk size
    during = []
    boss.sync(
        progress=lambda phase, done, total: during.append(_suspended(boss)) if phase == "pull" else None
    )
    assert during and not any(during)
    assert len(_found(boss, "hhkj")) == 12


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("grouped", [False, True], ids=["a transaction per page", "pages grouped"])
def test_cancelled_large_pull_leaves_a_whole_index_and_resumes(portfolio, make_device, monkeypatch, grouped):
    from accountdesk.sync import client as sync_client

    boss = make_device("boss")
    boss.engine.page_size, boss.engine.bulk_rows = 5, 1
    cancel = threading.Event()
    if grouped:  # cancelled once two pages are written in the open transaction: they are kept
        apply, applied = boss.engine._apply, []

        def apply_and_cancel(session, items):
            applied.append(len(items))
            if len(applied) == 2:
                cancel.set()
            return apply(session, items)

        monkeypatch.setattr(boss.engine, "_apply", apply_and_cancel)
    else:  # each page its own transaction; cancelled once the first is committed
        monkeypatch.setattr(sync_client.pull, "GROUP_ROWS", 1)

    def progress(phase, done, total):
        if phase == "pull" and done and not grouped:
            cancel.set()

    first = boss.sync(progress=progress, cancel=cancel)
    assert first.cancelled and 0 < first.pulled < len(NAMES)
    if grouped:
        assert first.pulled == sum(applied[:2])
    with boss.ctx.read() as session:
        from accountdesk.sync.changes import get_meta

        assert int(get_meta(session, sync_client.META_CURSOR)) > 0  # what was committed is not pulled again
    assert not _suspended(boss)
    with boss.ctx.read() as session:
        from sqlalchemy import select

        from accountdesk.models import Client

        here = set(session.scalars(select(Client.name)).all())
    assert _found(boss, "hhkj") | _found(boss, "harbour") == here & set(NAMES)
    boss.sync()
    assert len(_found(boss, "hhkj")) == 12 and len(_found(boss, "harbour")) == 12


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_laptop_crashing_in_a_large_pull_restores_the_index_when_reopened(portfolio, make_device, server):
    boss = make_device("boss")
    whole = _dev_indexes(boss)
    boss.close()
    proc = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).with_name("bulk_crash_device.py")),
            str(boss.path),
            server.url,
            "boss",
            PASSWORD,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 9 and "first page written" in proc.stdout, proc.stdout + proc.stderr
    import sqlite3

    raw = sqlite3.connect(boss.path / "accountdesk.sqlite3")  # the file as the crash left it
    try:
        assert index.suspended(raw)
        assert "ix_visits_client_live" not in _indexes(raw)  # set aside for the load
    finally:
        raw.close()
    again = Device(boss.path, server, "boss")
    try:
        assert not _suspended(again)  # opening the store rebuilt the index
        assert _dev_indexes(again) == whole  # and put the secondary indexes back
        with again.ctx.read() as session:
            from sqlalchemy import select

            from accountdesk.models import Client

            here = set(session.scalars(select(Client.name)).all())
        assert here and _found(again, "hhkj") | _found(again, "harbour") == here & set(NAMES)
        again.engine.bulk_rows = 1
        again.sync()
        assert not _suspended(again)
        assert len(_found(again, "hhkj")) == 12 and len(_found(again, "harbour")) == 12
    finally:
        again.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cursor_far_behind_gets_full_pages(portfolio, server, monkeypatch):
    from accountdesk.server import pull
    from accountdesk.server.auth import Identity
    from accountdesk.sync import protocol as p

    boss = Identity(
        user_id=server.add_user("boss2", "supervisor"), username="boss2", role="supervisor", device_id="d"
    )
    assert len(pull.pull(server.db, boss, 0, None, 5)["items"]) == 5  # close enough: what was asked
    monkeypatch.setattr(pull, "FAR_BEHIND", 10)
    monkeypatch.setattr(p, "MAX_PAGE", 20)
    page = pull.pull(server.db, boss, 0, None, 5)
    assert len(page["items"]) == 20 and page["has_more"]
    assert len(pull.pull(server.db, boss, page["target"] - 8, None, 5)["items"]) == 5  # near the target again
