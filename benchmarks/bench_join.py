"""Moving a company in: a laptop with a large profile joins a server (``join``), then a fresh
supervisor laptop takes the whole company (``company``). Each beside a floor measured in the
same run, with the peak memory of the laptop process.

    python benchmarks/bench_join.py [--clients 1000] [--sqlite] [--workers 2]
    python benchmarks/bench_sync.py join|company ...     (the same, from the sync benchmark)

- ``join``: a demo profile of ``--clients`` (made beforehand, not timed) signs in to an empty
  company server and pushes everything (``--include-demo-data``: the demo stands for a real
  ledger), then pulls what others changed meanwhile (nothing: no echo). Rows per second from
  the first request to the end of the sync, in a laptop process of its own whose peak resident
  memory is reported. Floor: the same rows, already in the server's record format, written into
  the server's table with one ``COPY`` (PostgreSQL; on SQLite one ``executemany``).
  Targets: >= 10,000 rows/s and within 5x the floor; laptop peak memory < 300 MB.
- ``company``: a new supervisor laptop pulls the whole company (search index included), in a
  process of its own. Floor: copying the same rows straight from the server database into a
  SQLite table. Target (10,000 clients): under 10 s; peak memory < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ACCOUNTDESK_ARGON2_TEST", "1")
#: A profile that joins a server is encrypted (issue 14); with no OS keyring here, by passphrase.
os.environ.setdefault("ACCOUNTDESK_PASSPHRASE", "bench-passphrase-1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

PASSWORD = "bench-password-1"


def _child_sync(profile: str, base: str, user: str, include_demo: bool) -> None:
    """Runs in the laptop process: one sync, timed; prints a JSON line."""
    from accountdesk.i18n import set_language
    from accountdesk.services.context import open_profile
    from accountdesk.sync.client import SyncEngine
    from accountdesk.sync.credentials import Credentials

    set_language("en")
    timings = _time_push_steps() if os.environ.get("ACCOUNTDESK_BENCH_STEPS") else None
    ctx = open_profile(Path(profile))
    engine = SyncEngine(
        ctx,
        base,
        Credentials(base, user, password=PASSWORD, use_keyring=False),
        include_demo_data=include_demo,
    )
    phases: dict[str, float] = {}
    began = time.perf_counter()
    engine.store.ensure_encrypted()  # a joining profile is encrypted first (timed on its own)
    encrypt_s = time.perf_counter() - began
    started = time.perf_counter()
    cpu_before = _cpu_s()

    def progress(phase: str, done: int, total: int | None) -> None:
        phases.setdefault(phase + "_start", time.perf_counter() - started)
        phases[phase + "_end"] = time.perf_counter() - started

    helpers_before = _cpu_s(resource.RUSAGE_CHILDREN)
    # (the company's laptop has a helper process; the join's has none, and the sampler's reads of
    # /proc would count as the laptop's CPU)
    sampler = None if include_demo else _TogetherPeak()
    report = engine.sync(progress=progress)
    together = sampler.stop() if sampler is not None else None
    seconds = time.perf_counter() - started
    cpu = _cpu_s() - cpu_before
    helpers = _cpu_s(resource.RUSAGE_CHILDREN) - helpers_before
    engine.close()
    ctx.close()
    peak = _peak_mb()
    print(
        json.dumps(
            {
                "pushed": report.pushed,
                "pulled": report.pulled,
                "rejected": report.rejected,
                "seconds": seconds,
                "peak_mb": peak,
                "phases": phases,
                "encrypt_s": encrypt_s,
                "cpu_s": cpu,
                "helper_cpu_s": helpers,
                "together_peak_mb": together,
                "steps": timings,
            }
        )
    )


def _time_push_steps() -> dict[str, float]:
    """CPU seconds of the thread running each step of the laptop's push (ACCOUNTDESK_BENCH_STEPS=1)."""
    import functools

    from accountdesk.sync.client import SyncEngine

    out: dict[str, float] = {}
    cls = SyncEngine
    for name in ("_claim_batch", "_batch_body", "_store_push_result", "_request", "_push"):
        original = getattr(cls, name)

        def timed(*args: object, _f=original, _n=name, **kwargs: object) -> object:
            began, wall = time.thread_time(), time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                out[_n] = out.get(_n, 0.0) + time.thread_time() - began
                out[_n + " wall"] = out.get(_n + " wall", 0.0) + time.perf_counter() - wall

        setattr(cls, name, functools.wraps(original)(timed))
    return out


