"""Benchmark the PDF reports against a floor measured in the same run.

    python benchmarks/bench_reports.py [--clients 200] [--workers 2] [--serial]

Figures (each beside its floor and the ratio):

1. one full dossier (the client with the most visits): load its DTOs from SQLite and lay it out —
   target under 1 s. Floor: a ReportLab document of the same page count made of plain paragraphs
   in the same embedded font.
2. the dossiers of every client in one PDF, split over ``--workers`` processes and concatenated —
   target under 2 minutes for 200 clients on 2 cores. Floor: a plain-paragraph document of the
   same total page count laid out in one process. ``--serial`` also times the batch in one process.

The demo profile is built first (not timed) with ``services.demo.generate_demo``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from accountdesk.i18n import set_language  # noqa: E402
from accountdesk.models import Client, Visit  # noqa: E402
from accountdesk.reports import render_dossiers  # noqa: E402
from accountdesk.reports.fonts import FONT  # noqa: E402
from accountdesk.reports.styles import BODY  # noqa: E402
from accountdesk.services.context import open_profile  # noqa: E402

LINE = "客户反映上月送检的压力表校准证书出具时间超过了合同约定的五个工作日，要求书面说明原因并给出整改措施。"


def floor_document(path: Path, pages: int) -> float:
    """Seconds to lay out ``pages`` pages of plain paragraphs (the same font, one process)."""
    story = []
    for _page in range(pages):
        story += [Paragraph(LINE * 2, BODY) for _ in range(18)]
        story.append(PageBreak())
    started = time.perf_counter()
    doc = SimpleDocTemplate(str(path), pagesize=A4, initialFontName=FONT)
    doc.build(story)
    return time.perf_counter() - started


def timed(fn, repeat: int = 1):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--serial", action="store_true", help="also time the batch in one process")
    parser.add_argument("--lang", default="zh_CN")
    args = parser.parse_args()
    set_language(args.lang)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ctx = open_profile(tmp / "profile")
        from accountdesk.services.demo import generate_demo

        started = time.perf_counter()
        generate_demo(ctx, clients=args.clients, seed=11, reference=dt.date(2026, 3, 16))
        print(
            f"demo profile: {args.clients} clients in {time.perf_counter() - started:.1f} s (not timed below)"
        )
        with ctx.read() as session:
            ids = list(
                session.scalars(select(Client.id).where(Client.deleted_at.is_(None)).order_by(Client.name))
            )
            richest = session.execute(
                select(Visit.client_id, func.count())
                .group_by(Visit.client_id)
                .order_by(func.count().desc())
                .limit(1)
            ).first()[0]

        # 1. one full dossier
        render_dossiers(ctx, [richest], tmp / "warm.pdf")  # warm-up: fonts, imports
        one_s, one = timed(lambda: render_dossiers(ctx, [richest], tmp / "one.pdf"), repeat=5)
        floor_one = statistics.median(floor_document(tmp / "floor1.pdf", one.pages) for _ in range(5))
        print(
            f"one dossier ({one.pages} pages, load + layout): {one_s * 1000:.0f} ms   "
            f"floor (plain paragraphs, {one.pages} pages): {floor_one * 1000:.0f} ms   ratio {one_s / floor_one:.1f}x   "
            f"target < 1000 ms: {'met' if one_s < 1 else 'MISSED'}"
        )

        # 2. the whole portfolio in one PDF
        import os

        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(
            f"machine: {os.cpu_count()} cores, load average {load:.1f} (other work on the machine slows the parallel run)"
        )
        batch_s, batch = timed(lambda: render_dossiers(ctx, ids, tmp / "batch.pdf", workers=args.workers))
        floor_batch = floor_document(tmp / "floor_batch.pdf", batch.pages)
        size = (tmp / "batch.pdf").stat().st_size / 1e6
        print(
            f"{len(ids)} dossiers in one PDF ({batch.pages} pages, {size:.1f} MB, {args.workers} processes): {batch_s:.1f} s   "
            f"floor (plain paragraphs, {batch.pages} pages, 1 process): {floor_batch:.1f} s   ratio {batch_s / floor_batch:.2f}x   "
            f"target < 120 s: {'met' if batch_s < 120 else 'MISSED'}"
        )
        if args.serial:
            serial_s, _r = timed(lambda: render_dossiers(ctx, ids, tmp / "serial.pdf", workers=1))
            print(
                f"the same batch in 1 process: {serial_s:.1f} s   ratio to floor {serial_s / floor_batch:.2f}x   "
                f"speed-up with {args.workers} processes: {serial_s / batch_s:.2f}x"
            )
        ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
