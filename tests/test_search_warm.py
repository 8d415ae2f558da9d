"""The search index read once into the page cache (services.search.warm_index): every search
table and index is read, on the connection the next query gets (the store's pool hands back the
last connection returned), with a page cache that holds the index for an encrypted profile; the
results of a search are unchanged; a cancelled warm-up stops."""

from __future__ import annotations

from pathlib import Path

import pytest
from crypto_env import copy_profile, make_demo_profile, mark_company

from accountdesk.paths import database_path
from accountdesk.services import search as S
from accountdesk.services.context import open_profile
from accountdesk.store import crypto
from accountdesk.store.engine import create_sqlite_engine
from accountdesk.store.search.warm import ENCRYPTED_CACHE_KIB, WARM_TABLES, warm_search

PASS = "warm passphrase 预热"


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return make_demo_profile(tmp_path_factory.mktemp("warm") / "profile", clients=30)


def cache_size_of_next_read(ctx) -> int:
    with ctx.read() as session:
        return int(session.connection().exec_driver_sql("PRAGMA cache_size").scalar())


def statements_expected(db: Path, key: bytes | None) -> int:
    """Each warmed table once, and each of its indexes without a WHERE (partial ones are skipped)."""
    conn = crypto.connect(db, key)
    try:
        n = 0
        for table in WARM_TABLES:
            if conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
            ).fetchone():
                n += 1
                n += conn.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
                    " AND (sql IS NULL OR sql NOT LIKE '% WHERE %')",
                    (table,),
                ).fetchone()[0]
        return n
    finally:
        conn.close()


def test_an_encrypted_profile_warms_every_search_table_on_the_connection_searches_get_next(
    tmp_path, template, no_keyring
):
    path = copy_profile(template, tmp_path / "company")
    mark_company(database_path(path))
    crypto.set_passphrase_provider(lambda _r, _c: PASS)
    ctx = open_profile(path)
    try:
        assert ctx.store.encrypted
        before = [(h.entity, h.row_id) for h in S.search(ctx, "hx")] + [
            (h.entity, h.row_id) for h in S.search(ctx, "138")
        ]
        assert cache_size_of_next_read(ctx) == -32000  # the engine's default page cache
        ran = S.warm_index(ctx)
        assert ran == statements_expected(database_path(path), ctx.store.protection.key)
        assert ran > len(WARM_TABLES)  # the tables and some of their indexes
        # the warmed connection, with its larger page cache, is the one the next query gets
        assert cache_size_of_next_read(ctx) == -ENCRYPTED_CACHE_KIB
        after = [(h.entity, h.row_id) for h in S.search(ctx, "hx")] + [
            (h.entity, h.row_id) for h in S.search(ctx, "138")
        ]
        assert after == before and before
    finally:
        ctx.close()


def test_a_plaintext_profile_is_warmed_only_on_request_and_without_a_larger_cache(
    tmp_path, template, monkeypatch
):
    monkeypatch.setenv("ACCOUNTDESK_PLAIN_STORE", "1")
    path = copy_profile(template, tmp_path / "plain")
    ctx = open_profile(path)
    try:
        assert not ctx.store.encrypted
        assert S.warm_index(ctx) == 0  # the app's call: its pages come from the OS file cache
        assert S.warm_index(ctx, plaintext_too=True) == statements_expected(database_path(path), None)
        assert cache_size_of_next_read(ctx) == -32000
    finally:
        ctx.close()


def test_a_cancelled_warm_up_stops_and_leaves_no_transaction(tmp_path, template):
    db = database_path(copy_profile(template, tmp_path / "p"))
    engine = create_sqlite_engine(db)
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert warm_search(raw, cancelled=lambda: True) == 0
            calls = iter([False, True])
            assert warm_search(raw, cancelled=lambda: next(calls)) >= 1  # the first table only
            assert not raw.in_transaction
    finally:
        engine.dispose()
