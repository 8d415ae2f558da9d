"""Server-side import (``accountdesk-server import``) of 10,000 clients with 60,000 contacts from
one .xlsx (the file of bench_import.py, made in a subprocess), on PostgreSQL (default) or SQLite, beside a floor
measured in the same run.

    python benchmarks/bench_server_import.py [--clients N] [--contacts-per-client K] [--sqlite]

PostgreSQL: ``ACCOUNTDESK_TEST_PG`` (a URL whose server may create databases), default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``; a fresh database is made and dropped.

Target (issue 20): the whole import (both sheets: read, check, write with history and scope) in
under 30 s. The floor is the least any import must do: read every cell of both sheets with the
import's own reader, and write the same number of records and history entries straight into the
server's tables (one COPY per table on PostgreSQL, one executemany on SQLite) in a second,
empty database. Wall and CPU time of this process are shown (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from accountdesk.i18n import set_language
from accountdesk.io.csv_excel import _load_workbook
from accountdesk.models import new_id
from accountdesk.server import admin, repo
from accountdesk.server import tables as t
from accountdesk.server.db import Database
from accountdesk.server.importer import import_file

TARGET_S = 30.0


def make_database(use_sqlite: bool, workdir: Path, name: str):
    if use_sqlite:
        return f"sqlite:///{workdir / (name + '.sqlite3')}", lambda: None
    base = make_url(
        os.environ.get("ACCOUNTDESK_TEST_PG") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    db_name = f"ad_bench_{name}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        engine.dispose()

    return base.set(database=db_name).render_as_string(hide_password=False), drop


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    w, c = clock()
    return w - start[0], c - start[1]


def floor(book: Path, url: str) -> tuple[tuple[float, float], tuple[float, float], int]:
    """Read every cell with the import's reader; write as many records and history entries
    straight into the server's tables. Returns ((read wall, CPU), (write wall, CPU), rows)."""
    start = clock()
    wb = _load_workbook(book)
    sheets = [[list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets]
    wb.close()
    read = since(start)
    db = Database(url)
    db.migrate()
    clients_sheet, contacts_sheet = sheets
    header = clients_sheet[0]
    now = repo.utcnow()
    records, history, ids = [], [], {}
    seq = 0

    def add(entity: str, client_id: str | None, row_id: str, data: dict) -> None:
        nonlocal seq
        seq += 1
        records.append(
            {
                "id": row_id,
                "entity": entity,
                "client_id": client_id,
                "seq": seq,
                "deleted": False,
                "data": data,
                "clocks": {"*": ["0", seq, "server", None]},
                "hidden": [],
                "writer": None,
            }
        )
        history.append(
            {
                "seq": seq,
                "entity": entity,
                "row_id": row_id,
                "client_id": client_id,
                "field": "*",
                "old": None,
                "new": data,
                "user_id": None,
                "device_id": "server",
                "at": now,
                "hidden": False,
            }
        )

    for row in clients_sheet[1:]:
        row_id = new_id()
        ids[row[0]] = row_id
        add("client", row_id, row_id, {str(h): v for h, v in zip(header, row, strict=False)})
    header = contacts_sheet[0]
    for row in contacts_sheet[1:]:
        add("contact", ids[row[0]], new_id(), {str(h): v for h, v in zip(header, row, strict=False)})
    start = clock()
    with db.write() as conn:
        repo.insert_records(conn, records)
        repo.add_history(conn, history)
    write = since(start)
    db.close()
    return read, write, len(records)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--contacts-per-client", type=int, default=6)
    ap.add_argument("--sqlite", action="store_true", help="a SQLite server database (default: PostgreSQL)")
    args = ap.parse_args()
    set_language("en")
    contacts = args.clients * args.contacts_per_client
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        book = workdir / "import.xlsx"
        # made in another process: this one's peak memory is the import's
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; sys.path.insert(0, sys.argv[1]); from bench_import import "
                "make_workbook; make_workbook(__import__('pathlib').Path(sys.argv[2]), int(sys.argv[3]), "
                "int(sys.argv[4]), used_range=True)",
                str(Path(__file__).resolve().parent),
                str(book),
                str(args.clients),
                str(args.contacts_per_client),
            ],
            check=True,
        )
        backend = "SQLite" if args.sqlite else "PostgreSQL"
        print(
            f"file: {args.clients} clients, {contacts} contacts, {book.stat().st_size / 1e6:.1f} MB; server on {backend}"
        )

        url, drop = make_database(args.sqlite, workdir, "import")
        floor_url, drop_floor = make_database(args.sqlite, workdir, "floor")
        try:
            db = Database(url)
            db.migrate()
            admin.add_user(db, "sup", "supervisor", "bench-password-1")
            steps = []
            for kind in ("clients", "contacts"):
                start = clock()
                outcome = import_file(db, book, kind, owner="sup")
                steps.append((kind, *since(start)))
                assert outcome.result is not None and outcome.result.rejected == 0, outcome.plan.rejected[:3]
            with db.read() as conn:
                n = conn.execute(
                    select(func.count())
                    .select_from(t.records)
                    .where(t.records.c.entity.in_(["client", "contact"]))
                ).scalar_one()
                h = conn.execute(select(func.count()).select_from(t.history)).scalar_one()
            assert n == args.clients + contacts, n
            db.close()
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the floor's own
            (rw, rc), (ww, wc), rows = floor(book, floor_url)
        finally:
            drop()
            drop_floor()
    wall = sum(s[1] for s in steps)
    cpu = sum(s[2] for s in steps)
    for kind, w, c in steps:
        print(f"  import {kind:9} {w:7.2f} s wall  {c:7.2f} s CPU")
    print(f"  wrote {n} records and {h} history entries; peak memory of this process {peak_mb:.0f} MB")
    fw, fc = rw + ww, rc + wc
    print(
        f"floor: read every cell with the import's reader {rw:.2f} s wall ({rc:.2f} s CPU) + write {rows} records "
        f"and their history straight into the tables {ww:.2f} s wall ({wc:.2f} s CPU) = {fw:.2f} s wall, {fc:.2f} s CPU"
    )
    print(
        f"server import: {wall:.2f} s wall ({cpu:.2f} s CPU) = {wall / fw:.1f}x the floor ({cpu / fc:.1f}x its CPU); "
        f"{(args.clients + contacts) / wall:,.0f} rows/s (target: under {TARGET_S:.0f} s for 10,000 + 60,000)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
