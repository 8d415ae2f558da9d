"""Attachment files (issue 18): upload and download of ``--total-mb`` (default 1024) in files of
100 KB–20 MB through AccountDesk's file sync, against a plain HTTP file transfer of the same
files on loopback measured in the same run; with the peak memory of the laptop processes and of
the server.

    python benchmarks/bench_files.py [--total-mb 1024] [--sqlite] [--encrypted]

- setup (not timed): a laptop signs in, makes a client and attaches the files (hashed and stored
  in its profile), then syncs the rows;
- ``upload``: that laptop's file sync sends every file (pieces of up to 16 MB read from the
  profile as they are sent, each streamed to the server's disk and acknowledged there; the hash
  checked at the end);
- ``download``: a second laptop of the same user syncs the rows, then its file sync fetches every
  file (stored in its profile as it arrives, hash checked);
- floor: the same files PUT to and GET from a plain threaded HTTP server (Python's http.server,
  the bytes written to disk as they come) with the same HTTP client (httpx), streaming; each
  direction measured right before AccountDesk's (this shared machine's speed wanders);
- the CPU seconds of the laptop process, the server's processes, the database's backends and
  the floor (client and server in one process).

The laptops' profiles are plain unless ``--encrypted`` (SQLCipher with a passphrase, as on a
company laptop without keyring: every byte stored is encrypted, every byte sent decrypted).

Target: at least half the floor's throughput each way; the laptop's and the server's memory flat
(not growing with the amount transferred).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

os.environ.setdefault("ACCOUNTDESK_ARGON2_TEST", "1")
os.environ.setdefault("ACCOUNTDESK_PLAIN_STORE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

PASSWORD = "bench-password-1"
MB = 1024 * 1024


def _peak_mb(pid: str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_s(pid: str) -> float:
    """User and system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def _engine(profile: str, base: str):
    from accountdesk.services.context import open_profile
    from accountdesk.sync.client import SyncEngine
    from accountdesk.sync.credentials import Credentials

    ctx = open_profile(Path(profile))
    return ctx, SyncEngine(ctx, base, Credentials(base, "alice", password=PASSWORD, use_keyring=False))


def child(mode: str, profile: str, base: str, folder: str) -> None:
    """One laptop process; prints a JSON line."""
    if os.environ.get("BENCH_FILES_ENCRYPTED") == "1":
        from accountdesk.store import crypto

        os.environ["ACCOUNTDESK_PLAIN_STORE"] = "0"
        os.environ["ACCOUNTDESK_NO_KEYRING"] = "1"
        crypto.set_passphrase_provider(lambda _reason, _confirm: "bench passphrase")
    threads: dict[str, float] = {}
    if os.environ.get("BENCH_FILES_THREADS") == "1":  # CPU seconds per kind of thread
        run = threading.Thread.run

        def timed(self: threading.Thread) -> None:
            try:
                run(self)
            finally:
                kind = self.name.rstrip("0123456789_-")
                threads[kind] = threads.get(kind, 0.0) + time.thread_time()

        threading.Thread.run = timed  # type: ignore[method-assign]
    from accountdesk.services import attachments as A
    from accountdesk.services import clients
    from accountdesk.sync.files import FileSync

    ctx, engine = _engine(profile, base)
    start = time.perf_counter()
    cpu0 = time.process_time()
    out: dict = {}
    if mode == "add":
        engine.sync()
        FileSync(engine).refresh_limits()
        cid = clients.create_client(ctx, name="Bench files Ltd")
        for f in sorted(Path(folder).iterdir()):
            A.add_file(ctx, cid, f)
        engine.sync()
    elif mode == "upload":
        report = FileSync(engine).run()
        out = {"files": report.uploaded, "bytes": report.bytes_up, "failed": report.failed}
    elif mode == "download":
        engine.sync()
        start = time.perf_counter()
        cpu0 = time.process_time()
        report = FileSync(engine).run()
        out = {"files": report.downloaded, "bytes": report.bytes_down, "failed": report.failed}
    out.update(seconds=time.perf_counter() - start, peak_mb=_peak_mb(), cpu=time.process_time() - cpu0)
    if threads:
        out["threads"] = threads
    engine.close()
    ctx.close()
    print(json.dumps(out))


def _pg_pids(db) -> list[str]:
    """The PostgreSQL backends serving the benchmark's database (their CPU is the database's)."""
    from sqlalchemy import text

    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        return [str(r[0]) for r in rows]


