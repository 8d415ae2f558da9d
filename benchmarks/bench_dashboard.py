"""The dashboard on a 10,000-client profile (issue 16 point 2: filled within 500 ms), each figure
beside a floor measured in the same run.

    python benchmarks/bench_dashboard.py [--clients 10000] [--profile DIR] [--runs 5]

The profile comes from the demo generator and is cached in the temp folder (``--profile`` to
choose). Figures:

- the whole dashboard (``services.dashboard.load_dashboard``: pyramid, visits per manager,
  complaints by age and severity, satisfaction, renewals, at-risk, served to standard) for the
  supervisor and for one manager's "My portfolio", median and worst of the runs, with the time of
  each part, against the floor: one raw SQL pass that only counts the clients per tier and the
  visits, complaints and surveys of the period on the same file;
- the two steps the page runs side by side (the period's figures on the database lane, served to
  standard and at-risk on the pool), wall and CPU time of the process: on this shared machine
  the CPU time is the steady figure;
- the Dashboard page filled in the background (task lanes) until its charts are painted, offscreen.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def ensure_profile(path: Path, clients: int) -> Path:
    from accountdesk.paths import database_path

    if database_path(path).exists():
        return path
    from accountdesk.services.context import open_profile
    from accountdesk.services.demo import generate_demo

    print(f"building a {clients}-client demo profile in {path} (once) …", flush=True)
    ctx = open_profile(path)
    generate_demo(ctx, clients=clients)
    ctx.close()
    return path


def floor(db: Path, date_from: dt.date, date_to: dt.date) -> float:
    conn = sqlite3.connect(db)
    t = time.perf_counter()
    conn.execute(
        "SELECT tier, count(*), sum(annual_fees) FROM clients WHERE deleted_at IS NULL GROUP BY tier"
    ).fetchall()
    conn.execute(
        "SELECT count(*) FROM visits WHERE deleted_at IS NULL AND planned_start >= ? AND planned_start < ?",
        (str(date_from), str(date_to + dt.timedelta(days=1))),
    ).fetchall()
    conn.execute(
        "SELECT severity, count(*) FROM feedback WHERE deleted_at IS NULL AND status NOT IN ('answered','closed')"
        " GROUP BY severity"
    ).fetchall()
    conn.execute(
        "SELECT count(*), avg(score_overall) FROM surveys WHERE deleted_at IS NULL AND conducted_on >= ?",
        (str(date_from),),
    ).fetchall()
    elapsed = time.perf_counter() - t
    conn.close()
    return elapsed


def standing_floor(db: Path) -> float:
    """What served-to-standard and at-risk read at the least, straight from SQLite: every active
    plan with its client, and per client the open complaints, the active risk flags and the last
    survey (one aggregate each), without any rule applied."""
    conn = sqlite3.connect(db)
    t = time.perf_counter()
    conn.execute(
        "SELECT p.client_id, p.kind, p.every_months FROM visit_plans p JOIN clients c ON c.id = p.client_id"
        " WHERE p.deleted_at IS NULL AND p.active = 1 AND c.deleted_at IS NULL"
    ).fetchall()
    conn.execute(
        "SELECT client_id, count(*) FROM feedback WHERE deleted_at IS NULL AND kind IN ('complaint','appeal')"
        " AND status NOT IN ('answered','closed') GROUP BY client_id"
    ).fetchall()
    conn.execute(
        "SELECT client_id, count(*) FROM risk_flags WHERE deleted_at IS NULL AND cleared_at IS NULL GROUP BY client_id"
    ).fetchall()
    conn.execute(
        "SELECT client_id, max(conducted_on) FROM surveys WHERE deleted_at IS NULL GROUP BY client_id"
    ).fetchall()
    elapsed = time.perf_counter() - t
    conn.close()
    return elapsed


def settle_heap() -> None:
    """What the app does once started (``accountdesk.ui.app.settle_heap``): what start-up made
    leaves the garbage collector's reach, so that its full collections walk only what the
    session creates. Without it every figure here would carry collections the app does not make."""
    from accountdesk.ui.app import settle_heap as app_settle_heap

    app_settle_heap()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--profile", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    profile = ensure_profile(
        args.profile or Path(tempfile.gettempdir()) / f"accountdesk-bench-dashboard-{args.clients}",
        args.clients,
    )
    from accountdesk.paths import database_path
    from accountdesk.services import dashboard
    from accountdesk.services.context import open_profile

    ctx = open_profile(profile)
    date_from, date_to = dashboard.period("12m", ctx.today())
    dashboard.load_dashboard(ctx)  # warm the page cache once, as the app has after start
    settle_heap()
    times, floors, parts = [], [], []
    for _ in range(args.runs):
        floors.append(floor(database_path(profile), date_from, date_to))
        t = time.perf_counter()
        board = dashboard.load_dashboard(ctx, date_from=date_from, date_to=date_to)
        times.append(time.perf_counter() - t)
        parts.append(board.timings)
    owner = max((m for m in board.visits if m.user_id), key=lambda m: m.planned).user_id
    mine = []
    for _ in range(args.runs):
        t = time.perf_counter()
        small = dashboard.load_dashboard(ctx, owner_id=owner)
        mine.append(time.perf_counter() - t)
    first, first_cpu, standing, standing_cpu, standing_floors = [], [], [], [], []
    for _ in range(args.runs):
        t, c = time.perf_counter(), time.process_time()
        dashboard.load_dashboard(ctx, date_from=date_from, date_to=date_to, standing=False)
        first.append(time.perf_counter() - t)
        first_cpu.append(time.process_time() - c)
        standing_floors.append(standing_floor(database_path(profile)))
        t, c = time.perf_counter(), time.process_time()
        dashboard.load_standing(ctx)
        standing.append(time.perf_counter() - t)
        standing_cpu.append(time.process_time() - c)
    # both steps at once, as the page runs them (the period's figures on the database lane, the
    # second step on the pool): wall time to the last figure, and CPU of the whole process
    both, both_cpu = [], []
    for _ in range(args.runs):
        t, c = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(2) as pool:
            period_step = pool.submit(
                dashboard.load_dashboard, ctx, date_from=date_from, date_to=date_to, standing=False
            )
            standing_step = pool.submit(dashboard.load_standing, ctx)
            period_step.result(), standing_step.result()
        both.append(time.perf_counter() - t)
        both_cpu.append(time.process_time() - c)
    fl = statistics.median(floors)
    sfl = statistics.median(standing_floors)
    print(
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: wall times include waiting for the CPU)"
    )
    print(
        f"dashboard, served to standard and at-risk (the second step): median {statistics.median(standing) * 1000:.0f} ms "
        f"(CPU {statistics.median(standing_cpu) * 1000:.0f} ms), worst {max(standing) * 1000:.0f} ms | floor (raw SQL "
        f"reads of plans, complaints, risks, surveys) {sfl * 1000:.0f} ms | ratio {statistics.median(standing) / sfl:.1f}x"
    )
    print(
        f"dashboard, every figure (both steps): median {(statistics.median(first) + statistics.median(standing)) * 1000:.0f} ms "
        f"(CPU {(statistics.median(first_cpu) + statistics.median(standing_cpu)) * 1000:.0f} ms) | floors "
        f"{(fl + sfl) * 1000:.0f} ms (target: under 500 ms)"
    )
    print(
        f"dashboard, every figure, both steps at once as the page runs them: median "
        f"{statistics.median(both) * 1000:.0f} ms, worst {max(both) * 1000:.0f} ms (CPU of the process "
        f"median {statistics.median(both_cpu) * 1000:.0f} ms, worst {max(both_cpu) * 1000:.0f} ms; the wall time reaches the longer step's CPU only "
        f"with two idle cores) | floors {(fl + sfl) * 1000:.0f} ms (target: under 500 ms)"
    )
    print(
        f"dashboard, the period's figures (shown first): median {statistics.median(first) * 1000:.0f} ms "
        f"(CPU {statistics.median(first_cpu) * 1000:.0f} ms), worst "
        f"{max(first) * 1000:.0f} ms | floor {fl * 1000:.0f} ms | ratio {statistics.median(first) / fl:.1f}x "
        "(target: under 500 ms)"
    )
    print(
        f"dashboard, {board.clients} clients (supervisor): median {statistics.median(times) * 1000:.0f} ms, "
        f"worst {max(times) * 1000:.0f} ms | floor (raw SQL counts) {fl * 1000:.0f} ms | ratio "
        f"{statistics.median(times) / fl:.1f}x (target: under 500 ms)"
    )
    avg = {k: statistics.median(p[k] for p in parts) * 1000 for k in parts[0]}
    print("  parts (median ms): " + ", ".join(f"{k} {v:.0f}" for k, v in avg.items()))
    print(
        f"my portfolio, {small.clients} clients: median {statistics.median(mine) * 1000:.0f} ms, worst {max(mine) * 1000:.0f} ms"
    )
    ctx.close()
    try:
        page_fill(profile, args.runs)
    except ImportError as exc:  # pragma: no cover - the page lands after the service
        print(f"(page figure skipped: {exc})")
    return 0


def page_fill(profile: Path, runs: int) -> None:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from accountdesk.services.context import open_profile
    from accountdesk.ui.pages.dashboard import DashboardPage
    from accountdesk.ui.tasks import TaskManager

    app = QApplication.instance() or QApplication([])
    ctx = open_profile(profile)
    tasks = TaskManager()
    loop = QEventLoop()
    done: list[float] = []

    def arrived() -> None:
        done.append(time.perf_counter())
        loop.quit()

    def fill(start) -> tuple[float, float]:
        # As the app waits: Qt's event loop asleep until the result's event comes (a loop that
        # polls would take the GIL from the workers every millisecond and count its own CPU).
        done.clear()
        t, c = time.perf_counter(), time.process_time()
        start()
        if not done:
            loop.exec()
        page.repaint()
        app.processEvents()
        return time.perf_counter() - t, time.process_time() - c

    page = DashboardPage(tasks)
    page.resize(1280, 800)
    page.show()
    page.loaded.connect(arrived)
    # The first fill of a new page on a profile just opened: SQLAlchemy's and SQLite's caches cold
    # (the app makes the page in the background once idle after start: ui/app.prepare_dashboard).
    first, first_cpu = fill(lambda: page.attach(ctx))
    out, out_cpu, period = [], [], []
    for _ in range(runs):
        wall, cpu = fill(page.refresh)
        out.append(wall)
        out_cpu.append(cpu)
        combo = page.period_combo
        period.append(
            fill(lambda combo=combo: combo.setCurrentIndex((combo.currentIndex() + 1) % combo.count()))[0]
        )
    print(
        f"dashboard page, the first fill after it is made (caches cold; made in the background after start): "
        f"{first * 1000:.0f} ms (CPU of the process {first_cpu * 1000:.0f} ms)"
    )
    print(
        f"dashboard page, every figure filled in the background and painted: median {statistics.median(out) * 1000:.0f} ms, "
        f"worst {max(out) * 1000:.0f} ms (CPU of the process median {statistics.median(out_cpu) * 1000:.0f} ms, "
        f"worst {max(out_cpu) * 1000:.0f} ms) (target: under 500 ms)"
    )
    print(
        f"dashboard page, another period chosen (served/at-risk kept for the day): median "
        f"{statistics.median(period) * 1000:.0f} ms, worst {max(period) * 1000:.0f} ms (target: under 500 ms)"
    )
    tasks.wait(60_000)
    tasks.shutdown()
    ctx.close()


if __name__ == "__main__":
    raise SystemExit(main())
