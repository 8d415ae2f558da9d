"""The first screen's query (the Today page's quick agenda: the clients a user serves, owns work
on, or has an open complaint with a deadline for) reads from indexes, not whole tables (laptop
migration 0011_scope_indexes). At 10,000 clients it had read every planned visit and scanned the
complaints, cadences and improvement items - 96 ms plaintext, 500 ms in an encrypted profile, which
decrypts each page it reads (issue 14's benchmark); with the indexes 4 and 13.5 ms. The visits planned
today were then still found by status alone in ix_visits_cadence (every planned visit's entry: ~300
of the ~1,040 pages the query read): by status and time since 0014_visits_day. It then still read
the row of each of the ~700 clients with an open complaint before testing whether the user serves
it (~740 pages): since 0017_today_covering it narrows the client ids from indexes first.

SQLite plans without statistics here (the app never runs ANALYZE), so the plan of a small profile is
the plan of a large one."""

from __future__ import annotations

from sqlalchemy import event

from accountdesk.services.demo import generate_demo
from accountdesk.services.triage import triage


def test_the_first_screen_query_reads_no_whole_table_of_work(ctx):
    generate_demo(ctx, clients=12, seed=5)
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        seen.append((statement, parameters))

    event.listen(ctx.store.engine, "before_cursor_execute", record)
    try:
        triage(ctx, scope="mine", quick=True)
    finally:
        event.remove(ctx.store.engine, "before_cursor_execute", record)
    [(statement, parameters)] = [s for s in seen if s[0].startswith("SELECT clients.id, clients.name")]
    raw = ctx.store.engine.raw_connection()
    try:
        plan = [row[3] for row in raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()]
    finally:
        raw.close()
    # (the SCAN of a subquery's own rows, anon_N, reads no table)
    scans = [step for step in plan if step.startswith("SCAN") and not step.startswith("SCAN anon_")]
    assert scans == [], plan
    for index in (
        "ix_feedback_open",
        "ix_visits_day",  # today's planned visits by a range (0014), not every planned visit's entry
        # 0017: the user's clients and quick items by id from the indexes alone, before any
        # client's row is read (at 10,000 clients ~740 pages of complaint clients' rows before)
        "COVERING INDEX ix_clients_owner",
        "COVERING INDEX ix_clients_backup_owner",
        "COVERING INDEX ix_client_team_user",
        "COVERING INDEX ix_feedback_handler_open",
    ):
        assert any(index in step for step in plan), (index, plan)
