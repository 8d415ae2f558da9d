"""Sync benchmarks against a real server process on PostgreSQL, each beside a floor measured in
the same run.

    python benchmarks/bench_sync.py [--clients 1000] [--seconds 60] [--devices 50] [--interval 1] [--sqlite]
    python benchmarks/bench_sync.py join|company [--clients 1000] [--sqlite]   (see bench_join.py)

- ``initial``: a fresh supervisor laptop pulls the whole demo portfolio (``--clients`` demo
  clients with all their rows) through the protocol; floor: copying the same rows straight from
  PostgreSQL into a SQLite table (one SELECT, one executemany, one transaction, no protocol).
  Targets: at least 30,000 rows/s and within 3x the floor. The two are measured in turn
  ``--repeat`` times (each sync onto a new laptop): the speed of a shared machine wanders by a
  third from one second to the next, so each run is printed and the medians are compared.
- ``incremental``: 100 edits on one laptop, then one sync (push + pull); target under 1 s.
  Floor: one sync with nothing to do.
- ``concurrent``: ``--devices`` laptops (threads in 5 processes, each laptop with its own login)
  for ``--seconds``: each one edits a client and syncs (a push, then a pull) every ``--interval``
  seconds, starting at a random moment within the first interval (50 laptops syncing every
  second is far more than an office makes: a laptop syncs every few minutes). p50/p99 latency
  of every request and the error count. A request is timed from the moment it was due, not
  from when a late load thread got round to it: a server that falls behind shows as latency.
  Floor: the same threads asking ``/v1/health`` (no database) on the same schedule. Target
  p99 < 300 ms with zero errors.
- ``capacity``: the same laptops with no pause at all (each sends its next request as soon as
  the last one is answered) for up to 20 s: the requests per second the server sustains
  on this machine. Its latency is not a target: a closed loop with no pause measures queueing
  (by Little's law, mean latency = laptops / throughput), and the load processes share the
  machine's cores with the server.

PostgreSQL: ``ACCOUNTDESK_TEST_PG`` (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
a fresh database is created and dropped. ``--sqlite`` uses the embedded default instead.
"""

from __future__ import annotations

import os

os.environ["ACCOUNTDESK_ARGON2_TEST"] = "1"  # cheap hashes: 50 logins are not what is measured
#: A profile that joins a server is encrypted (issue 14); with no OS keyring here, by passphrase.
os.environ.setdefault("ACCOUNTDESK_PASSPHRASE", "bench-passphrase-1")

import argparse
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, select, text, update
from sqlalchemy.engine import make_url

from accountdesk.i18n import set_language
from accountdesk.models import SYNCABLE, confidential_fields
from accountdesk.server import admin, merge
from accountdesk.server import tables as t
from accountdesk.server.db import Database
from accountdesk.services import clients
from accountdesk.services.context import open_profile
from accountdesk.sync import protocol as p
from accountdesk.sync.client import SyncEngine
from accountdesk.sync.codec import row_to_wire
from accountdesk.sync.credentials import Credentials