def _alive(pids: list[str]) -> list[str]:
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def run_child(mode: str, profile: Path, base: str, folder: Path, pythonpath: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", mode, str(profile), base, str(folder)]
    spy = os.environ.get("BENCH_FILES_PYSPY_" + mode.upper())  # a py-spy profile of that laptop process
    if spy:
        cmd = [
            "py-spy",
            "record",
            "--format",
            "raw",
            "--rate",
            "250",
            "--threads",
            "--nonblocking",
            "-o",
            spy,
            "--",
            *cmd,
        ]
    env = dict(os.environ)
    if pythonpath:  # another version of the app (--compare)
        env["PYTHONPATH"] = pythonpath
    res = subprocess.run(
        cmd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise SystemExit(f"the laptop process ({mode}) failed:\n" + res.stderr[-3000:])
    return json.loads([line for line in res.stdout.splitlines() if line.startswith("{")][-1])


def make_files(folder: Path, total: int, seed: int) -> list[int]:
    """Files of 100 KB–20 MB (log-uniform sizes) adding up to ``total`` bytes, random content."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    sizes, left = [], total
    while left > 0:
        size = min(left, int(10 ** rng.uniform(5, 7.3)))  # 100 KB .. 20 MB
        sizes.append(size)
        left -= size
    block = os.urandom(MB)
    for i, size in enumerate(sizes):
        with open(folder / f"file-{i:04d}.bin", "wb") as f:
            head = rng.randbytes(64)  # every file distinct
            f.write(head)
            written = len(head)
            while written < size:
                piece = block[: min(MB, size - written)]
                f.write(piece)
                written += len(piece)
    return sizes


class _Plain(SimpleHTTPRequestHandler):
    """GET serves the folder; PUT writes the body to a file as it arrives."""

    def log_message(self, *_a) -> None:
        pass

    def do_PUT(self) -> None:  # noqa: N802
        length = int(self.headers["Content-Length"])
        target = Path(self.directory) / "put" / Path(self.path).name
        with open(target, "wb") as f:
            while length:
                piece = self.rfile.read(min(length, MB))
                f.write(piece)
                length -= len(piece)
            f.flush()
            os.fsync(f.fileno())
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()


class PlainFloor:
    """The same files PUT to and GET from a plain threaded HTTP server on loopback with httpx,
    streaming (each direction timed right before AccountDesk's, on the same machine's minute)."""

    def __init__(self, folder: Path, workdir: Path):
        import functools

        import httpx

        self.files = sorted(folder.iterdir())
        self.workdir = workdir
        served = workdir / "plain"
        (served / "put").mkdir(parents=True)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Plain, directory=str(served)))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.server.server_address[1]}", timeout=120)
        self.cpu = 0.0

    def up(self) -> float:
        cpu, start = time.process_time(), time.perf_counter()
        for f in self.files:
            with open(f, "rb") as body:
                self.client.put(
                    f"/{f.name}", content=body, headers={"Content-Length": str(f.stat().st_size)}
                ).raise_for_status()
        self.cpu += time.process_time() - cpu
        return time.perf_counter() - start

    def down(self) -> float:
        got = self.workdir / "plain-got"
        shutil.rmtree(got, ignore_errors=True)
        got.mkdir()
        cpu, start = time.process_time(), time.perf_counter()
        for f in self.files:
            with self.client.stream("GET", f"/put/{f.name}") as resp, open(got / f.name, "wb") as out:
                resp.raise_for_status()
                for piece in resp.iter_raw(256 * 1024):
                    out.write(piece)
        self.cpu += time.process_time() - cpu
        return time.perf_counter() - start

    def close(self) -> None:
        self.client.close()
        self.server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--total-mb", type=int, default=1024)
    parser.add_argument(
        "--sqlite", action="store_true", help="the server on its embedded SQLite (else PostgreSQL)"
    )
    parser.add_argument(
        "--encrypted", action="store_true", help="the laptops' profiles encrypted (SQLCipher)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=1, help="each direction measured this many times")
    parser.add_argument(
        "--compare",
        metavar="DIR",
        help="a folder holding another version's accountdesk package: its laptop runs alternate with this one's "
        "(the server is this version's)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="server processes (one per core, as docs/server.md advises)"
    )
    args = parser.parse_args(argv)
    if args.encrypted:
        os.environ["BENCH_FILES_ENCRYPTED"] = "1"
    import httpx
    from bench_sync import free_port, make_database

    from accountdesk.server import admin
    from accountdesk.server.db import Database

    workdir = Path(tempfile.mkdtemp(prefix="bench-files-"))
    url, drop = make_database(args.sqlite, workdir)
    db = Database(url)
    db.migrate()
    proc = None
    try:
        admin.add_user(db, "alice", "manager", PASSWORD)
        port = free_port()
        env = dict(
            os.environ,
            ACCOUNTDESK_MAX_FILE_MB="64",
            ACCOUNTDESK_FILE_QUOTA_MB="0",
            ACCOUNTDESK_SERVER_FILES_DIR=str(workdir / "server-files"),
        )
        log = open(workdir / "server.log", "ab")  # noqa: SIM115
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
                str(args.workers),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        folder = workdir / "files"
        t0 = time.perf_counter()
        sizes = make_files(folder, args.total_mb * MB, args.seed)
        total = sum(sizes)
        print(
            f"setup: {len(sizes)} files, {total / MB:.0f} MB (100 KB–20 MB each), made in {time.perf_counter() - t0:.1f} s; "
            f"server on {'SQLite' if args.sqlite else 'PostgreSQL'}; laptop profiles {'encrypted' if args.encrypted else 'plain'}"
        )
        add = run_child("add", workdir / "laptop-1", base, folder)
        print(
            f"attach (laptop, not in the transfer figures): {total / MB / add['seconds']:.0f} MB/s "
            f"({add['seconds']:.1f} s, hashing and storing in the profile)"
        )
        server_pids = [str(proc.pid)] + _children(proc.pid)
        server_before = sum(_peak_mb(pid) for pid in server_pids)
        floor = PlainFloor(folder, workdir)
        variants = {"ours": None}
        if args.compare:
            variants["before"] = str(Path(args.compare).resolve())
        pristine = workdir / "laptop-1-pristine"
        shutil.copytree(workdir / "laptop-1", pristine)

        def measured(mode: str, profile: Path, pythonpath: str | None) -> dict:
            """A laptop process's run, with the CPU seconds the server and the database spent meanwhile."""
            pg = _pg_pids(db) if not args.sqlite else []
            s0 = sum(_cpu_s(pid) for pid in server_pids)
            d0 = sum(_cpu_s(pid) for pid in _alive(pg))
            out = run_child(mode, profile, base, folder, pythonpath)
            out["server_cpu"] = sum(_cpu_s(pid) for pid in server_pids) - s0
            pg_new = [pid for pid in (_pg_pids(db) if not args.sqlite else []) if pid not in pg]
            out["db_cpu"] = sum(_cpu_s(pid) for pid in _alive(pg)) - d0 + sum(_cpu_s(pid) for pid in pg_new)
            assert out["bytes"] == total, out
            if "threads" in out:
                print(
                    f"  {mode} ({pythonpath or 'ours'}): {out['cpu']:.2f} CPU s; threads",
                    {k: round(v, 2) for k, v in out["threads"].items()},
                )
            return out

        def server_empty() -> None:
            """The server forgets the files (the next upload sends them all again)."""
            shutil.rmtree(workdir / "server-files", ignore_errors=True)
            from accountdesk.server import tables as t

            with db.write() as conn:
                conn.execute(t.blobs.delete())

        # rounds: each direction's floor, then AccountDesk right after (this machine's speed
        # wanders); with --compare, the two versions alternate (A B, then B A)
        results: dict[tuple[str, str], list[dict]] = {}
        floors: dict[str, list[float]] = {"upload": [], "download": []}
        for r in range(args.rounds):
            order = list(variants.items())
            if r % 2:
                order.reverse()
            floors["upload"].append(floor.up())
            for name, pythonpath in order:
                server_empty()
                profile = workdir / f"laptop-up-{r}-{name}"
                shutil.copytree(pristine, profile)
                out = measured("upload", profile, pythonpath)
                out["floor"] = floors["upload"][-1]
                results.setdefault(("upload", name), []).append(out)
                shutil.rmtree(profile, ignore_errors=True)
            floors["download"].append(floor.down())
            for name, pythonpath in order:
                profile = workdir / f"laptop-down-{r}-{name}"
                out = measured("download", profile, pythonpath)
                out["floor"] = floors["download"][-1]
                results.setdefault(("download", name), []).append(out)
                shutil.rmtree(profile, ignore_errors=True)
        server_after = sum(_peak_mb(pid) for pid in server_pids if Path(f"/proc/{pid}").exists())
        floor.close()
        gb = total / 1024 / MB
        for direction in ("upload", "download"):
            for name in variants:
                runs = results[(direction, name)]
                rates = [total / MB / o["seconds"] for o in runs]
                ratios = [o["floor"] / o["seconds"] for o in runs]
                print(
                    f"{direction} ({name}{', ' + variants[name] if variants[name] else ''}): {runs[0]['files']} files, "
                    f"median {statistics.median(rates):.0f} MB/s = {statistics.median(ratios):.2f}x the floor measured "
                    f"right before (target >= 0.5); runs {', '.join(f'{x:.2f}x' for x in ratios)}; laptop peak memory "
                    f"{max(o['peak_mb'] for o in runs):.0f} MB"
                )
                print(
                    "  CPU seconds per GB (medians): laptop "
                    f"{statistics.median(o['cpu'] for o in runs) / gb:.1f}, server "
                    f"{statistics.median(o['server_cpu'] for o in runs) / gb:.1f}, database "
                    f"{statistics.median(o['db_cpu'] for o in runs) / gb:.1f}"
                )
            fl = [total / MB / x for x in floors[direction]]
            print(
                f"  plain HTTP floor {direction}: median {statistics.median(fl):.0f} MB/s (runs {', '.join(f'{x:.0f}' for x in fl)})"
            )
        print(
            f"  CPU seconds per GB of the plain HTTP floor (both ways, client and server in one process): "
            f"{floor.cpu / gb / args.rounds / 2:.1f}"
        )
        print(
            f"server peak memory ({len(server_pids)} processes): {server_before:.0f} MB after start-up and setup, {server_after:.0f} MB after "
            f"{2 * total / MB * args.rounds * len(variants):.0f} MB transferred"
        )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        db.close()
        drop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:6])
        sys.exit(0)
    sys.exit(main())