def _cpu_s(who: int = resource.RUSAGE_SELF) -> float:
    """CPU seconds this process used (user and system): what the laptop spends, whatever else
    runs on the machine. ``RUSAGE_CHILDREN``: its helper processes that have ended (the search
    index's, store/search/bulk.py)."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class _TogetherPeak:
    """The peak of the laptop's resident memory with its helper processes' (the search index's
    helper, store/search/bulk.py), sampled every 20 ms from /proc: what the machine holds for it."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _rss_kb(pid: int | str) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _children(self) -> list[str]:
        out: list[str] = []
        for task in Path("/proc/self/task").iterdir():
            try:
                out += (task / "children").read_text().split()
            except OSError:
                pass
        return out

    def _run(self) -> None:
        while not self._done.wait(0.02):
            total = self._rss_kb("self") + sum(self._rss_kb(pid) for pid in self._children())
            self.peak_kb = max(self.peak_kb, total)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak_kb / 1024


def _peak_mb() -> float:
    """This process's peak resident memory. ``VmHWM`` belongs to the address space, which exec
    starts afresh; ``ru_maxrss`` would carry over the benchmark process's own peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_HZ = os.sysconf("SC_CLK_TCK")


def _proc_cpu_s(pid: int) -> float:
    """CPU seconds (user and system) a process has used so far, 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _HZ
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree(pid: int) -> list[int]:
    """A process and its descendants (the server's workers)."""
    out = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            for child in (task / "children").read_text().split():
                out += _tree(int(child))
        except OSError:
            pass
    return out


class _CpuMeter:
    """CPU seconds of the server's processes and of the PostgreSQL backends serving its
    database, between :meth:`start` and :meth:`stop` (read from /proc: the machine is shared,
    wall time alone says little)."""

    def __init__(self, server_pid: int, url: str | None):
        self.server_pid, self.url = server_pid, url
        self.before: dict[int, float] = {}

    def _backends(self) -> list[int]:
        if self.url is None:
            return []
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return list(
                    conn.execute(
                        text(
                            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                            "AND pid <> pg_backend_pid()"
                        )
                    ).scalars()
                )
        finally:
            engine.dispose()

    def _now(self) -> dict[int, float]:
        server = {p: _proc_cpu_s(p) for p in _tree(self.server_pid)}
        return {**server, **{-p: _proc_cpu_s(p) for p in self._backends()}}  # backends negated

    def start(self) -> None:
        self.before = self._now()

    def stop(self) -> tuple[float, float]:
        """(server CPU s, database CPU s) since :meth:`start` (backends started meanwhile count whole)."""
        after = self._now()
        spent = {p: v - self.before.get(p, 0.0) for p, v in after.items()}
        return sum(v for p, v in spent.items() if p > 0), sum(v for p, v in spent.items() if p < 0)