PASSWORD = "bench-password-1"
H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_database(use_sqlite: bool, workdir: Path) -> tuple[str, callable]:
    if use_sqlite:
        return f"sqlite:///{workdir / 'server.sqlite3'}", lambda: None
    base = make_url(
        os.environ.get("ACCOUNTDESK_TEST_PG") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    name = "ad_bench_" + uuid.uuid4().hex[:10]
    admin_engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def load_portfolio(db: Database, n_clients: int, workdir: Path) -> int:
    """Generate the demo portfolio in a scratch profile and store its rows on the server as
    accepted records (what a company's server holds after its laptops pushed them)."""
    from accountdesk.services.demo import generate_demo

    ctx = open_profile(workdir / "demo-profile")
    generate_demo(ctx, clients=n_clients, seed=1)
    rows = []
    with ctx.read() as session:
        for model in SYNCABLE:
            for row in session.scalars(select(model)):
                data = row_to_wire(row)
                data.pop("id")
                rows.append(
                    {
                        "id": row.id,
                        "entity": model.__entity__,
                        "client_id": row.client_id,
                        "deleted": row.deleted_at is not None,
                        "data": data,
                        "clocks": {},
                        "hidden": sorted(confidential_fields(model, data)),
                    }
                )
    ctx.close()
    with db.write() as conn:
        seq = merge.repo.lock_counter(conn)
        for i, r in enumerate(rows, start=seq + 1):
            r["seq"] = i
        for start in range(0, len(rows), 2000):
            conn.execute(insert(t.records), rows[start : start + 2000])
        conn.execute(update(t.counter).values(seq=seq + len(rows)))
        for r in rows:
            if r["entity"] == "client":
                merge.refresh_scope(conn, r["id"])
    if not db.is_sqlite:
        # A server that has been running has statistics of its tables (autovacuum analyses them
        # within a minute of a bulk load); without them PostgreSQL sorts the whole table for
        # every page of a pull.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return len(rows)


def start_server(url: str, workdir: Path, workers: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(workdir / "server.log", "ab")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "accountdesk.server.cli",
            "--database-url",
            url,
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start; see " + str(workdir / "server.log"))


def floor_copy(url: str, workdir: Path, name: str = "floor") -> tuple[int, float]:
    """Copy the records straight from the server database into a SQLite table."""
    engine = create_engine(url)
    target = sqlite3.connect(workdir / f"{name}.sqlite3", isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    target.execute(
        "CREATE TABLE rows (id TEXT PRIMARY KEY, entity TEXT, client_id TEXT, seq INTEGER, data TEXT)"
    )
    start = time.perf_counter()
    with engine.connect() as conn:
        rows = [
            (r.id, r.entity, r.client_id, r.seq, json.dumps(r.data, ensure_ascii=False))
            for r in conn.execute(
                select(
                    t.records.c.id,
                    t.records.c.entity,
                    t.records.c.client_id,
                    t.records.c.seq,
                    t.records.c.data,
                )
            )
        ]
    target.execute("BEGIN")
    target.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?)", rows)
    target.execute("COMMIT")
    elapsed = time.perf_counter() - start
    target.close()
    engine.dispose()
    return len(rows), elapsed


def device(base: str, workdir: Path, name: str, username: str = "bench"):
    ctx = open_profile(workdir / name)
    return ctx, SyncEngine(
        ctx, base, Credentials(base, username, password=PASSWORD, use_keyring=False), page_size=p.MAX_PAGE
    )


def concurrent(
    base: str, users: list[str], seconds: float, path: str | None, interval: float = 0, processes: int = 5
) -> tuple[list[float], int, int, float]:
    """The load comes from several processes (threads of one Python process would measure its
    own lock more than the server). Returns latencies, errors, requests and the CPU seconds the
    load processes used themselves."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    chunks = [list(enumerate(users))[i::processes] for i in range(processes)]
    procs = [
        ctx.Process(target=_load_process, args=(base, chunk, seconds, path, interval, queue))
        for chunk in chunks
        if chunk
    ]
    for proc in procs:
        proc.start()
    latencies: list = []
    errors = 0
    cpu = 0.0
    for _ in procs:
        lat, err, used = queue.get()
        latencies += lat
        errors += err
        cpu += used
    for proc in procs:
        proc.join()
    return latencies, errors, len(latencies), cpu


def _load_process(base, chunk, seconds, path, interval, queue) -> None:
    lat, err, _n = _threads(base, chunk, seconds, path, interval)
    used = os.times()
    queue.put((lat, err, used.user + used.system))


def _threads(
    base: str, users: list[tuple[int, str]], seconds: float, path: str | None, interval: float = 0
) -> tuple[list[float], int, int]:
    import random

    latencies: list = []
    errors = 0
    lock = threading.Lock()
    times: dict[str, float] = {}

    def go() -> None:  # every laptop of this process has logged in
        times["start"] = time.perf_counter() + 0.1
        times["stop"] = times["start"] + seconds

    ready = threading.Barrier(len(users), action=go)

    def worker(i: int, username: str) -> None:
        nonlocal errors
        client = httpx.Client(base_url=base, headers=H, timeout=30)
        mine: list = []
        bad = 0
        try:
            headers = dict(H)
            cursor = 0
            if path is None:
                r = client.post(
                    "/v1/auth/login",
                    json={"username": username, "password": PASSWORD, "device_id": f"bench{i}"},
                )
                r.raise_for_status()
                headers["Authorization"] = "Bearer " + r.json()["access_token"]
                uid = r.json()["user"]["id"]
                client_id = str(uuid.uuid4())
                item = {
                    "entity": "client",
                    "row_id": client_id,
                    "op": "create",
                    "hlc": f"{int(time.time() * 1000):016d}-00000-b{i}",
                    "fields": {
                        "name": f"Bench {i}",
                        "owner_id": uid,
                        "tier": "key",
                        "status": "active",
                        "tags": [],
                    },
                }
                client.post(
                    "/v1/sync/push", json={"batch_id": str(uuid.uuid4()), "items": [item]}, headers=headers
                ).raise_for_status()
            ready.wait()
            n = 0
            stop = times["stop"]
            due = times["start"] + random.Random(i).uniform(0, interval)
            time.sleep(max(0.0, times["start"] - time.perf_counter()))
            while True:
                n += 1
                now = time.perf_counter()
                if interval and n % 2:  # a sync's push is due at its time, its pull right after
                    if due >= stop:
                        break
                    time.sleep(max(0.0, due - now))
                    t0, due = due, due + interval
                else:
                    if not interval and now >= stop:
                        break
                    t0 = now
                try:
                    if path is not None:
                        ok = client.get(path).status_code == 200
                    elif n % 2:
                        item = {
                            "entity": "client",
                            "row_id": client_id,
                            "op": "update",
                            "base_seq": None,
                            "hlc": f"{int(time.time() * 1000):016d}-{n % 99999:05d}-b{i}",
                            "fields": {"city": f"City {n}"},
                        }
                        ok = (
                            client.post(
                                "/v1/sync/push",
                                json={"batch_id": str(uuid.uuid4()), "items": [item]},
                                headers=headers,
                            ).status_code
                            == 200
                        )
                    else:
                        r = client.get(
                            "/v1/sync/pull", params={"cursor": cursor, "limit": 200}, headers=headers
                        )
                        ok = r.status_code == 200
                        if ok:
                            cursor = r.json()["cursor"]
                except httpx.HTTPError:
                    ok = False
                mine.append((time.perf_counter() - t0, "push" if n % 2 else "pull"))
                bad += 0 if ok else 1
        except (httpx.HTTPError, threading.BrokenBarrierError):
            bad += 1
            ready.abort()
        finally:
            client.close()
            with lock:
                latencies.extend(mine)
                errors += bad

    threads = [threading.Thread(target=worker, args=(i, u)) for i, u in users]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return latencies, errors, len(latencies)


def pct(values: list, q: float, kind: str | None = None) -> float:
    """The q-quantile of latencies ((seconds, kind) pairs or seconds), of one kind if given."""
    values = [v[0] if isinstance(v, tuple) else v for v in values if kind is None or v[1] == kind]
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def prepare(
    use_sqlite: bool, prefix: str, n_clients: int, managers: list[str] = ()
) -> tuple[Path, str, Database, callable, int]:
    """A fresh server database with the supervisor "bench" (and ``managers``) and the demo
    portfolio of ``n_clients`` stored as accepted records; returns the work folder, the database
    URL, the database, its drop function (for :func:`tear_down`) and the number of rows."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    url, drop = make_database(use_sqlite, workdir)
    db = Database(url)
    try:
        db.migrate()
        admin.add_user(db, "bench", "supervisor", PASSWORD)
        for username in managers:
            admin.add_user(db, username, "manager", PASSWORD)
        t0 = time.perf_counter()
        n_rows = load_portfolio(db, n_clients, workdir)
    except BaseException:
        tear_down(None, db, drop, workdir)
        raise
    print(
        f"setup: {n_clients} demo clients, {n_rows} rows stored on the server in {time.perf_counter() - t0:.1f} s"
    )
    return workdir, url, db, drop, n_rows


def tear_down(proc, db: Database, drop, workdir: Path) -> None:
    """Stop the server process, close and drop the database, remove the work folder."""
    if proc is not None:
        proc.terminate()
        proc.wait(10)
    db.close()
    drop()
    shutil.rmtree(workdir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between two syncs of one laptop")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sqlite", action="store_true", help="use the embedded SQLite instead of PostgreSQL")
    parser.add_argument(
        "--initial-only", action="store_true", help="measure the initial sync (and its floor) only"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        choices=range(1, 100),
        metavar="N",
        help="initial syncs (each onto a new laptop) and floor copies, in turn",
    )
    args = parser.parse_args()
    set_language("en")
    users = [f"m{i}" for i in range(args.devices)]
    workdir, url, db, drop, _rows = prepare(args.sqlite, "bench-sync-", args.clients, managers=users)
    proc = None
    try:
        proc, base = start_server(url, workdir, 1 if args.sqlite else args.workers)

        from accountdesk.store import search

        runs = []
        ctx = engine = None
        for run in range(args.repeat):
            floor_rows, floor_s = floor_copy(url, workdir, f"floor{run}")
            if engine is not None:  # the last laptop goes on to the incremental sync
                engine.close()
                ctx.close()
            ctx, engine = device(base, workdir, f"laptop{run}")
            engine._authenticate()  # the login is not part of the copy
            for cached in (
                search.pinyin_forms,
                search._han_readings,
                search._word_readings,
                search._char_readings,
                search.sort_key,
            ):
                cached.cache_clear()  # a new laptop has not spelt these names yet (the demo generator here has)
            start = time.perf_counter()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile

                prof = cProfile.Profile()
                report = prof.runcall(engine.sync)
                prof.dump_stats(os.environ["BENCH_PROFILE"])
            else:
                report = engine.sync()
            initial_s = time.perf_counter() - start
            runs.append((report.pulled / initial_s, floor_rows / floor_s))
            print(
                f"  run {run + 1}: initial sync {report.pulled} rows in {initial_s:.2f} s = {report.pulled / initial_s:,.0f} rows/s | "
                f"floor {floor_rows} rows in {floor_s:.2f} s = {floor_rows / floor_s:,.0f} rows/s | ratio {floor_rows / floor_s / (report.pulled / initial_s):.2f}x"
            )
        rate = sorted(r for r, _f in runs)[len(runs) // 2]
        floor_rate = sorted(f for _r, f in runs)[len(runs) // 2]
        print(
            f"initial sync: {report.pulled} rows, median of {len(runs)} runs {rate:,.0f} rows/s | floor (PostgreSQL -> SQLite copy): "
            f"median {floor_rate:,.0f} rows/s | ratio {floor_rate / rate:.2f}x (targets: >= 30,000 rows/s, <= 3x)"
        )

        if args.initial_only:
            return 0
        idle_start = time.perf_counter()
        engine.sync()
        idle_s = time.perf_counter() - idle_start
        with ctx.read() as session:
            from accountdesk.models import Client

            ids = session.scalars(select(Client.id).limit(100)).all()
        for i, cid in enumerate(ids):
            clients.update_client(ctx, cid, city=f"Bench city {i}")
        start = time.perf_counter()
        report = engine.sync()
        inc_s = time.perf_counter() - start
        print(
            f"incremental sync of {report.pushed} edits: {inc_s * 1000:.0f} ms | floor (sync with nothing to do): "
            f"{idle_s * 1000:.0f} ms | ratio {inc_s / idle_s:.1f}x (target < 1 s)"
        )
        engine.close()
        ctx.close()

        lat, errors, count, cpu = concurrent(base, users, args.seconds, None, args.interval)
        flat, ferrors, fcount, _cpu = concurrent(
            base, users, min(args.seconds, 10), "/v1/health", args.interval
        )
        print(
            f"concurrent: {args.devices} devices syncing every {args.interval:g} s for {args.seconds:.0f} s: {count} requests "
            f"({count / args.seconds:.0f}/s), p50 {pct(lat, 0.5) * 1000:.0f} ms, p99 {pct(lat, 0.99) * 1000:.0f} ms "
            f"(push {pct(lat, 0.99, 'push') * 1000:.0f}, pull {pct(lat, 0.99, 'pull') * 1000:.0f}), "
            f"errors {errors}; load processes used {cpu:.1f} CPU s | floor (/v1/health, same schedule): p50 "
            f"{pct(flat, 0.5) * 1000:.0f} ms, p99 {pct(flat, 0.99) * 1000:.0f} ms, errors {ferrors} | p99 ratio "
            f"{pct(lat, 0.99) / pct(flat, 0.99):.1f}x (target p99 < 300 ms, 0 errors)"
        )
        seconds = min(args.seconds, 20)
        lat, errors, count, cpu = concurrent(base, users, seconds, None)
        flat, ferrors, fcount, _cpu = concurrent(base, users, min(seconds, 10), "/v1/health")
        print(
            f"capacity: {args.devices} devices with no pause for {seconds:.0f} s: {count / seconds:.0f} requests/s "
            f"(p50 {pct(lat, 0.5) * 1000:.0f} ms, p99 {pct(lat, 0.99) * 1000:.0f} ms, errors {errors}; load processes used "
            f"{cpu:.1f} CPU s) | floor (/v1/health, same threads): {fcount / min(seconds, 10):.0f} requests/s "
            f"(p99 {pct(flat, 0.99) * 1000:.0f} ms) | ratio {count / seconds / (fcount / min(seconds, 10)):.2f} (no target)"
        )
    finally:
        tear_down(proc, db, drop, workdir)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("join", "company"):
        # moving a company in: a whole profile joins, a fresh laptop takes the company
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_join

        sys.exit(bench_join.main(sys.argv[1:]))
    sys.exit(main())
