"""The search index built in one pass (store/search/bulk.py) is the index the triggers keep:
the same rows, ids and documents, the same tokens in both full-text indexes — whether the
documents are computed in this process, in the helper process, or in this one after the helper
died; and the statements handed to it for meanwhile (the indexes a bulk pull set aside) are run."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor

import pytest

from accountdesk.services import clients, records
from accountdesk.services import search as S
from accountdesk.services.demo.service import generate_demo
from accountdesk.store import bulk_indexes
from accountdesk.store import search as index
from accountdesk.store.search import bulk


def _snapshot(ctx) -> dict[str, list[tuple]]:
    """Everything the index holds: its rows and the tokens of both FTS tables."""
    with ctx.store.read() as session:
        conn = session.connection()
        out = {
            "rows": [
                tuple(r)
                for r in conn.exec_driver_sql(
                    "SELECT entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential "
                    "FROM search_rows ORDER BY row_id"
                )
            ]
        }
        for table in ("search_bi", "search_tri"):
            conn.exec_driver_sql(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_{table} USING fts5vocab(main, {table}, row)"
            )
            out[table] = [
                tuple(r)
                for r in conn.exec_driver_sql(f"SELECT term, doc, cnt FROM temp.v_{table} ORDER BY term")
            ]
            conn.exec_driver_sql(f"DROP TABLE temp.v_{table}")
            # and which rows each of some tokens finds (the rowids of both FTS tables line up)
            for term, _doc, _cnt in out[table][::50]:
                found = conn.exec_driver_sql(
                    f"SELECT s.row_id FROM {table} JOIN search_rows AS s ON s.id = {table}.rowid "
                    f"WHERE {table} MATCH ? ORDER BY s.row_id",
                    ('"' + term.replace('"', '""') + '"',),
                )
                out[table].append((term, *(r[0] for r in found)))
    return out


@pytest.fixture
def company(ctx):
    generate_demo(ctx, clients=30, seed=3, reference=dt.date(2026, 12, 7))
    gone = clients.create_client(ctx, name="曾氏贸易有限公司", short_name="曾氏")
    records.delete_record(ctx, "client", gone)
    records.create_record(
        ctx,
        "service_note",
        {"category": "保密", "text": "只给主管看的备注 ABC-12", "confidential": True},
        client_id=clients.create_client(ctx, name="单氏 Logistics 物流"),
    )
    return ctx


def _rebuild(ctx, meanwhile=()) -> int:
    with ctx.store.write() as session:
        conn = session.connection()
        index.suspend(conn)
        bulk_indexes.set_aside(conn)
    with ctx.store.write() as session:
        conn = session.connection()
        count = index.restore(conn, meanwhile=bulk_indexes.statements(conn))
        bulk_indexes.forget(conn)
    return count


def _indexes(ctx) -> set[str]:
    with ctx.store.read() as session:
        return {
            r[0]
            for r in session.connection().exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }


@pytest.mark.parametrize("where", ["this process", "helper process", "helper died"])
def test_one_pass_build_equals_the_triggers_index(company, monkeypatch, where):
    before, indexes = _snapshot(company), _indexes(company)
    assert len(before["rows"]) > 200 and "ix_visits_client_live" in indexes
    monkeypatch.setattr(bulk, "CHUNK", 37)  # several chunks of each entity
    if where != "this process":
        monkeypatch.setattr(bulk, "PARALLEL_MIN", 1)
    if where == "helper died":

        def dead_helper():
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            with pytest.raises(BrokenExecutor):
                pool.submit(os._exit, 3).result()
            return pool

        monkeypatch.setattr(bulk, "_helper", dead_helper)
    assert _rebuild(company) == len(before["rows"])
    assert _snapshot(company) == before
    assert _indexes(company) == indexes  # the statements given for meanwhile ran
    with company.store.read() as session:
        assert not bulk_indexes.pending(session.connection())
        assert not index.suspended(session.connection())
    # and it answers queries, then is kept row by row again
    assert any(h.entity == "service_note" for h in S.search(company, "abc-12"))
    cid = clients.create_client(company, name="鲸鱼物流")
    assert ("client", cid) in {(h.entity, h.row_id) for h in S.search(company, "jywl")}
