"""The search index built in one pass (store/search/bulk.py) is the index the triggers keep:
the same rows, ids and documents, the same tokens in both full-text indexes — in one chunk or
many, with the documents computed ahead on their thread; and the statements handed to it for
meanwhile (the indexes a bulk pull set aside) are run."""

from __future__ import annotations

import datetime as dt

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


@pytest.mark.parametrize("chunk", [37, 100_000])
def test_one_pass_build_equals_the_triggers_index(company, monkeypatch, chunk):
    before, indexes = _snapshot(company), _indexes(company)
    assert len(before["rows"]) > 200 and "ix_visits_client_live" in indexes
    monkeypatch.setattr(bulk, "CHUNK", chunk)  # several chunks of each entity, or one
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


def test_a_failure_computing_documents_fails_the_build(company, monkeypatch):
    """An error on the documents' thread is raised where the build waits for them: the
    transaction is rolled back and the index left as it was (suspended stores rebuild at open)."""
    before = _snapshot(company)

    def broken(entity, rows):
        raise RuntimeError("documents failed")

    monkeypatch.setattr(bulk, "documents", broken)
    with pytest.raises(RuntimeError, match="documents failed"):
        with company.store.write() as session:
            index.rebuild(session.connection())
    assert _snapshot(company) == before
