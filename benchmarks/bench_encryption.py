"""Encryption at rest: the same work on a plaintext and on an encrypted (SQLCipher) profile, side
by side in one run, each figure beside its plaintext floor.

    python benchmarks/bench_encryption.py [--clients 1000] [--repeat 3] [--queries 40] [--postgres]
    python benchmarks/bench_encryption.py --migrate-only --clients 10000
    python benchmarks/bench_encryption.py --clients 10000 --repeat 2 --no-migrate [--app-start 3]

``--no-migrate`` leaves out the one-time encryption in place from the repeats (at 10,000 clients
it takes minutes; ``--migrate-only`` measures it on its own).

``--migrate-only``: only the one-time encryption in place of a plaintext demo profile of
``--clients`` clients (made here), beside its floor, a plain file copy of the same database; the
migration itself checks every table row by row before it switches (it refuses otherwise).

A server (SQLite by default, ``--postgres`` for PostgreSQL) holds the demo portfolio of
``--clients`` clients (as in bench_sync.py). For each repeat, in turn for the plaintext and the
encrypted laptop:

- ``initial sync``: a new profile joins the server and pulls everything (rows/s); the encrypted
  one is encrypted before its first pull, as the app does;
- ``start``: from opening the synced profile (finding the key - the keyring's, or a passphrase
  stretched with Argon2id where there is no keyring - migrations check, clock) to the first
  screen's data (the Today page's quick agenda, services.triage.triage(quick=True), as the window
  reads it first);
- ``app start``: a new process running the app (``run_app``, Qt offscreen, as bench_ui.py's cold
  start) on the synced profile, until the window is shown and until Today's first part is on screen
  with its data: what a person waits for. There the profile opens (key lookup included) on the
  database lane while the window is built; ``start`` above has nothing to overlap it with.
  ``keyring lookup``: the key's lookup alone (0 for plaintext, which has none);
- ``search keystroke``: the global search (services.search.search) for a set of 2-4 character
  queries and pinyin, p50/p95, from the first keystroke after the start: the profile opened, the
  first screen read, then the search index read once into the page cache as the app does on its
  database lane once the first screen is filled (services.search.warm_index; the app warms only
  encrypted profiles, the benchmark warms both for a fair comparison; its time is shown,
  ``search index warm-up``: the app runs it in the background, nobody waits for it unless they
  type within that time); ``client list search keystroke``: the same queries through the Clients
  page's search (services.search.list_clients_page, first 60 rows); both again ``no warm-up`` on a
  profile just opened (what the first keystrokes cost without it; an encrypted profile decrypts
  each page the first time a connection reads it);
- ``workspace open``: what a client workspace reads when it opens (client detail + timeline), p50/p95;
- ``encrypt in place``: the one-time migration of the plaintext profile (copy, row-by-row check,
  rename, overwrite of the plaintext).

The key: the OS keyring where one is usable, else a passphrase (its Argon2id stretch shows in
``start``; ``start (key known)`` shows the open without it). Target (issue 14): within 15% of
plaintext. The ratio column is encrypted / plaintext of the medians.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

os.environ.setdefault("ACCOUNTDESK_NOTIFY_INTERVAL_S", "0")

import bench_sync as BS  # noqa: E402

from accountdesk.services import search as S  # noqa: E402
from accountdesk.services.context import open_profile  # noqa: E402
from accountdesk.store import crypto  # noqa: E402

PASSPHRASE = "bench passphrase 基准"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def set_mode(mode: str) -> None:
    if mode == "plain":
        os.environ["ACCOUNTDESK_PLAIN_STORE"] = "1"
    else:
        os.environ.pop("ACCOUNTDESK_PLAIN_STORE", None)
    crypto.set_passphrase_provider(lambda _r, _c: PASSPHRASE)


def initial_sync(base: str, workdir: Path, name: str) -> tuple[float, int]:
    ctx, engine = BS.device(base, workdir, name)
    try:
        start = time.perf_counter()
        report = engine.sync()
        elapsed = time.perf_counter() - start
    finally:
        engine.close()
        ctx.close()
    return elapsed, report.pulled


def queries_of(ctx, n: int, seed: int) -> list[str]:
    """2-4 character pieces of client names and pinyin initials-like ASCII pieces."""
    from sqlalchemy import select

    from accountdesk.models import Client

    rnd = random.Random(seed)
    with ctx.read() as session:
        names = list(session.scalars(select(Client.name).limit(2000)))
    out = []
    for i in range(n):
        name = rnd.choice(names)
        k = 2 + i % 3
        at = rnd.randrange(max(1, len(name) - k))
        out.append(name[at : at + k])
    return out + ["zhongke", "hx", "shenzhen", "138", "xinda"]


def measure_open(path: Path, runs: int) -> dict[str, list[float]]:
    """Opening the profile (finding the key included) to the first screen's data, in ms: wall and
    CPU time of this thread, and the part spent finding the key (``crypto.prepare``: the keyring's
    lookup over D-Bus, or the passphrase's Argon2id stretch; the app starts it before building its
    window, ui/app.py, so there it overlaps the window's construction); also, the key known, the
    engine alone with a first query."""
    from accountdesk.services.triage import triage
    from accountdesk.store import profile as store_profile
    from accountdesk.store.engine import create_sqlite_engine

    out: dict[str, list[float]] = {"whole": [], "cpu": [], "key": [], "known": []}
    prepare = store_profile.crypto.prepare
    spent: list[float] = []

    def timed_prepare(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return prepare(*args, **kwargs)
        finally:
            spent.append((time.perf_counter() - t0) * 1000)

    store_profile.crypto.prepare = timed_prepare  # measuring only: the same function, timed
    try:
        for _ in range(runs):
            spent.clear()
            t0, c0 = time.perf_counter(), time.thread_time()
            ctx = open_profile(path)
            triage(ctx, scope="mine", quick=True)  # what the Today page shows first
            out["whole"].append((time.perf_counter() - t0) * 1000)
            out["cpu"].append((time.thread_time() - c0) * 1000)
            out["key"].append(sum(spent))
            key = ctx.store.protection.key
            ctx.close()
            t0 = time.perf_counter()
            engine = create_sqlite_engine(Path(path) / "accountdesk.sqlite3", key)
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM clients").fetchone()
            engine.dispose()
            out["known"].append((time.perf_counter() - t0) * 1000)
    finally:
        store_profile.crypto.prepare = prepare
    return out


def measure_app_start(path: Path, runs: int) -> tuple[list[float], list[float]]:
    """A new process running the app (ui/app.py run_app, Qt offscreen; bench_ui.py's cold start)
    on the profile: seconds until the window is shown, and until Today's first part is on screen
    with its data. The profile opens on the database lane while the window is built, so the key's
    lookup overlaps the window's construction there."""
    import subprocess
    import tempfile

    from bench_ui import COLD_APP

    shown, filled = [], []
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="ad-bench-settings-") as settings:
            out = subprocess.run(
                [sys.executable, "-c", COLD_APP, str(time.time()), str(path), settings, "today"],
                capture_output=True,
                text=True,
                env=env,
                cwd=str(HERE.parent),
                timeout=300,
            )
        line = next((x for x in out.stdout.splitlines() if x.startswith("VISIBLE")), None)
        if line is None:
            raise RuntimeError(f"the app did not start: {out.stderr[-2000:]}")
        _tag, visible, done = line.split()
        shown.append(float(visible))
        filled.append(float(done))
    return shown, filled


def keyring_lookup_ms(path: Path, runs: int) -> list[float]:
    """The key's lookup in the OS keyring alone (Secret Service over D-Bus here)."""
    profile_id = crypto.read_descriptor(path).get("profile_id")
    if not profile_id or not crypto.keyring_usable():
        return []
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        assert crypto.keyring_get(profile_id) is not None
        out.append((time.perf_counter() - t0) * 1000)
    return out


def measure_reads(path: Path, queries: list[str]) -> dict[str, list[float]]:
    """What a person waits for after the start: the profile opened and the first screen read, then
    (as the app does, ui/app.py) the search index warmed on the database lane; the keystrokes that
    follow, from the first one: the global search and the client list's search (what the Clients
    page's search box runs); then the client workspaces. Also the same keystrokes on a profile
    opened without the warm-up (each search's pages then come from the file the first time)."""
    from sqlalchemy import select

    from accountdesk.models import Client
    from accountdesk.services import detail, workspace
    from accountdesk.services.triage import triage

    out: dict[str, list[float]] = {}

    def timed(label: str, fn, *args, **kwargs) -> None:
        t0, c0 = time.perf_counter(), time.thread_time()
        fn(*args, **kwargs)
        out.setdefault(label, []).append((time.perf_counter() - t0) * 1000)
        out.setdefault(label + " cpu", []).append((time.thread_time() - c0) * 1000)

    def keystrokes(ctx, label: str) -> None:
        for q in queries:
            timed(label, S.search, ctx, q)
        for q in queries:
            timed(label + " list", S.list_clients_page, ctx, search=q, limit=60)

    def open_workspace(ctx, client_id: str) -> None:
        detail.client_detail(ctx, client_id)
        workspace.timeline(ctx, client_id)

    ctx = open_profile(path)
    try:
        triage(ctx, scope="mine", quick=True)  # the first screen
        t0 = time.perf_counter()
        S.warm_index(
            ctx, plaintext_too=True
        )  # the app: encrypted only, on the db lane, after the first screen
        out["warm-up"] = [(time.perf_counter() - t0) * 1000]
        keystrokes(ctx, "search")
        with ctx.read() as session:
            ids = list(session.scalars(select(Client.id).order_by(Client.id)))
        # 30 neighbours (their rows share pages: few new pages per client), then 30 clients spread
        # over the whole portfolio (~45 pages each read for the first time: what opening the
        # clients of a Today list or a search costs; an encrypted profile decrypts each of them)
        for cid in ids[:30]:
            timed("workspace", open_workspace, ctx, cid)
        for cid in ids[30 :: max(1, len(ids) // 30)][:30]:
            timed("workspace spread", open_workspace, ctx, cid)
    finally:
        ctx.close()
    ctx = open_profile(path)
    try:
        triage(ctx, scope="mine", quick=True)
        keystrokes(ctx, "cold search")
    finally:
        ctx.close()
    return out


def migrate_only(n_clients: int, repeat: int) -> int:
    import tempfile

    from accountdesk.services.demo import generate_demo

    workdir = Path(tempfile.mkdtemp(prefix="ad-bench-migrate-"))
    try:
        set_mode("plain")
        t0 = time.perf_counter()
        ctx = open_profile(workdir / "plain")
        generate_demo(ctx, clients=n_clients, seed=1)
        ctx.close()
        db = workdir / "plain" / "accountdesk.sqlite3"
        conn = crypto.connect(db)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        rows = sum(n for n, _h in crypto.table_digests(conn).values())
        conn.close()
        print(
            f"setup: a plaintext demo profile of {n_clients} clients, {rows} rows, "
            f"{db.stat().st_size / 1e6:.0f} MB, in {time.perf_counter() - t0:.0f} s"
        )
        copies: list[float] = []
        migrations: dict[bool, list[float]] = {False: [], True: []}
        for r in range(repeat):
            target = workdir / f"copy-{r}"
            t0 = time.perf_counter()
            shutil.copytree(workdir / "plain", target)
            copies.append(time.perf_counter() - t0)
            key = crypto.kdf_key(PASSPHRASE, crypto.new_kdf())
            # every other repeat with the progress reports the app shows (what they cost, and how
            # long each step takes against its share of the bar, crypto.STEPS)
            reported = r % 2 == 1
            steps: dict[str, float] = {}
            start = time.perf_counter()

            def progress(done: int, _total: int, message: str, steps=steps, start=start) -> None:
                steps[message] = time.perf_counter() - start

            t0 = time.perf_counter()
            crypto.encrypt_in_place(target / "accountdesk.sqlite3", key, progress if reported else None)
            migrations[reported].append(time.perf_counter() - t0)
            assert crypto.is_encrypted_file(target / "accountdesk.sqlite3")
            shutil.rmtree(target)
            if reported:
                last = 0.0
                for message, at in steps.items():
                    print(f"  step ending at {at:7.1f} s ({at - last:6.1f} s): {message}")
                    last = at
        c = statistics.median(copies)
        print(f"{'figure':44} {'seconds':>9}")
        print(f"{'floor: copy the plaintext file':44} {c:9.2f}")
        print(f"{'encrypt in place (export, row-by-row check,':44}")
        for reported, values in migrations.items():
            if values:
                m = statistics.median(values)
                label = "  ... with progress reports" if reported else "  rename, overwrite the plaintext)"
                print(f"{label:44} {m:9.2f}   ({m / c:.1f}x the copy)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--postgres", action="store_true", help="the server on PostgreSQL (default: SQLite)")
    parser.add_argument(
        "--migrate-only", action="store_true", help="only the encryption in place of a plaintext profile"
    )
    parser.add_argument(
        "--no-migrate", action="store_true", help="leave the encryption in place out of the repeats"
    )
    parser.add_argument(
        "--cache",
        metavar="DIR",
        help="keep the synced profiles of the first repeat in DIR (both modes; the encrypted one's key "
        "stays in the OS keyring, never in a file) and, when DIR holds them, measure copies of them "
        "without a server and without the initial sync (minutes at 10,000 clients)",
    )
    parser.add_argument(
        "--app-start",
        type=int,
        default=3,
        metavar="N",
        help="runs of the app's start in a new process per repeat and mode (0: none)",
    )
    args = parser.parse_args()
    if args.migrate_only:
        return migrate_only(args.clients, args.repeat)

    keyring = crypto.keyring_usable()
    print(
        f"key of the encrypted profile: {'OS keyring' if keyring else 'passphrase (Argon2id: no keyring here)'}"
    )
    print(f"load average at the start: {os.getloadavg()[0]:.2f} (on {os.cpu_count()} cores)")
    cache = Path(args.cache) if args.cache else None
    cached = cache is not None and all(
        (cache / m / "accountdesk.sqlite3").exists() for m in ("plain", "encrypted")
    )
    set_mode("plain")  # the demo portfolio's scratch profile
    if cached:
        import json
        import tempfile

        info = json.loads((cache / "info.json").read_text())
        if info["clients"] != args.clients:
            raise SystemExit(f"{cache} holds profiles of {info['clients']} clients, not {args.clients}")
        n_rows = info["rows"]
        workdir, db, drop = Path(tempfile.mkdtemp(prefix="ad-bench-crypto-")), None, None
        print(f"profiles of {args.clients} clients from {cache} (synced earlier: no initial sync this run)")
    else:
        workdir, url, db, drop, n_rows = BS.prepare(not args.postgres, "ad-bench-crypto-", args.clients)
    proc = None
    results: dict[str, dict[str, list[float]]] = {"plain": {}, "encrypted": {}}

    def add(mode: str, name: str, values) -> None:
        results[mode].setdefault(name, []).extend(values if isinstance(values, list) else [values])

    try:
        if not cached:
            proc, base = BS.start_server(url, workdir, 2)
        for r in range(args.repeat):
            # the order of the two modes alternates between repeats: what runs second in a process
            # (more memory in use, the garbage collector's state) does not always fall on one mode
            for mode in ("plain", "encrypted") if r % 2 == 0 else ("encrypted", "plain"):
                set_mode(mode)
                name = f"{mode}-{r}"
                path = workdir / name
                if cached:
                    shutil.copytree(cache / mode, path)
                    elapsed = float("nan")
                else:
                    elapsed, pulled = initial_sync(base, workdir, name)
                    add(mode, "initial sync (s)", elapsed)
                    add(mode, "initial sync (rows/s)", pulled / elapsed)
                    if cache is not None and r == 0:
                        import json

                        shutil.rmtree(cache / mode, ignore_errors=True)
                        shutil.copytree(path, cache / mode)
                        (cache / "info.json").write_text(
                            json.dumps({"clients": args.clients, "rows": n_rows})
                        )
                opened = measure_open(path, 3)
                whole = opened["whole"]
                add(mode, "start: open -> Today's data (ms)", whole)
                add(mode, "  CPU time of it (ms)", opened["cpu"])
                add(mode, "  finding the key (ms)", opened["key"])
                add(
                    mode,
                    "  the rest: open + Today's query (ms)",
                    [w - k for w, k in zip(whole, opened["key"], strict=True)],
                )
                add(mode, "engine + first query, key known (ms)", opened["known"])
                if mode == "encrypted":
                    add(mode, "keyring lookup (ms)", keyring_lookup_ms(path, 5))
                else:
                    add(mode, "keyring lookup (ms)", 0.0)
                if args.app_start:
                    shown, filled = measure_app_start(path, args.app_start)
                    add(mode, "app start: window shown (s)", shown)
                    add(mode, "app start: Today filled (s)", filled)
                if r == 0:
                    ctx = open_profile(path)
                    queries = queries_of(ctx, args.queries, seed=7)
                    ctx.close()
                reads = measure_reads(path, queries)
                add(mode, "search index warm-up (ms)", reads["warm-up"])
                for label, values in reads.items():
                    if label == "warm-up":
                        continue
                    cpu = label.endswith(" cpu")
                    figure = {
                        "search": "search keystroke",
                        "search list": "client list search keystroke",
                        "cold search": "search, no warm-up",
                        "cold search list": "client list search, no warm-up",
                        "workspace": "workspace open (neighbours)",
                        "workspace spread": "workspace open (spread)",
                    }[label.removesuffix(" cpu")]
                    if cpu:
                        add(mode, f"  {figure} CPU p50 (ms)", statistics.median(values))
                        continue
                    add(mode, f"{figure} p50 (ms)", statistics.median(values))
                    add(mode, f"{figure} p95 (ms)", pct(values, 0.95))
                search_ms, ws_ms = reads["search"], reads["workspace"]
                if mode == "encrypted":
                    assert crypto.is_encrypted_file(path / "accountdesk.sqlite3")
                else:
                    assert crypto.is_plain_file(path / "accountdesk.sqlite3")
                print(
                    f"repeat {r + 1} {mode:9}: sync {elapsed:.1f} s, start {statistics.median(whole):.0f} ms, "
                    f"search p50 {statistics.median(search_ms):.1f} ms, "
                    f"workspace p50 {statistics.median(ws_ms):.1f} ms",
                    flush=True,
                )
                shutil.rmtree(workdir / f"{mode}-{r - 1}", ignore_errors=True)  # disk: keep the last only
            if args.no_migrate:
                continue
            # the one-time migration of a plaintext profile
            copy = workdir / f"migrate-{r}"
            shutil.copytree(workdir / f"plain-{r}", copy)
            set_mode("encrypted")
            key = crypto.kdf_key(PASSPHRASE, crypto.new_kdf())
            t0 = time.perf_counter()
            crypto.encrypt_in_place(copy / "accountdesk.sqlite3", key)
            add("encrypted", "encrypt in place (s)", time.perf_counter() - t0)
            size = (copy / "accountdesk.sqlite3").stat().st_size
            shutil.rmtree(copy, ignore_errors=True)
    finally:
        if cached:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            BS.tear_down(proc, db, drop, workdir)

    print(f"\n{args.clients} clients, {n_rows} rows on the server, {args.repeat} repeats (medians)")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"{'figure':44} {'plaintext':>12} {'encrypted':>12} {'ratio':>7}")
    for figure in results["plain"]:
        p = statistics.median(results["plain"][figure])
        e = statistics.median(results["encrypted"][figure])
        ratio = e / p if p else float("nan")
        no_floor = figure.strip().startswith(("finding the key", "keyring lookup", "engine + first query"))
        if not p or not results["encrypted"][figure] or no_floor:
            print(f"{figure:44} {p:12.3f} {e:12.3f}")  # no plaintext floor (the key's lookup)
            continue
        flag = (
            ""
            if ("rows/s" in figure and ratio >= 0.85) or ("rows/s" not in figure and ratio <= 1.15)
            else "  > 15%"
        )
        print(f"{figure:44} {p:12.3f} {e:12.3f} {ratio:7.2f}{flag}")
    if not args.no_migrate:
        m = statistics.median(results["encrypted"]["encrypt in place (s)"])
        print(f"{'encrypt in place (s)':40} {'':>12} {m:12.2f}   (one time; {size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
