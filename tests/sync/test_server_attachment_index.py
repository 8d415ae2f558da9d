"""Which attachment records name a file's hash is asked at every upload and download of a file
(server/files.py): the server finds them through an index over attachment records
(migration 0006), not by reading every record of the company."""

from __future__ import annotations

from sqlalchemy import text
from sync_env import _server_process, backend, database_url, server  # noqa: F401

from accountdesk.server import files


def test_attachment_records_by_hash_are_found_through_the_index(server):  # noqa: F811
    with server.db.read() as conn:
        expr = files._sha_expr(conn)
        query = (
            f"SELECT id, client_id, hidden, data FROM srv_records WHERE entity = 'attachment' "
            f"AND deleted = :no AND {expr} = :sha"
        )
        params = {"no": False, "sha": "0" * 64}
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # (a near-empty table is scanned)
            plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + query), params))
        else:
            plan = "\n".join(str(r[-1]) for r in conn.execute(text("EXPLAIN QUERY PLAN " + query), params))
        assert "ix_srv_records_attachment_sha" in plan, plan
        # the query the files module runs is that one
        assert files.attachment_records(conn, "0" * 64) == []
