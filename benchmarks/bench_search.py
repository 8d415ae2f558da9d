"""Search on a 10,000-client / 60,000-contact profile: p50/p95 per query kind beside a floor.

    python benchmarks/bench_search.py [--clients 10000] [--contacts 60000] [--runs 50] [--synthetic]

The profile comes from the demo generator (``accountdesk.services.demo.generate_demo``) when it
exists, otherwise from a simple synthetic generator in this file (``--synthetic`` forces it);
contacts are then topped up to ``--contacts`` with synthetic ones.
Rows are written with plain SQL, so the search index is filled by its triggers as for any other
writer.

For each kind of query (Chinese 2/3-4 characters, pinyin initials, full pinyin, mixed pinyin such
as ``huhkj``, phone digits, a person's name) it times, over several different queries of that kind:

- ``search``: the global search service (``services.search.search``, 50 hits, with scope and
  snippets);
- ``list``: the first page (200 rows) of the client list filtered by the query, with its count;
- ``floor``: a raw SQL ``LIKE '%q%'`` over the table that holds that kind of text (client names,
  contact names, contact mobiles; for pinyin the index's own pinyin column), with LIMIT 50,
  on the same connection pool: what a query costs with no index at all.

It prints p50/p95 of each in milliseconds and the ratio search p95 / floor p95.
Target (issue 2): search p95 under 30 ms and within 3x the floor.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accountdesk.models import new_id  # noqa: E402
from accountdesk.services import search as S  # noqa: E402
from accountdesk.services.context import open_profile  # noqa: E402
from accountdesk.store import search as index  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力斌宇浩凯健俊帆帅旭宁琳晨欣怡佳雪梅云峰鹏飞晓东海波志刚国庆春兰"
CITIES = [
    "北京",
    "上海",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "重庆",
    "武汉",
    "西安",
    "天津",
    "长沙",
    "郑州",
    "青岛",
    "厦门",
    "宁波",
    "合肥",
    "福州",
    "济南",
]
WORDS = [
    "华信",
    "中科",
    "远航",
    "护航",
    "金桥",
    "恒通",
    "瑞丰",
    "博达",
    "天成",
    "新创",
    "宏图",
    "鼎盛",
    "东方",
    "联合",
    "卓越",
    "星辰",
    "海纳",
    "明德",
    "正泰",
    "安达",
    "润和",
    "开元",
    "汇丰",
    "长青",
    "腾飞",
    "嘉禾",
    "永信",
    "众诚",
    "凯瑞",
    "同创",
]
INDUSTRIES = [
    "科技",
    "制药",
    "物流",
    "检测",
    "能源",
    "食品",
    "化工",
    "电子",
    "建设",
    "环保",
    "医疗器械",
    "汽车零部件",
    "材料",
    "传媒",
]
SUFFIX = ["有限公司", "股份有限公司", "集团有限公司", "技术服务有限公司"]
PROVINCES = [
    "北京市",
    "上海市",
    "广东省",
    "浙江省",
    "江苏省",
    "四川省",
    "重庆市",
    "湖北省",
    "陕西省",
    "天津市",
    "湖南省",
    "河南省",
    "山东省",
    "福建省",
    "安徽省",
]
NOTES = [
    "报告需在周五前送达质量部",
    "客户偏好电话沟通，邮件回复慢",
    "年底预算紧张，避免十二月报价",
    "质量总监重视检测周期",
    "现场需要提前一天预约门禁",
    "财务要求发票注明合同编号",
    "采购流程需三方比价",
    "夜班联系值班主管",
]


def synthetic_profile(ctx, clients: int, per_client: int, seed: int) -> None:
    """Clients, contacts and service notes written with plain SQL (the index fills by triggers)."""
    rnd = random.Random(seed)
    now = "2026-01-01 00:00:00.000000"
    raw = ctx.store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN IMMEDIATE")
        client_rows, contact_rows, note_rows = [], [], []
        for i in range(clients):
            cid = new_id()
            city = rnd.choice(CITIES)
            name = f"{city}{rnd.choice(WORDS)}{rnd.choice(INDUSTRIES)}{rnd.choice(SUFFIX)}"
            if i % 97 == 0:
                name = f"{city}华为{rnd.choice(INDUSTRIES)}{rnd.choice(SUFFIX)}"
            client_rows.append(
                (
                    cid,
                    cid,
                    name,
                    rnd.choice(["strategic", "key", "standard"]),
                    "active",
                    rnd.choice(PROVINCES),
                    "[]",
                    now,
                    "x",
                    rnd.randint(50, 5000) * 1000,
                )
            )
            for _ in range(per_client):
                person = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
                mobile = "+861" + rnd.choice("3578") + "".join(rnd.choice("0123456789") for _ in range(9))
                email = f"user{rnd.randint(1, 10**6)}@example{rnd.randint(1, 500)}.cn"
                contact_rows.append((new_id(), cid, person, mobile, email, "经理", now, "x", 0))
            if rnd.random() < 0.8:
                note_rows.append((new_id(), cid, rnd.choice(NOTES), now, "x", 0))
        cur.executemany(
            "INSERT INTO clients (id, client_id, name, tier, status, province, tags, created_at, updated_at, annual_fees) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            client_rows,
        )
        cur.executemany(
            "INSERT INTO contacts (id, client_id, name, mobile, email, title, created_at, updated_at, is_primary) VALUES (?,?,?,?,?,?,?,?,?)",
            contact_rows,
        )
        cur.executemany(
            "INSERT INTO service_notes (id, client_id, text, created_at, updated_at, confidential) VALUES (?,?,?,?,?,?)",
            note_rows,
        )
        cur.execute("COMMIT")
    finally:
        raw.close()


def top_up_contacts(ctx, total: int, seed: int) -> int:
    """Add synthetic contacts (plain SQL, spread over the existing clients) until there are
    ``total``; returns how many were added."""
    rnd = random.Random(seed + 1)
    now = "2026-01-01 00:00:00.000000"
    with ctx.read() as session:
        conn = session.connection()
        have = conn.exec_driver_sql("SELECT count(*) FROM contacts WHERE deleted_at IS NULL").scalar()
        client_ids = [
            r[0] for r in conn.exec_driver_sql("SELECT id FROM clients WHERE deleted_at IS NULL").all()
        ]
    missing = total - have
    if missing <= 0 or not client_ids:
        return 0
    rows = []
    for _ in range(missing):
        person = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2))))
        mobile = "+861" + rnd.choice("3578") + "".join(rnd.choice("0123456789") for _ in range(9))
        rows.append(
            (
                new_id(),
                rnd.choice(client_ids),
                person,
                mobile,
                f"c{rnd.randint(1, 10**7)}@example.cn",
                "工程师",
                now,
                "x",
                0,
            )
        )
    raw = ctx.store.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.executemany(
            "INSERT INTO contacts (id, client_id, name, mobile, email, title, created_at, updated_at, is_primary) VALUES (?,?,?,?,?,?,?,?,?)",
            rows,
        )
        cur.execute("COMMIT")
    finally:
        raw.close()
    return missing


def build(ctx, clients: int, per_client: int, seed: int, synthetic: bool, contacts: int) -> str:
    source = "synthetic"
    if not synthetic:
        try:
            from accountdesk.services.demo import generate_demo  # type: ignore[attr-defined]
        except ImportError:
            generate_demo = None
        if generate_demo is not None:
            generate_demo(ctx, clients=clients, seed=seed)
            source = "demo generator"
    if source == "synthetic":
        synthetic_profile(ctx, clients, per_client, seed)
    added = top_up_contacts(ctx, contacts, seed)
    if added:
        source += f" + {added} synthetic contacts"
    return source


def pick_queries(ctx, rnd: random.Random, n: int) -> dict[str, list[tuple[str, str, str]]]:
    """Real queries drawn from the data: kind -> [(query, floor table, floor column)]."""
    with ctx.read() as session:
        conn = session.connection()
        names = [
            r[0] for r in conn.exec_driver_sql("SELECT name FROM clients WHERE deleted_at IS NULL").all()
        ]
        people = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT name FROM contacts WHERE deleted_at IS NULL LIMIT 20000"
            ).all()
        ]
        mobiles = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT mobile FROM contacts WHERE mobile IS NOT NULL LIMIT 20000"
            ).all()
        ]
    han = [nm for nm in names if index._HAN.match(nm)]
    out: dict[str, list[tuple[str, str, str]]] = {
        k: []
        for k in ("chinese-2", "chinese-3/4", "initials", "full-pinyin", "mixed-pinyin", "phone", "person")
    }
    for _ in range(n):
        nm = rnd.choice(han)
        start = rnd.randrange(0, max(1, min(len(nm) - 4, 6)))
        out["chinese-2"].append((nm[start : start + 2], "clients", "name"))
        out["chinese-3/4"].append((nm[start : start + rnd.choice((3, 4))], "clients", "name"))
        run = index._HAN.match(nm).group()[:4]
        forms = index.pinyin_forms(run)
        out["initials"].append((forms[1], "search_rows", "name_doc"))
        out["full-pinyin"].append((forms[0][: max(4, len(forms[0]) // 2)], "search_rows", "name_doc"))
        syllables = index._han_readings(run)[0]
        out["mixed-pinyin"].append(
            (syllables[0] + "".join(x[0] for x in syllables[1:]), "search_rows", "name_doc")
        )
        m = index.digits(rnd.choice(mobiles))[-11:]
        s = rnd.randrange(0, 4)
        out["phone"].append((m[s : s + 7], "contacts", "mobile"))
        out["person"].append((rnd.choice(people), "contacts", "name"))
    return out


def measure_rebuild(ctx) -> None:
    """Index upkeep: rebuilding the whole index (what the triggers do row by row) beside a floor
    that copies the same source columns into a plain table."""
    with ctx.store.write() as session:
        conn = session.connection()
        t0 = time.perf_counter()
        conn.exec_driver_sql(
            "CREATE TEMP TABLE floor_copy AS "
            "SELECT id, client_id, name, short_name, uscc, NULL AS a, NULL AS b, NULL AS c, NULL AS d FROM clients "
            "UNION ALL SELECT id, client_id, name, mobile, phone, email, title, department, notes FROM contacts "
            "UNION ALL SELECT id, client_id, category, text, NULL, NULL, NULL, NULL, NULL FROM service_notes"
        )
        floor = time.perf_counter() - t0
        conn.exec_driver_sql("DROP TABLE floor_copy")
        index.pinyin_forms.cache_clear()
        index._han_readings.cache_clear()
        index._word_readings.cache_clear()
        t0 = time.perf_counter()
        rows = index.rebuild(conn)
        took = time.perf_counter() - t0
    with ctx.store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    print(
        f"index rebuild: {rows} rows in {took:.1f} s ({took / rows * 1e6:.0f} us/row; pinyin, trigram and gram indexes)"
        f" beside a plain copy of the same columns: {floor:.2f} s (ratio {took / floor:.0f})"
    )


def timed(fn, *args, **kwargs) -> float:
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    return (time.perf_counter() - t0) * 1000


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
    return values[k]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--contacts-per-client", type=int, default=6, help="synthetic profile only")
    ap.add_argument("--contacts", type=int, default=60_000, help="top the contacts up to this many")
    ap.add_argument("--runs", type=int, default=50, help="different queries per kind")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--synthetic", action="store_true", help="use the synthetic generator even if the demo one exists"
    )
    ap.add_argument("--data-dir", type=Path, help="reuse (or create) the profile here")
    ap.add_argument("--rebuild", action="store_true", help="also time a full rebuild of the index")
    args = ap.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-search-"))
    ctx = open_profile(data_dir)
    with ctx.read() as session:
        existing = session.connection().exec_driver_sql("SELECT count(*) FROM clients").scalar()
    if not existing:
        t0 = time.perf_counter()
        source = build(ctx, args.clients, args.contacts_per_client, args.seed, args.synthetic, args.contacts)
        print(f"profile: {source}, built in {time.perf_counter() - t0:.1f} s (index filled by triggers)")
        with ctx.store.engine.connect() as conn:  # fold the big write-ahead log into the file
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    with ctx.read() as session:
        conn = session.connection()
        counts = {
            t: conn.exec_driver_sql(f"SELECT count(*) FROM {t} WHERE deleted_at IS NULL").scalar()
            for t in ("clients", "contacts", "service_notes")
        }
        indexed = conn.exec_driver_sql("SELECT count(*) FROM search_rows").scalar()
    print(
        f"rows: {counts}, indexed: {indexed}, file: {(data_dir / 'accountdesk.sqlite3').stat().st_size / 2**20:.0f} MiB"
    )

    if args.rebuild:
        measure_rebuild(ctx)

    rnd = random.Random(args.seed)
    queries = pick_queries(ctx, rnd, args.runs)
    # Warm up caches (page cache, pinyin tables, statement cache).
    for kind in queries:
        for q, _t, _c in queries[kind][:3]:
            S.search(ctx, q)
            S.list_clients_page(ctx, search=q)

    print()
    print(
        f"{'query kind':<12} {'example':<14} {'search p50':>10} {'p95':>7} {'list p50':>9} {'p95':>7}"
        f" {'floor p50':>10} {'p95':>7} {'ratio':>6}  hits"
    )
    worst = 0.0
    ok = True
    for kind, items in queries.items():
        s_times, l_times, f_times, hits = [], [], [], []
        for q, table, col in items:
            s_times.append(timed(S.search, ctx, q))
            hits.append(len(S.search(ctx, q)))

            def listing(q=q):
                S.list_clients_page(ctx, search=q)
                S.count_clients(ctx, search=q)

            l_times.append(timed(listing))
            like = f"%{q}%"

            def floor(like=like, table=table, col=col):
                with ctx.read() as session:
                    session.connection().exec_driver_sql(
                        f"SELECT id FROM {table} WHERE {col} LIKE ? LIMIT 50", (like,)
                    ).all()

            f_times.append(timed(floor))
        sp95, fp95 = pct(s_times, 95), pct(f_times, 95)
        ratio = sp95 / fp95 if fp95 else float("inf")
        worst = max(worst, sp95)
        ok = ok and sp95 < 30 and ratio <= 3
        print(
            f"{kind:<12} {items[0][0]:<14} {pct(s_times, 50):>10.2f} {sp95:>7.2f} {pct(l_times, 50):>9.2f} {pct(l_times, 95):>7.2f}"
            f" {pct(f_times, 50):>10.2f} {fp95:>7.2f} {ratio:>6.2f}  {statistics.median(hits):.0f}"
        )
    print()
    print(
        f"worst search p95: {worst:.2f} ms; target: < 30 ms and within 3x the floor -> {'met' if ok else 'NOT met'}"
    )
    ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
