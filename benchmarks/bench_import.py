"""Import of 10,000 clients with 60,000 contacts from one .xlsx, beside the floor of reading the
same file with openpyxl alone (read-only mode, every cell of both sheets).

    python benchmarks/bench_import.py [--clients N] [--contacts-per-client K] [--runs R] [--used-range] [--landline]

Prints each figure with the floor and the ratio (target: import within 3x the floor). Each run
reads the floor again just before importing into a new profile, so that a busy machine weighs on
both alike; the summary gives the median of the runs' ratios.

The floor is ``openpyxl.load_workbook(read_only=True)`` and every cell, as openpyxl's
documentation has it. Opening such a workbook, openpyxl parses each sheet that lacks a
``<dimension>`` element in full once (as every sheet written in its write-only mode does, this
file's included); the import's reader (accountdesk/io/csv_excel.py ``_load_workbook``) skips that
pass and takes plain text cells without openpyxl's rich-text objects, so the same read with the
import's reader is shown too, with the ratio against it. ``--used-range`` writes
the file with that element, as Excel does: then openpyxl has no such pass to make. ``--landline``
gives every contact a column more, the landline of its client (shared by the client's contacts).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from accountdesk.domain.validation import uscc_check_char
from accountdesk.i18n import set_language
from accountdesk.io.csv_excel import _load_workbook
from accountdesk.io.importer import plan_import, run_import
from accountdesk.services.context import open_profile

CITIES = ["上海", "北京", "深圳", "广州", "杭州", "成都", "武汉", "南京"]
TITLES = ["总经理", "采购经理", "技术总监", "质量经理", "财务", "实验室主任"]


def uscc(n: int) -> str:
    body = f"91310000{n:09d}"
    return body + uscc_check_char(body)


def make_workbook(
    path: Path, clients: int, per_client: int, *, used_range: bool = False, landline: bool = False
) -> None:
    """Both sheets in openpyxl's write-only mode, or (``used_range``) saved as a whole workbook,
    which writes the <dimension> element as Excel does."""
    wb = openpyxl.Workbook(write_only=not used_range)
    if used_range:
        wb.remove(wb.active)
    ws = wb.create_sheet("客户")
    ws.append(["客户名称", "统一社会信用代码", "行业", "客户等级", "城市", "员工人数", "地址"])
    for i in range(clients):
        ws.append(
            [
                f"测试客户{i:05d}科技有限公司",
                uscc(i),
                "检测",
                "standard",
                CITIES[i % 8],
                100 + i % 900,
                f"{CITIES[i % 8]}市某某路{i}号",
            ]
        )
    ws = wb.create_sheet("联系人")
    ws.append(["客户名称", "姓名", "职务", "手机", "邮箱", *(["电话"] if landline else [])])
    n = 0
    for i in range(clients):
        phone = [f"021-6{i:07d}"] if landline else []
        for k in range(per_client):
            ws.append(
                [
                    f"测试客户{i:05d}科技有限公司",
                    f"联系人{n:06d}",
                    TITLES[k % 6],
                    f"139{n:08d}",
                    f"p{n}@example.com",
                    *phone,
                ]
            )
            n += 1
    wb.save(path)


def clock() -> tuple[float, float]:
    """(wall, CPU of this process): the machine may be shared, so both are shown."""
    return time.perf_counter(), time.process_time()


def floor_read(path: Path, load=None) -> tuple[float, float, int]:
    w0, c0 = clock()
    wb = load(path) if load else openpyxl.load_workbook(path, read_only=True, data_only=True)
    cells = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells += len(row)
    wb.close()
    w1, c1 = clock()
    return w1 - w0, c1 - c0, cells


def import_once(book: Path, profile: Path, clients: int, contacts: int) -> list[tuple[float, float]]:
    """Preview and write both sheets into a new profile; (wall, CPU) of each of the four steps."""
    ctx = open_profile(profile)
    _ = ctx.actor
    marks = [clock()]
    plan_c = plan_import(ctx, book, "clients")
    marks.append(clock())
    res_c = run_import(ctx, plan_c)
    marks.append(clock())
    plan_p = plan_import(ctx, book, "contacts")
    marks.append(clock())
    res_p = run_import(ctx, plan_p)
    marks.append(clock())
    ctx.close()
    assert res_c.created == clients, res_c
    assert res_p.created == contacts, (res_p, plan_p.rejected[:3])
    return [(b[0] - a[0], b[1] - a[1]) for a, b in zip(marks, marks[1:], strict=False)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--contacts-per-client", type=int, default=6)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--used-range", action="store_true", help="write the <dimension> element as Excel does")
    ap.add_argument("--landline", action="store_true", help="contacts have their client's landline too")
    args = ap.parse_args()
    set_language("en")
    contacts = args.clients * args.contacts_per_client
    names = ["plan clients", "run clients", "plan contacts", "run contacts"]
    ratios: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        book = tmpdir / "import.xlsx"
        make_workbook(
            book, args.clients, args.contacts_per_client, used_range=args.used_range, landline=args.landline
        )
        print(
            f"file: {args.clients} clients, {contacts} contacts, {book.stat().st_size / 1e6:.1f} MB"
            f"{', with its used range' if args.used_range else ''}{', with landlines' if args.landline else ''}"
        )
        for run in range(1, args.runs + 1):
            floor, floor_cpu, cells = floor_read(book)
            lean, lean_cpu, _cells = floor_read(book, _load_workbook)
            step = import_once(book, tmpdir / f"profile{run}", args.clients, contacts)
            print(
                f"run {run}: floor: openpyxl read-only read of every cell ({cells} cells): "
                f"{floor:.2f} s wall, {floor_cpu:.2f} s CPU"
            )
            print(f"  (the same with the import's reader: {lean:.2f} s wall, {lean_cpu:.2f} s CPU)")
            for name, (w, c) in zip(names, step, strict=True):
                print(f"  {name:14} {w:7.2f} s wall  {c:7.2f} s CPU")
            wall = sum(w for w, _c in step)
            cpu = sum(c for _w, c in step)
            ratios.append((wall / floor, cpu / floor_cpu, cpu / lean_cpu))
            print(
                f"  import (preview + write, both sheets): {wall:.2f} s wall = {wall / floor:.1f}x the floor; "
                f"{cpu:.2f} s CPU = {cpu / floor_cpu:.1f}x the floor's CPU "
                f"({cpu / lean_cpu:.1f}x the import's reader) (target <= 3x)"
            )
    if args.runs > 1:
        mid = [statistics.median(r[i] for r in ratios) for i in range(3)]
        print(
            f"median of {args.runs} runs: {mid[0]:.1f}x the floor (wall), {mid[1]:.1f}x (CPU), "
            f"{mid[2]:.1f}x the import's reader (CPU)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