def run_laptop(profile: Path, base: str, user: str, include_demo: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", str(profile), base, user, "1" if include_demo else "0"]
    spy = os.environ.get("ACCOUNTDESK_BENCH_PYSPY")  # profile the laptop: py-spy's output file prefix
    if spy:
        kind = "join" if include_demo else "company"
        command = ["py-spy", "record", "-r", "250", "-f", "raw", "-o", f"{spy}-{kind}.txt", "--", *command]
    out = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit("the laptop process failed:\n" + out.stderr[-3000:])
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


def _spy_server(pid: int) -> subprocess.Popen[bytes] | None:
    """With ``ACCOUNTDESK_BENCH_PYSPY``: py-spy records the server's processes during the join."""
    spy = os.environ.get("ACCOUNTDESK_BENCH_PYSPY")
    if not spy:
        return None
    command = ["py-spy", "record", "-r", "250", "-f", "raw", "--subprocesses", "-p", str(pid)]
    return subprocess.Popen([*command, "-o", f"{spy}-server.txt"], stdout=subprocess.DEVNULL)


def _stop_spy(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)


def _count_rows(profile: Path) -> int:
    """The synced rows of a demo profile (its outbox entries)."""
    from accountdesk.services.context import open_profile

    ctx = open_profile(profile)
    try:
        with ctx.read() as session:
            return int(session.connection().exec_driver_sql("SELECT count(*) FROM outbox").scalar() or 0)
    finally:
        ctx.close()


def make_demo(profile: Path, n_clients: int) -> int:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "accountdesk",
            "--data-dir",
            str(profile),
            "demo",
            "--clients",
            str(n_clients),
            "--seed",
            "7",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(json.loads(out.stdout)["rows"])


def copy_floor(url: str, profile: Path, sqlite: bool) -> tuple[int, float]:
    """The profile's rows in the server's record format, written into a scratch copy of the
    server's records table with one COPY (PostgreSQL) or one executemany (SQLite)."""
    from sqlalchemy import create_engine, select

    from accountdesk.models import SYNCABLE, confidential_fields
    from accountdesk.services.context import open_profile
    from accountdesk.sync.codec import row_to_wire

    ctx = open_profile(profile)
    rows = []
    with ctx.read() as session:
        for model in SYNCABLE:
            for row in session.scalars(select(model)):
                data = row_to_wire(row)
                data.pop("id")
                rows.append(
                    (
                        row.id,
                        model.__entity__,
                        row.client_id,
                        len(rows) + 1,
                        False,
                        data,
                        {"*": ["0", len(rows) + 1, "floor", None]},
                        sorted(confidential_fields(model, data)),
                    )
                )
    ctx.close()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS floor_records")
        conn.exec_driver_sql(
            "CREATE TABLE floor_records AS SELECT * FROM srv_records WHERE false"
            if not sqlite
            else "CREATE TABLE floor_records (id TEXT PRIMARY KEY, entity TEXT, client_id TEXT, seq INTEGER, "
            "deleted BOOLEAN, data TEXT, clocks TEXT, hidden TEXT, writer TEXT)"
        )
    start = time.perf_counter()
    if sqlite:
        raw = engine.raw_connection()
        raw.executemany(
            "INSERT INTO floor_records (id, entity, client_id, seq, deleted, data, clocks, hidden) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    json.dumps(r[5], ensure_ascii=False),
                    json.dumps(r[6]),
                    json.dumps(r[7]),
                )
                for r in rows
            ],
        )
        raw.commit()
        raw.close()
    else:
        from psycopg.types.json import Jsonb

        raw = engine.raw_connection()
        with (
            raw.driver_connection.cursor() as cur,
            cur.copy(
                "COPY floor_records (id, entity, client_id, seq, deleted, data, clocks, hidden) FROM STDIN"
            ) as copy,
        ):
            for r in rows:
                copy.write_row((r[0], r[1], r[2], r[3], r[4], Jsonb(r[5]), Jsonb(r[6]), Jsonb(r[7])))
        raw.commit()
        raw.close()
    elapsed = time.perf_counter() - start
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE floor_records")
    engine.dispose()
    return len(rows), elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "mode",
        nargs="?",
        choices=["join", "company", "both"],
        default="both",
        help="company runs the join first (to fill the server), then measures the fresh laptop",
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument(
        "--demo-from",
        type=Path,
        help="copy this demo profile (made by `accountdesk demo --seed 7`) instead of making one",
    )
    parser.add_argument(
        "--plain",
        action="store_true",
        help="laptops keep a plain store (default: encrypted, as a joined laptop is)",
    )
    args = parser.parse_args(argv)
    if args.plain:
        os.environ["ACCOUNTDESK_PLAIN_STORE"] = "1"  # (inherited by the laptop processes)
    from bench_sync import floor_copy, make_database, start_server, tear_down

    from accountdesk.server import admin
    from accountdesk.server.db import Database

    workdir = Path(tempfile.mkdtemp(prefix="bench-join-"))
    url, drop = make_database(args.sqlite, workdir)
    db = Database(url)
    proc = None
    try:
        db.migrate()
        admin.add_user(db, "bench", "supervisor", PASSWORD)
        proc, base = start_server(url, workdir, 1 if args.sqlite else args.workers)
        profile = workdir / "ledger"
        t0 = time.perf_counter()
        if args.demo_from:
            shutil.copytree(args.demo_from, profile)
            n_rows = _count_rows(profile)
        else:
            n_rows = make_demo(profile, args.clients)
        print(
            f"setup: a demo profile of {args.clients} clients, {n_rows} rows, in {time.perf_counter() - t0:.1f} s"
        )
        floor_rows, floor_s = copy_floor(url, profile, args.sqlite)
        meter = _CpuMeter(proc.pid, None if args.sqlite else url)
        meter.start()
        spy = _spy_server(proc.pid)
        join = run_laptop(profile, base, "bench", include_demo=True)
        _stop_spy(spy)
        server_cpu, db_cpu = meter.stop()
        rate = join["pushed"] / join["seconds"]
        floor_rate = floor_rows / floor_s
        push_s = join["phases"].get("push_end", join["seconds"])
        print(
            f"join: {join['pushed']} rows pushed ({join['rejected']} refused), {join['pulled']} pulled back, in "
            f"{join['seconds']:.1f} s = {rate:,.0f} rows/s (push phase {push_s:.1f} s; before it, the profile encrypted in "
            f"{join['encrypt_s']:.1f} s); laptop peak {join['peak_mb']:.0f} MB, laptop CPU {join['cpu_s']:.1f} s | "
            f"floor (one COPY into the server's table): {floor_rows} rows in {floor_s:.2f} s = {floor_rate:,.0f} rows/s | "
            f"ratio {floor_rate / rate:.2f}x (targets: >= 10,000 rows/s, <= 5x, < 300 MB, nothing pulled back)"
        )
        per_row = 1e6 / max(join["pushed"], 1)
        if join.get("steps"):
            print(
                "laptop steps (thread CPU us/row): "
                + ", ".join(f"{k} {v * per_row:.1f}" for k, v in join["steps"].items())
            )
        print(
            f"join CPU: laptop {join['cpu_s']:.1f} s ({join['cpu_s'] * per_row:.0f} us/row, its encryption excluded), "
            f"server {server_cpu:.1f} s ({server_cpu * per_row:.0f} us/row), "
            + ("" if args.sqlite else f"PostgreSQL {db_cpu:.1f} s ({db_cpu * per_row:.0f} us/row), ")
            + f"machine load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        if args.mode in ("company", "both"):
            fresh = workdir / "fresh"
            company = run_laptop(fresh, base, "bench")
            crate = company["pulled"] / company["seconds"]
            frows, fsec = floor_copy(url, workdir, "company-floor")
            print(
                f"company: a fresh supervisor laptop pulled {company['pulled']} rows in {company['seconds']:.1f} s = "
                f"(its empty store encrypted first in {company['encrypt_s']:.1f} s) "
                f"{crate:,.0f} rows/s; laptop peak {company['peak_mb']:.0f} MB, laptop CPU {company['cpu_s']:.1f} s "
                f"(+ {company.get('helper_cpu_s', 0):.1f} s in its helper process; laptop with its helper: peak {company.get('together_peak_mb', 0):.0f} MB sampled) | floor (server database -> SQLite copy): "
                f"{frows} rows in {fsec:.2f} s = {frows / fsec:,.0f} rows/s | ratio {frows / fsec / crate:.2f}x "
                f"(target for 10,000 clients: < 10 s, < 300 MB)"
            )
    finally:
        tear_down(proc, db, drop, workdir)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child_sync(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] == "1")
        sys.exit(0)
    sys.exit(main())
