"""Tombstone retention benchmarks against a real server process, each beside a floor measured in
the same run.

    python benchmarks/bench_retention.py [--clients 1000] [--deleted 0.02] [--sqlite]

- ``purge``: ``--deleted`` of the contacts are tombstones older than the retention; the time of
  ``retention.purge`` (find them, check their age, hard-delete them, record the horizon). Floor:
  a raw ``SELECT id ... WHERE deleted`` plus ``DELETE ... WHERE id IN (...)`` of the same rows
  (rolled back).
- ``fresh snapshot``: a supervisor laptop that synced before the deletes comes back after the
  purge: pushes its outbox (100 pending edits), takes a fresh snapshot of everything, removes
  the purged rows and catches up. Floor: the initial sync of a new laptop over the same rows
  through the same protocol, measured in this run.

PostgreSQL: ``ACCOUNTDESK_TEST_PG`` (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
a fresh database is created and dropped. ``--sqlite`` uses the embedded default instead.
"""

from __future__ import annotations

import os

os.environ["ACCOUNTDESK_ARGON2_TEST"] = "1"

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

from sqlalchemy import delete, func, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync import device, prepare, start_server, tear_down  # noqa: E402

from accountdesk.i18n import set_language  # noqa: E402
from accountdesk.models import Client, Contact  # noqa: E402
from accountdesk.server import repo, retention  # noqa: E402
from accountdesk.server import tables as t  # noqa: E402
from accountdesk.server.db import Database  # noqa: E402
from accountdesk.services import clients  # noqa: E402


def delete_on_server(db: Database, share: float) -> int:
    """Turn ``share`` of the contacts into tombstones deleted 100 days ago (as pushes would)."""
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=100)).isoformat().replace("+00:00", "Z")
    with db.write() as conn:
        ids = [r[0] for r in conn.execute(select(t.records.c.id).where(t.records.c.entity == "contact"))]
        chosen = random.Random(1).sample(ids, max(1, int(len(ids) * share)))
        seq = repo.lock_counter(conn)
        for row_id in chosen:
            seq += 1
            rec = repo.get_record(conn, row_id)
            conn.execute(
                update(t.records)
                .where(t.records.c.id == row_id)
                .values(seq=seq, deleted=True, data=dict(rec["data"], deleted_at=old))
            )
        repo.store_counter(conn, seq)
    return len(chosen)


def local_count(ctx, model) -> int:
    with ctx.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(model.deleted_at.is_(None)))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--deleted", type=float, default=0.02, help="share of contacts deleted and purged")
    parser.add_argument("--sqlite", action="store_true", help="use the embedded SQLite instead of PostgreSQL")
    args = parser.parse_args()
    set_language("en")
    workdir, url, db, drop, n_rows = prepare(args.sqlite, "bench-retention-", args.clients)
    proc = None
    try:
        proc, base = start_server(url, workdir, 1)

        old_ctx, old_engine = device(base, workdir, "old-laptop")
        old_engine.sync()  # synced before the deletes, then offline past the retention
        with old_ctx.read() as session:
            ids = session.scalars(select(Client.id).limit(100)).all()
        for i, cid in enumerate(ids):
            clients.update_client(old_ctx, cid, city=f"Offline city {i}")

        n_deleted = delete_on_server(db, args.deleted)
        start = time.perf_counter()
        with db.engine.connect() as conn:  # floor: select the tombstones and delete them, rolled back
            with conn.begin() as tx:
                dead = [
                    r[0] for r in conn.execute(select(t.records.c.id).where(t.records.c.deleted.is_(True)))
                ]
                conn.execute(delete(t.records).where(t.records.c.id.in_(dead)))
                tx.rollback()
        floor_s = time.perf_counter() - start
        start = time.perf_counter()
        result = retention.purge(db, dt.timedelta(days=90))
        purge_s = time.perf_counter() - start
        print(
            f"purge: {result['purged']} tombstones among {n_rows} rows in {purge_s * 1000:.0f} ms | floor (raw SELECT "
            f"of the tombstones + DELETE by id, rolled back): {floor_s * 1000:.0f} ms | ratio {purge_s / floor_s:.1f}x"
        )

        new_ctx, new_engine = device(base, workdir, "new-laptop")
        new_engine._authenticate()
        start = time.perf_counter()
        initial = new_engine.sync()
        initial_s = time.perf_counter() - start

        old_engine._authenticate()
        before = local_count(old_ctx, Contact)
        start = time.perf_counter()
        report = old_engine.sync()
        fresh_s = time.perf_counter() - start
        after = local_count(old_ctx, Contact)
        same = after == local_count(new_ctx, Contact) and local_count(old_ctx, Client) == local_count(
            new_ctx, Client
        )
        print(
            f"fresh snapshot: pushed {report.pushed}, {report.pulled} rows in {fresh_s:.2f} s, contacts {before} -> {after} "
            f"({before - after} purged deletes applied of {n_deleted}; equal to a new laptop: {same}) | floor (initial "
            f"sync of a new laptop, {initial.pulled} rows): {initial_s:.2f} s | ratio {fresh_s / initial_s:.2f}x"
        )
        for ctx, engine in ((old_ctx, old_engine), (new_ctx, new_engine)):
            engine.close()
            ctx.close()
    finally:
        tear_down(proc, db, drop, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
