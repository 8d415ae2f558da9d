"""Notifications on a company's server: what the schedule costs every minute, and what a calendar
feed and a digest cost, each beside a floor measured in the same run.

    .venv/bin/python benchmarks/bench_notify.py [--clients 1000] [--sqlite]

- ``schedule, steady``: one run of the schedule (escalations and digests, nothing new to record)
  over the demo portfolio's complaints; floor: a raw SELECT of the same feedback records with
  their JSON decoded;
- ``schedule, catch-up``: the first run on a portfolio whose complaints were never escalated by
  the server (every level due is raised as a server change and announced);
- ``calendar feed`` and ``digest`` of the manager who owns the most clients: built from their
  scope's records; floor: a raw SELECT of those clients' records with their JSON decoded.
"""

from __future__ import annotations

import os

os.environ["ACCOUNTDESK_ARGON2_TEST"] = "1"

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sync import prepare, tear_down  # noqa: E402

from accountdesk.i18n import set_language  # noqa: E402
from accountdesk.server import calendar  # noqa: E402
from accountdesk.server import tables as t  # noqa: E402
from accountdesk.server.notify import admin, digest, scheduler, store  # noqa: E402
from accountdesk.server.notify.agenda import Agenda  # noqa: E402
from accountdesk.server.notify.rules import Directory, Recipient  # noqa: E402
from accountdesk.server.notify.settings import NotifySettings  # noqa: E402


def median_time(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def raw_records(db, entities=None, client_ids=None) -> int:
    with db.read() as conn:
        stmt = select(t.records.c.data)
        if entities:
            stmt = stmt.where(t.records.c.entity.in_(entities))
        if client_ids is not None:
            stmt = stmt.where(t.records.c.client_id.in_(client_ids))
        rows = [r if isinstance(r, dict) else json.loads(r) for r in conn.execute(stmt).scalars()]
    return len(rows)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--sqlite", action="store_true", help="use the embedded SQLite instead of PostgreSQL")
    args = parser.parse_args()
    set_language("en")
    workdir, url, db, drop, n_rows = prepare(args.sqlite, "bench-notify-", args.clients)
    try:
        ns = NotifySettings()
        admin.add_smtp(
            db, host="127.0.0.1", port=9, security="none", sender="desk@example.com"
        )  # recorded, not sent
        with db.read() as conn:
            feedback = len(store.open_feedback(conn))
        start = time.perf_counter()
        first = scheduler.record(db, ns)
        catch_up = time.perf_counter() - start
        print(
            f"schedule, catch-up: {first['raised']} levels raised, {first['announced']} announced over {feedback} "
            f"feedback records with a deadline in {catch_up * 1000:.0f} ms"
        )
        steady = median_time(lambda: scheduler.record(db, ns))
        floor = median_time(lambda: raw_records(db, ("feedback",)))
        print(
            f"schedule, steady: {steady * 1000:.0f} ms per run | floor (raw SELECT + JSON of the feedback records): "
            f"{floor * 1000:.0f} ms | ratio {steady / floor:.1f}x"
        )

        with db.read() as conn:
            owners = Counter(r["data"].get("owner_id") for r in store.live_records(conn, ("client",)))
            owner, n_clients = owners.most_common(1)[0]
            scope = [
                r["id"] for r in store.live_records(conn, ("client",)) if r["data"].get("owner_id") == owner
            ]
            name = (conn.execute(select(t.records.c.data).where(t.records.c.id == owner)).scalar() or {}).get(
                "username", owner
            )
        me = {
            "id": owner,
            "username": name,
            "display_name": name,
            "role": "manager",
            "active": True,
            "team": None,
            "language": "zh_CN",
            "time_zone": "Asia/Shanghai",
            "digest": True,
            "email": "x@example.com",
        }
        people = Directory([me], [], "zh_CN")
        now = dt.datetime.now(dt.UTC)

        def feed():
            with db.read() as conn:
                agenda = Agenda(conn, scope)
            return calendar.build(agenda, people, me, now)

        def mail():
            with db.read() as conn:
                agenda = Agenda(conn)
            return digest.build(agenda, people, Recipient(f"user:{owner}", "zh_CN", user=me), now)

        size = len(feed())
        feed_s = median_time(feed)
        floor = median_time(lambda: raw_records(db, None, scope))
        print(
            f"calendar feed of a manager with {n_clients} clients: {size / 1024:.0f} KiB in {feed_s * 1000:.0f} ms | floor "
            f"(raw SELECT + JSON of their records): {floor * 1000:.0f} ms | ratio {feed_s / floor:.1f}x"
        )
        digest_s = median_time(mail, 3)
        floor_all = median_time(lambda: raw_records(db), 3)
        print(
            f"digest of that manager (reads every record once): {digest_s * 1000:.0f} ms | floor (raw SELECT + JSON of "
            f"all {n_rows} records): {floor_all * 1000:.0f} ms | ratio {digest_s / floor_all:.1f}x"
        )
    finally:
        tear_down(None, db, drop, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
