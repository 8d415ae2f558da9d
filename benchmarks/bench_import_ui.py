"""The import wizard on a 10,000-row GBK CSV, each figure beside a floor measured in the same run.

    python benchmarks/bench_import_ui.py [--rows 10000] [--runs 3]

Qt runs offscreen. Figures (median of the runs):

- file → columns page: Next on the first step until the mapping page shows, against
  ``plan_import`` called directly on the same file (the work itself);
- a mapping change → new counts: a combo box changed until the summary shows the new plan (with
  the wizard's 250 ms pause for more changes), against ``plan_import`` with that mapping;
- columns → preview page: filling the preview, duplicates and rejected tables (GUI thread only);
- import → result page: Import until the result shows, against ``run_import`` on a fresh profile;
- the longest stall of the GUI thread in each background step (a 20 ms timer's largest gap),
  against the same timer on an idle event loop; also the longest garbage-collector pause in those
  spans (a full collection holds the GIL, so it stops the GUI thread too: on this machine it is
  what the planning stalls are made of).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from accountdesk.domain.validation import uscc_check_char  # noqa: E402
from accountdesk.i18n import set_language  # noqa: E402
from accountdesk.io.importer import plan_import, run_import  # noqa: E402
from accountdesk.services.clients import create_client  # noqa: E402
from accountdesk.services.context import open_profile  # noqa: E402

CITIES = ["上海", "北京", "深圳", "广州", "杭州", "成都", "武汉", "南京"]


def uscc(n: int) -> str:
    body = f"91310000{n:09d}"
    return body + uscc_check_char(body)


def make_csv(path: Path, rows: int) -> None:
    """GBK as Excel saves it; every 100th row a bad credit code, every 50th a duplicate name."""
    lines = ["客户名称,统一社会信用代码,行业,客户等级,城市,员工人数,备忘"]
    for i in range(rows):
        name = "已有客户0001有限公司" if i % 50 == 49 else f"测试客户{i:05d}科技有限公司"
        code = "91310000XXXXXXXXX1" if i % 100 == 99 else uscc(i)
        lines.append(f"{name},{code},检测,重点客户,{CITIES[i % 8]},{100 + i % 900},备注{i}")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))


class GcPauses:
    """The longest pause of Python's cyclic garbage collector while started."""

    def __init__(self) -> None:
        import gc

        self.worst = 0.0
        self._t0 = 0.0
        self.on = False
        gc.callbacks.append(self._cb)

    def _cb(self, phase: str, _info) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        elif self.on:
            self.worst = max(self.worst, (time.perf_counter() - self._t0) * 1000)


GC = GcPauses()


class Stalls:
    """The largest gap between ticks of a 20 ms timer (how long the GUI thread was kept from running).
    Not finer: every wake-up of the GUI thread takes the GIL from the worker and slows it down."""

    def __init__(self) -> None:
        self.clock = QElapsedTimer()
        self.timer = QTimer()
        self.timer.setInterval(20)
        self.timer.timeout.connect(self._tick)
        self.worst = 0.0

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed() / 1e6
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def start(self) -> None:
        GC.worst, GC.on = 0.0, True
        self.worst = 0.0
        self.clock.start()
        self.last = 0.0
        self.timer.start()

    def stop(self) -> float:
        GC.on = False
        self.timer.stop()
        return self.worst


def spin(until, timeout: float = 120.0) -> None:
    end = time.perf_counter() + timeout
    while not until():
        if time.perf_counter() > end:
            raise TimeoutError
        loop = QEventLoop()
        QTimer.singleShot(10, loop.quit)
        loop.exec()


def fresh(template: Path, target: Path):
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(template, target)
    ctx = open_profile(target)
    _ = ctx.actor
    return ctx


def one_run(tmp: Path, template: Path, csv: Path, stalls: Stalls) -> dict[str, tuple[float, float]]:
    from accountdesk.ui.dialogs.import_wizard import ImportWizard
    from accountdesk.ui.tasks import TaskManager

    out: dict[str, tuple[float, float]] = {}
    # floors: the services on their own
    ctx = fresh(template, tmp / "floor")
    t0 = time.perf_counter()
    plan = plan_import(ctx, csv)
    t_plan = time.perf_counter() - t0
    t0 = time.perf_counter()
    plan_import(ctx, csv, "clients", {**plan.mapping, "备忘": "description"})
    t_replan = time.perf_counter() - t0
    t0 = time.perf_counter()
    run_import(ctx, plan, skip_rejected=True)
    t_run = time.perf_counter() - t0
    ctx.close()

    stalls.start()
    spin(lambda: stalls.clock.elapsed() >= 1000)
    idle = stalls.stop()

    ctx = fresh(template, tmp / "wizard")
    tasks = TaskManager()
    wizard = ImportWizard(ctx, tasks)
    wizard.show()
    wizard.path_edit.setText(str(csv))
    worst: dict[str, float] = {}
    gc_worst = 0.0

    def phase(name: str, act, until, floor: float) -> None:
        nonlocal gc_worst
        stalls.start()
        t0 = time.perf_counter()
        act()
        spin(until)
        out[name] = (time.perf_counter() - t0, floor)
        worst[name] = stalls.stop()
        gc_worst = max(gc_worst, GC.worst)

    phase("file → columns page", wizard.next_button.click, lambda: wizard.step == 1, t_plan)
    combo = wizard.combos[wizard.plan.columns.index("备忘")]
    phase(
        "mapping change → counts",
        lambda: combo.setCurrentIndex(combo.findData("description")),
        lambda: wizard.plan.mapping.get("备忘") == "description" and wizard.next_button.isEnabled(),
        t_replan,
    )
    phase("columns → preview page", wizard.next_button.click, lambda: wizard.step == 2, 0.0)
    wizard.skip_rejected_check.setChecked(True)
    phase("import → result page", wizard.next_button.click, lambda: wizard.result is not None, t_run)
    for name, ms in worst.items():
        if out[name][1]:  # the preview is filled on the GUI thread: its duration is the stall
            out[f"GUI stall: {name.split(' →')[0]} (ms)"] = (ms, idle)
    out["longest GC pause (ms)"] = (gc_worst, idle)
    assert wizard.result.created == plan.new, wizard.result
    wizard.accept()
    tasks.shutdown()
    ctx.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    set_language("en")
    app = QApplication.instance() or QApplication([])
    from accountdesk.ui.style import apply_style

    apply_style(app)
    stalls = Stalls()
    with tempfile.TemporaryDirectory() as tmpname:
        tmp = Path(tmpname)
        csv = tmp / "客户.csv"
        make_csv(csv, args.rows)
        template = tmp / "template"
        ctx = open_profile(template)
        create_client(ctx, name="已有客户0001有限公司")
        ctx.close()
        print(
            f"file: {args.rows} rows, GBK CSV, {csv.stat().st_size / 1e6:.1f} MB; {args.runs} runs, medians"
        )
        runs = [one_run(tmp, template, csv, stalls) for _ in range(args.runs)]
        for key in runs[0]:
            figure = statistics.median(r[key][0] for r in runs)
            floor = statistics.median(r[key][1] for r in runs)
            if key.endswith("(ms)"):
                print(
                    f"  {key:26} {figure:8.1f} ms   floor (idle loop) {floor:6.1f} ms   ratio {figure / floor:5.1f}x"
                )
            elif floor:
                print(
                    f"  {key:26} {figure:8.3f} s    floor (service)   {floor:6.3f} s    ratio {figure / floor:5.2f}x"
                )
            else:
                print(f"  {key:26} {figure:8.3f} s    (GUI thread only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
