"""Reading the search index once into a connection's page cache, so the first keystrokes of a
search do not wait for its pages to come from the file.

An encrypted profile (SQLCipher) decrypts and checks every page the first time a connection
reads it; warm, an encrypted search is as fast as a plaintext one (benchmarks/bench_encryption.py).
The UI runs this for an encrypted profile on the database lane once the first screen has its data;
the store's engine hands connections back last-in first-out (store/engine.py), so the lane's next
query gets the warmed connection. A plaintext profile's pages come from the OS file cache without
work, so the app does not warm it (that would only fill a 32 MB page cache); the benchmark warms
both, for a fair comparison.
"""

from __future__ import annotations

from typing import Any

#: The tables a search reads (the FTS5 shadow tables, the rows they point at, the clients, contacts
#: and notes a hit names), each with its indexes; read in this order, so that when the cache cannot
#: hold them all the pages evicted first (least recently used) are the contacts' and notes', and the
#: FTS5 index, read last, stays.
WARM_TABLES = (
    "service_notes",
    "contacts",
    "clients",
    "search_rows",
    "search_bi_idx",
    "search_bi_data",
    "search_tri_idx",
    "search_tri_data",
)

#: Page cache of the warmed connection of an encrypted profile, in KiB (PRAGMA cache_size; the
#: other connections keep store/engine.py's 32 MB). Bounded for the app's resident memory: at
#: 10,000 clients the tables above are ~70 MB, this holds the FTS5 index and the rows (+62 MB
#: resident after the warm-up, measured; +73 MB with a cache holding everything). SQLite allocates
#: it as pages are read: a small profile uses little.
ENCRYPTED_CACHE_KIB = 64_000


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def warm_search(dbapi_connection: Any, cancelled: Any = None) -> int:
    """Read every page of the search tables and their indexes on ``dbapi_connection`` (a DB-API
    connection, plain or SQLCipher); returns how many statements ran. Stops early when
    ``cancelled()`` turns true. Reads only: no transaction left open."""
    cur = dbapi_connection.cursor()
    ran = 0
    try:
        for table in WARM_TABLES:
            if cancelled is not None and cancelled():
                break
            cols = [r[1] for r in cur.execute(f"PRAGMA table_info({_q(table)})").fetchall()]
            if not cols:
                continue  # no such table (an old profile)
            # the last column: its value ends any overflow chain, so every page of the row is read
            cur.execute(f"SELECT sum(length({_q(cols[-1])})) FROM {_q(table)} NOT INDEXED").fetchone()
            ran += 1
            for (index,) in cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NULL"
                " UNION ALL SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
                " AND sql IS NOT NULL AND sql NOT LIKE '% WHERE %'",
                (table, table),
            ).fetchall():
                icols = [r[2] for r in cur.execute(f"PRAGMA index_info({_q(index)})").fetchall() if r[2]]
                if not icols:
                    continue
                cur.execute(
                    f"SELECT count({_q(icols[0])}) FROM {_q(table)} INDEXED BY {_q(index)}"
                ).fetchone()
                ran += 1
    finally:
        cur.close()
    return ran
