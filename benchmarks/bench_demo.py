"""Demo generation of 10,000 clients, beside a floor measured in the same run.

    python benchmarks/bench_demo.py [--clients 10000] [--seed 1]

- ``demo``: ``generate_demo`` into a fresh profile (every row with its outbox entry, one write
  transaction, the search index filled by its triggers), split into the CPU time spent generating
  rows in Python and in the database (per table, the search-indexed ones apart);
- ``floor``: a raw ``sqlite3`` ``executemany`` of the same number of inserts (rows + outbox
  entries) of the same average width into one plain table of a fresh file with the same pragmas
  (WAL, synchronous=NORMAL), in one transaction: what writing that many rows costs at the least.

Prints seconds (wall and CPU), rows/s and inserts/s of each and the ratio demo / floor. On a
machine shared with other work, compare CPU seconds: wall time then mostly measures the wait for
a core. ``--without-search-index`` drops the search index's insert triggers first, to show their
share.
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


def drop_search_triggers(ctx) -> list[str]:
    """Drop the search index's insert triggers (for --without-search-index); returns their names."""
    with ctx.store.engine.begin() as conn:
        names = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search_%_ai' AND name != 'search_rows_ai'"
            )
        ]
        for name in names:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
    return names


def run_demo(
    folder: Path, clients: int, seed: int, *, without_search: bool = False
) -> tuple[object, float, float, Counter, float]:
    """Returns (summary, wall seconds, CPU seconds, database seconds per table, average bytes per insert)."""
    spent: Counter = Counter()
    ctx = open_profile(folder)
    if without_search:
        print(f"(without the search index: dropped {', '.join(drop_search_triggers(ctx)) or 'no triggers'})")
    try:
        cpu = time.process_time()
        started = time.perf_counter()
        summary = generate_demo(
            ctx, clients=clients, seed=seed, reference=dt.date(2026, 3, 16), timings=spent
        )
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu
        width = payload_bytes(ctx) / max(1, summary.rows + summary.outbox_entries)
    finally:
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
    parser.add_argument(
        "--without-search-index",
        action="store_true",
        help="drop the search index's insert triggers first, to see what they cost",
    )
    args = parser.parse_args(argv)
    set_language("en")
    with tempfile.TemporaryDirectory() as tmp:
        summary, seconds, cpu, spent, width = run_demo(
            Path(tmp) / "profile", args.clients, args.seed, without_search=args.without_search_index
        )
        inserts = summary.rows + summary.outbox_entries
        floor, floor_cpu = run_floor(Path(tmp) / "floor.sqlite3", inserts, int(width))
    db = sum(spent.values())
    indexed = sum(spent[e] for e in SEARCH_INDEXED)
    print(
        f"demo generation: {summary.clients} clients, {summary.rows} rows + {summary.outbox_entries} outbox entries"
    )
    print(
        f"  demo   {seconds:8.2f} s (CPU {cpu:6.2f} s)   {summary.rows / seconds:8.0f} rows/s   {inserts / seconds:8.0f} inserts/s"
    )
    print(
        f"  floor  {floor:8.2f} s (CPU {floor_cpu:6.2f} s)   {'':8s}         {inserts / floor:8.0f} inserts/s"
        f"   (raw executemany of {inserts} rows of {int(width)} bytes)"
    )
    print(f"  ratio  {seconds / floor:8.1f}x the floor (CPU: {cpu / floor_cpu:.1f}x)")
    print("breakdown (CPU seconds; on a busy machine wall time is mostly waiting for a core):")
    print(f"  generating rows in Python        {cpu - db:8.2f} s")
    print(
        f"  database, search-indexed tables  {indexed:8.2f} s   ({', '.join(f'{e} {spent[e]:.2f}' for e in SEARCH_INDEXED)})"
    )
    outbox = sum(v for k, v in spent.items() if k.startswith("outbox:"))
    print(f"  database, outbox entries         {outbox:8.2f} s")
    print(f"  database, other tables           {db - indexed - outbox:8.2f} s")
    top = ", ".join(f"{k}={v}" for k, v in sorted(summary.counts.items(), key=lambda kv: -kv[1])[:8])
    print(f"rows by entity (largest): {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
