"""Demo generation of 10,000 clients, beside a floor measured in the same run.

    python benchmarks/bench_demo.py [--clients 10000] [--seed 1]

- ``demo``: ``generate_demo`` into a fresh profile (every row with its outbox entry, one write
  transaction, the search index filled by its triggers), split into the time spent generating
  rows in Python and the time spent in the database (per table, the search-indexed ones apart);
- ``floor``: a raw ``sqlite3`` ``executemany`` of the same number of inserts (rows + outbox
  entries) of the same average width into one plain table of a fresh file with the same pragmas
  (WAL, synchronous=NORMAL), in one transaction: what writing that many rows costs at the least.

Prints seconds, rows/s and inserts/s of each and the ratio demo / floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from accountdesk.i18n import set_language
from accountdesk.services import demo_bulk
from accountdesk.services.context import open_profile
from accountdesk.services.demo import generate_demo

SEARCH_INDEXED = ("client", "contact", "service_note")


def payload_bytes(ctx) -> int:
    """Bytes of all values written (rows and outbox entries), as SQLite measures text and blobs."""
    from accountdesk.models import SYNCABLE, OutboxEntry

    total = 0
    with ctx.store.engine.connect() as conn:
        for table in [m.__table__ for m in SYNCABLE] + [OutboxEntry.__table__]:
            expr = " + ".join(f"coalesce(length({c.name}), 0)" for c in table.columns)
            total += conn.exec_driver_sql(f"SELECT coalesce(sum({expr}), 0) FROM {table.name}").scalar()
    return total


def run_demo(folder: Path, clients: int, seed: int) -> tuple[object, float, float, Counter, float]:
    """Returns (summary, wall seconds, CPU seconds, database seconds per table, average bytes per insert)."""
    spent: Counter = Counter()
    original = demo_bulk.BulkWriter.flush

    def timed_flush(self) -> None:  # the same work as BulkWriter.flush, timed per table
        conn = self.session.connection()
        for buf in self._buffers.values():
            if buf.rows:
                started = time.perf_counter()
                conn.exec_driver_sql(buf.sql, buf.rows)
                spent[buf.entity] += time.perf_counter() - started
                buf.rows = []
        if self._entries:
            started = time.perf_counter()
            conn.exec_driver_sql(self._outbox_sql, self._entries)
            spent["(outbox)"] += time.perf_counter() - started
            self.entries_written += len(self._entries)
            self._entries = []

    ctx = open_profile(folder)
    demo_bulk.BulkWriter.flush = timed_flush
    try:
        cpu = time.process_time()
        started = time.perf_counter()
        summary = generate_demo(ctx, clients=clients, seed=seed, reference=dt.date(2026, 3, 16))
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        width = payload_bytes(ctx) / max(1, summary.rows + summary.outbox_entries)
    finally:
        demo_bulk.BulkWriter.flush = original
        ctx.close()
    return summary, seconds, cpu, spent, width


def run_floor(path: Path, inserts: int, width: int) -> tuple[float, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, client_id TEXT, body TEXT)")
    body = "x" * max(1, width - 72)  # two 36-character ids and the rest of the average width
    rows = [(f"{i:036d}", f"{i // 50:036d}", body) for i in range(inserts)]
    cpu = time.process_time()
    started = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    conn.close()
    return seconds, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    set_language("en")
    with tempfile.TemporaryDirectory() as tmp:
        summary, seconds, cpu, spent, width = run_demo(Path(tmp) / "profile", args.clients, args.seed)
        inserts = summary.rows + summary.outbox_entries
        floor, floor_cpu = run_floor(Path(tmp) / "floor.sqlite3", inserts, int(width))
    db = sum(spent.values())
    indexed = sum(spent[e] for e in SEARCH_INDEXED)
    print(f"demo generation: {summary.clients} clients, {summary.rows} rows + {summary.outbox_entries} outbox entries")
    print(f"  demo   {seconds:8.2f} s (CPU {cpu:6.2f} s)   {summary.rows / seconds:8.0f} rows/s   {inserts / seconds:8.0f} inserts/s")
    print(f"  floor  {floor:8.2f} s (CPU {floor_cpu:6.2f} s)   {'':8s}         {inserts / floor:8.0f} inserts/s"
          f"   (raw executemany of {inserts} rows of {int(width)} bytes)")
    print(f"  ratio  {seconds / floor:8.1f}x the floor (CPU: {cpu / floor_cpu:.1f}x)")
    print("breakdown:")
    print(f"  generating rows in Python        {seconds - db:8.2f} s")
    print(f"  database, search-indexed tables  {indexed:8.2f} s   ({', '.join(f'{e} {spent[e]:.2f}' for e in SEARCH_INDEXED)})")
    print(f"  database, outbox entries         {spent['(outbox)']:8.2f} s")
    print(f"  database, other tables           {db - indexed - spent['(outbox)']:8.2f} s")
    top = ", ".join(f"{k}={v}" for k, v in sorted(summary.counts.items(), key=lambda kv: -kv[1])[:8])
    print(f"rows by entity (largest): {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
