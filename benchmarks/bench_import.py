"""Import of 10,000 clients with 60,000 contacts from one .xlsx, beside the floor of reading the
same file with openpyxl alone (read-only mode, every cell of both sheets).

    python benchmarks/bench_import.py [--clients N] [--contacts-per-client K]

Prints each figure with the floor and the ratio (target: import within 3x the floor).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from accountdesk.i18n import set_language
from accountdesk.io.importer import plan_import, run_import
from accountdesk.services.context import open_profile
from accountdesk.services.validation import uscc_check_char

CITIES = ["上海", "北京", "深圳", "广州", "杭州", "成都", "武汉", "南京"]
TITLES = ["总经理", "采购经理", "技术总监", "质量经理", "财务", "实验室主任"]


def uscc(n: int) -> str:
    body = f"91310000{n:09d}"
    return body + uscc_check_char(body)


def make_workbook(path: Path, clients: int, per_client: int) -> None:
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(["客户名称", "统一社会信用代码", "行业", "客户等级", "城市", "员工人数", "地址"])
    for i in range(clients):
        ws.append([f"测试客户{i:05d}科技有限公司", uscc(i), "检测", "standard", CITIES[i % 8], 100 + i % 900, f"{CITIES[i % 8]}市某某路{i}号"])
    ws = wb.create_sheet("联系人")
    ws.append(["客户名称", "姓名", "职务", "手机", "邮箱"])
    n = 0
    for i in range(clients):
        for k in range(per_client):
            ws.append([f"测试客户{i:05d}科技有限公司", f"联系人{n:06d}", TITLES[k % 6], f"139{n:08d}", f"p{n}@example.com"])
            n += 1
    wb.save(path)


def clock() -> tuple[float, float]:
    """(wall, CPU of this process): the machine may be shared, so both are shown."""
    return time.perf_counter(), time.process_time()


def floor_read(path: Path) -> tuple[float, float, int]:
    w0, c0 = clock()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cells = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            cells += len(row)
    wb.close()
    w1, c1 = clock()
    return w1 - w0, c1 - c0, cells


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--contacts-per-client", type=int, default=6)
    args = ap.parse_args()
    set_language("en")
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        book = tmpdir / "import.xlsx"
        make_workbook(book, args.clients, args.contacts_per_client)
        print(f"file: {args.clients} clients, {args.clients * args.contacts_per_client} contacts, "
              f"{book.stat().st_size / 1e6:.1f} MB")
        floor, floor_cpu, cells = floor_read(book)
        ctx = open_profile(tmpdir / "profile")
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
        assert res_c.created == args.clients, res_c
        assert res_p.created == args.clients * args.contacts_per_client, (res_p, plan_p.rejected[:3])
        step = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(marks, marks[1:], strict=False)]
        names = ["plan clients", "run clients", "plan contacts", "run contacts"]
        print(f"floor: openpyxl read-only read of every cell ({cells} cells): {floor:.2f} s wall, {floor_cpu:.2f} s CPU")
        for name, (w, c) in zip(names, step, strict=True):
            print(f"  {name:14} {w:7.2f} s wall  {c:7.2f} s CPU")
        wall = marks[-1][0] - marks[0][0]
        cpu = marks[-1][1] - marks[0][1]
        print(f"import (preview + write, both sheets): {wall:.2f} s wall = {wall / floor:.1f}x the floor; "
              f"{cpu:.2f} s CPU = {cpu / floor_cpu:.1f}x the floor's CPU (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
