"""An unauthenticated login flood against a real server process with the real Argon2id
parameters (64 MiB per password check): the server's memory and a normal pull's latency, quiet
and under the flood, side by side in one run.

    python benchmarks/bench_login_flood.py [--clients 200] [--seconds 15] [--threads 16] [--sqlite]

For each way of flooding, one server process is started and measured twice, first quiet, then
under the flood:

- ``direct``: 16 threads (in 4 processes) post logins with random user names and a different
  random ``X-Forwarded-For`` each time, as fast as the server answers; no proxy is trusted
  (the default), so the header is ignored and the address's lockout stops the flood before it
  costs a password check;
- ``via proxy``: the server trusts the proxy 127.0.0.1 (``serve --trusted-proxy``), so each
  attempt comes from a new address — a botnet behind the company's proxy — and no lockout
  applies: only the bounded password checks (``ACCOUNTDESK_LOGIN_HASHERS`` at once, a short
  queue, the rest answered 503 at once) protect the server.

Meanwhile a signed-in supervisor pulls a page of 500 changes every 0.25 s ("a normal pull"),
each request timed from when it was due. Printed per phase: the server's peak resident memory
(sampled every 0.1 s from /proc), the pull's p50/p99 and the flood's answers. The floor of each
figure is the same server measured quiet just before. Targets: memory under 500 MB, pull p99
within 2x of quiet.

PostgreSQL: ``ACCOUNTDESK_TEST_PG`` (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
a fresh database is created and dropped. ``--sqlite`` uses the embedded default instead.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_sync import free_port, load_portfolio, make_database, pct  # noqa: E402

# bench_sync asks for cheap hashes (this process then stores the supervisor's password with them,
# which costs nothing here); the server process gets the real parameters (start_server)
from accountdesk.i18n import set_language  # noqa: E402
from accountdesk.server import admin  # noqa: E402
from accountdesk.server.db import Database  # noqa: E402
from accountdesk.sync import protocol as p  # noqa: E402

PASSWORD = "bench-password-1"
H = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}
PAGE = 500
DEVICE_KEY = uuid.uuid4().hex


def start_server(url: str, workdir: Path, args: list[str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    log = open(workdir / "server.log", "ab")  # noqa: SIM115 - lives as long as the process
    env = dict(os.environ, ACCOUNTDESK_ARGON2_TEST="0")
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
            *args,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
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


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Sampler(threading.Thread):
    """The server's resident memory every 0.1 s; ``peak()`` since the last ``reset()``."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.stop = threading.Event()
        self._peak = 0.0

    def run(self) -> None:
        while not self.stop.wait(0.1):
            try:
                self._peak = max(self._peak, rss_mb(self.pid))
            except OSError:
                return

    def reset(self) -> None:
        self._peak = rss_mb(self.pid)

    def peak(self) -> float:
        return self._peak


def pulls(
    base: str, access: str, cursor: int, seconds: float, every: float = 0.25
) -> tuple[list[float], int]:
    """A page of changes every ``every`` seconds, each timed from when it was due; returns the
    latencies and the number of failed pulls."""
    latencies, errors = [], 0
    with httpx.Client(
        base_url=base, headers={**H, "Authorization": "Bearer " + access}, timeout=60
    ) as client:
        start = time.perf_counter()
        due = start
        while due < start + seconds:
            now = time.perf_counter()
            if due > now:
                time.sleep(due - now)
            try:
                r = client.get("/v1/sync/pull", params={"cursor": cursor, "limit": PAGE})
                if r.status_code != 200 or len(r.json()["items"]) != PAGE:
                    errors += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - due)
            due += every
    return latencies, errors


def _flood_process(base: str, threads: int, seconds: float, seed: int, queue) -> None:
    counts: Counter = Counter()
    lock = threading.Lock()
    rng = random.Random(seed)

    def worker() -> None:
        local: Counter = Counter()
        with httpx.Client(base_url=base, headers=H, timeout=60) as client:
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                forwarded = ".".join(str(rng.randrange(1, 255)) for _ in range(4))
                body = {
                    "username": uuid.uuid4().hex[:12],
                    "password": uuid.uuid4().hex,
                    "device_id": uuid.uuid4().hex[:16],
                }
                try:
                    r = client.post("/v1/auth/login", json=body, headers={"X-Forwarded-For": forwarded})
                    local[r.status_code] += 1
                except httpx.HTTPError as exc:
                    local[type(exc).__name__] += 1
        with lock:
            counts.update(local)

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put(dict(counts))


def flood(
    base: str, threads: int, seconds: float
) -> tuple[list[multiprocessing.Process], multiprocessing.Queue]:
    processes = min(4, threads)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    procs = []
    for i in range(processes):
        share = threads // processes + (1 if i < threads % processes else 0)
        proc = multiprocessing.Process(target=_flood_process, args=(base, share, seconds, i, queue))
        proc.start()
        procs.append(proc)
    return procs, queue


def measure(
    name: str, url: str, workdir: Path, args: list[str], seconds: float, threads: int, n_rows: int
) -> dict:
    proc, base = start_server(url, workdir, args)
    try:
        with httpx.Client(base_url=base, headers=H, timeout=60) as client:
            # the supervisor's own laptop (its device key): it passes the address lockout of the last flood
            r = client.post(
                "/v1/auth/login",
                json={
                    "username": "bench",
                    "password": PASSWORD,
                    "device_id": "bench-laptop",
                    "device_key": DEVICE_KEY,
                },
            )
            r.raise_for_status()
            access = r.json()["access_token"]
        cursor = max(0, n_rows - PAGE)
        sampler = Sampler(proc.pid)
        sampler.start()
        pulls(base, access, cursor, 2)  # warm up
        sampler.reset()
        quiet, quiet_errors = pulls(base, access, cursor, seconds)
        quiet_rss = sampler.peak()
        sampler.reset()
        procs, queue = flood(base, threads, seconds)
        time.sleep(0.5)  # the flood is under way
        loud, loud_errors = pulls(base, access, cursor, seconds - 1)
        answers: Counter = Counter()
        for _ in procs:
            answers.update(queue.get())
        for p_ in procs:
            p_.join()
        loud_rss = sampler.peak()
        sampler.stop.set()
    finally:
        proc.terminate()
        proc.wait(10)
    return {
        "name": name,
        "quiet_rss": quiet_rss,
        "loud_rss": loud_rss,
        "quiet": quiet,
        "loud": loud,
        "errors": (quiet_errors, loud_errors),
        "answers": answers,
        "seconds": seconds,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200, help="demo clients on the server")
    parser.add_argument("--seconds", type=float, default=15, help="length of each phase")
    parser.add_argument("--threads", type=int, default=16, help="flooding threads")
    parser.add_argument("--sqlite", action="store_true", help="use the embedded SQLite instead of PostgreSQL")
    args = parser.parse_args()
    set_language("en")
    workdir = Path(tempfile.mkdtemp(prefix="ad-flood-"))
    url, drop = make_database(args.sqlite, workdir)
    db = Database(url)
    try:
        db.migrate()
        admin.add_user(db, "bench", "supervisor", PASSWORD)
        n_rows = load_portfolio(db, args.clients, workdir)
        print(
            f"setup: {args.clients} demo clients, {n_rows} rows on {'SQLite' if args.sqlite else 'PostgreSQL'}; "
            f"{os.cpu_count()} cores; real Argon2id parameters"
        )
        results = [
            measure("direct", url, workdir, [], args.seconds, args.threads, n_rows),
            measure(
                "via proxy",
                url,
                workdir,
                ["--trusted-proxy", "127.0.0.1"],
                args.seconds,
                args.threads,
                n_rows,
            ),
        ]
    finally:
        db.close()
        drop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(
        f"\n{'flood':<10} {'':<6} {'peak RSS MB':>11} {'pull p50 ms':>11} {'pull p99 ms':>11} {'pull errors':>11}  flood answers"
    )
    ok = True
    for r in results:
        q50, q99 = pct(r["quiet"], 0.5) * 1000, pct(r["quiet"], 0.99) * 1000
        l50, l99 = pct(r["loud"], 0.5) * 1000, pct(r["loud"], 0.99) * 1000
        total = sum(r["answers"].values())
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(r["answers"].items(), key=str))
        print(
            f"{r['name']:<10} {'quiet':<6} {r['quiet_rss']:>11.0f} {q50:>11.1f} {q99:>11.1f} {r['errors'][0]:>11}  (floor)"
        )
        print(
            f"{'':<10} {'flood':<6} {r['loud_rss']:>11.0f} {l50:>11.1f} {l99:>11.1f} {r['errors'][1]:>11}  "
            f"{total} logins ({total / r['seconds']:.0f}/s): {answers}"
        )
        mem_ok, p99_ok = r["loud_rss"] < 500, l99 <= 2 * q99
        ok = ok and mem_ok and p99_ok
        print(
            f"{'':<10} {'':<6} memory {'OK' if mem_ok else 'OVER'} (target < 500 MB), "
            f"p99 {l99 / q99:.2f}x quiet {'OK' if p99_ok else 'OVER'} (target <= 2x)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
