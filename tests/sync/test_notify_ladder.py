"""The complaint ladder on the server's schedule, step by step with an injected clock (the
schedule's ``now``), on SQLite and PostgreSQL: a laptop writes the complaint, the server raises
each level once and announces it once, pauses hold the clock, and a laptop that escalates the
same complaint itself agrees with the server (no conflict)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from accountdesk.models import Feedback
from accountdesk.server import tables as t
from accountdesk.server.notify import admin, channels, messages, rules, scheduler
from accountdesk.server.notify.settings import NotifySettings
from accountdesk.services import clients, feedback

H = dt.timedelta(hours=1)


def outbox(db) -> list[tuple[str, str]]:
    with db.read() as conn:
        rows = conn.execute(
            select(t.notify_outbox.c.key, t.notify_outbox.c.recipient).where(
                t.notify_outbox.c.key.like("esc:%")
            )
        )
        return sorted((r.key.split(":")[2], r.recipient) for r in rows)


def level(db, fid) -> int:
    with db.read() as conn:
        return conn.execute(select(t.records.c.data).where(t.records.c.id == fid)).scalar_one()[
            "escalation_level"
        ]


def setup(server):
    li = server.add_user("li", "manager")
    admin.set_user(server.db, "li", email="li@example.cn")
    admin.reset_rules(server.db)
    admin.add_smtp(
        server.db, host="127.0.0.1", port=9, security="none", sender="desk@example.cn"
    )  # never reached here
    return li


def test_each_level_is_raised_and_announced_once(server, make_device):
    li = setup(server)
    dev = make_device("li")
    dev.sync()
    cid = clients.create_client(dev.ctx, name="蓝海检测")
    received = dt.datetime.now(dt.UTC)
    fid = feedback.record_feedback(
        dev.ctx, cid, "complaint", "报告延误", severity="high", received_at=received
    )
    paused = feedback.record_feedback(
        dev.ctx, cid, "complaint", "等待客户资料", severity="high", received_at=received
    )
    feedback.pause_feedback(dev.ctx, paused)
    dev.sync()
    ns = NotifySettings()
    steps = [
        (received + 20 * H, 0),
        (received + 25 * H, 1),
        (received + 25.5 * H, 1),
        (received + 41 * H, 2),
        (received + 49 * H, 3),
        (received + 100 * H, 3),
    ]
    for now, expected in steps:
        scheduler.record(server.db, ns, now)
        assert level(server.db, fid) == expected, now - received
        assert level(server.db, paused) == 0  # the clock is paused: no escalation
    # one message per level to the owner (handler rule: no handler, so the owner; deduplicated)
    assert outbox(server.db) == [("1", f"user:{li}"), ("2", f"user:{li}"), ("3", f"user:{li}")]
    with server.db.read() as conn:
        changes = (
            conn.execute(
                select(t.history.c.new).where(
                    t.history.c.row_id == fid,
                    t.history.c.field == "escalation_level",
                    t.history.c.device_id == "server",
                )
            )
            .scalars()
            .all()
        )
    assert changes == [1, 2, 3]
    dev.sync()
    with dev.ctx.read() as s:
        row = s.get(Feedback, fid)
        assert row.escalation_level == 3 and row.escalated_at == row.due_at


def test_a_laptop_escalating_the_same_complaint_agrees_with_the_server(server, make_device):
    setup(server)
    writer = make_device("li")
    writer.sync()
    cid = clients.create_client(writer.ctx, name="远航仪器")
    received = dt.datetime.now(dt.UTC) - 49 * H
    fid = feedback.record_feedback(
        writer.ctx, cid, "complaint", "现场迟到", severity="high", received_at=received
    )
    writer.sync()
    # another laptop has the complaint and escalates it itself, offline, while the server does too
    other = make_device("li", name="second-laptop")
    other.sync()
    assert [e.new_level for e in feedback.escalate_due_feedback(other.ctx)] == [3]
    scheduler.record(server.db, NotifySettings())
    report = other.sync()
    assert report.conflicts == 0  # the same level at the same moment: one value, not a conflict
    with other.ctx.read() as s:
        assert s.get(Feedback, fid).escalation_level == 3
    assert level(server.db, fid) == 3


def test_rules_choose_the_people_and_groups():
    users = [
        {
            "id": "m",
            "username": "li",
            "display_name": "李",
            "role": "manager",
            "active": True,
            "team": "华东",
        },
        {
            "id": "h",
            "username": "zhao",
            "display_name": "赵",
            "role": "field",
            "active": True,
            "team": "华东",
        },
        {
            "id": "s1",
            "username": "wang",
            "display_name": "王",
            "role": "supervisor",
            "active": True,
            "team": "华东",
        },
        {
            "id": "s2",
            "username": "boss",
            "display_name": "Boss",
            "role": "supervisor",
            "active": True,
            "team": None,
        },
        {
            "id": "x",
            "username": "gone",
            "display_name": "Gone",
            "role": "supervisor",
            "active": False,
            "team": "华东",
        },
    ]
    chans = [{"id": "g", "name": "quality", "kind": "wecom", "language": "en"}]
    d = rules.Directory(users, chans, "zh_CN")
    client = {"data": {"owner_id": "m", "tier": "key"}}
    assert [r.key for r in d.resolve("handler", client=client, feedback={"handler_id": "h"})] == ["user:h"]
    assert [r.key for r in d.resolve("handler", client=client, feedback={})] == [
        "user:m"
    ]  # no handler: the owner
    assert [r.key for r in d.resolve("team-supervisor", client=client)] == [
        "user:s1"
    ]  # not the deactivated one
    assert [r.key for r in d.resolve("team-supervisor", client={"data": {"owner_id": "s2"}})] == [
        "user:s2"
    ]  # no team
    assert [(r.key, r.language) for r in d.resolve("group:quality")] == [("group:quality", "en")]
    assert d.resolve("group:nope") == []
    rule = {"event": "escalation:3", "tier": "strategic", "severity": None}
    assert rules.matches(rule, "escalation", 3, "strategic", "low")
    assert not rules.matches(rule, "escalation", 3, "key", "low") and not rules.matches(
        rule, "escalation", 2, "strategic", "low"
    )
    assert rules.matches(
        {"event": "escalation", "tier": None, "severity": "critical"}, "escalation", 1, "key", "critical"
    )


def test_signatures_and_clock_texts():
    import base64
    import hashlib
    import hmac
    import urllib.parse

    secret = "SEC" + "x" * 61
    ts = 1_700_000_000_123
    url, _body = channels.webhook_request(
        "dingtalk",
        {"url": "https://robot.example/send?access_token=t", "secret": secret},
        {"title": "T", "sections": []},
        now=ts / 1000,
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    digest = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    assert query["timestamp"] == [str(ts)] and query["sign"] == [base64.b64encode(digest).decode()]
    _url, body = channels.webhook_request(
        "feishu",
        {"url": "https://robot.example/hook/1", "secret": secret},
        {"title": "T", "sections": []},
        now=1_700_000_000.9,
    )
    key = f"1700000000\n{secret}".encode()
    assert (
        body["timestamp"] == "1700000000"
        and body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    )
    now = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)
    tr_en = __import__("accountdesk.i18n", fromlist=["translator"]).translator("en")
    assert messages.remaining(tr_en, now + dt.timedelta(hours=3, minutes=20), now) == "3 h 20 min left"
    assert messages.remaining(tr_en, now - dt.timedelta(days=2, hours=4), now) == "overdue by 2 d 4 h"
    long = {
        "title": "标题",
        "sections": [{"heading": None, "items": ["很长的一行" * 200] * 5}],
        "tone": "danger",
    }
    assert len(channels.wecom_payload(long)["markdown"]["content"].encode()) <= channels.WECOM_MAX_BYTES


def test_a_users_email_and_team_set_on_the_server_reach_the_laptops(server, make_device, capsys):
    import io
    import json
    import sys

    from accountdesk.models import User
    from accountdesk.server.cli import main as server_main

    server.add_user("li", "manager")
    dev = make_device("li")
    dev.sync()
    argv = [
        "--database-url",
        server.database_url,
        "notify",
        "user",
        "li",
        "--email",
        "li@example.cn",
        "--team",
        "华东",
        "--language",
        "en",
        "--time-zone",
        "Asia/Urumqi",
        "--no-digest",
        "--json",
    ]
    old, sys.stdin = sys.stdin, io.StringIO("")
    try:
        assert server_main(argv) == 0
        shown = json.loads(capsys.readouterr().out)
        assert (
            server_main(
                ["--database-url", server.database_url, "notify", "user", "nobody", "--email", "x@example.cn"]
            )
            == 2
        )
        assert (
            server_main(
                ["--database-url", server.database_url, "notify", "user", "li", "--email", "not-an-address"]
            )
            == 2
        )
        assert "email:" in capsys.readouterr().err
    finally:
        sys.stdin = old
    assert shown == {
        "username": "li",
        "email": "li@example.cn",
        "team": "华东",
        "language": "en",
        "time_zone": "Asia/Urumqi",
        "digest": False,
    }
    dev.sync()
    with dev.ctx.read() as s:
        me = s.scalars(select(User).where(User.username == "li")).one()
        assert (me.email, me.team) == ("li@example.cn", "华东")


def test_no_feed_secret_or_robot_key_reaches_a_log():
    import logging

    from accountdesk.server import calendar

    calendar.hide_secrets_in_access_logs()
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.7:5123", "GET", "/v1/calendar/Zx9_secret-secret-secret-secret-42.ics", "1.1", 200),
        None,
    )
    for f in logging.getLogger("uvicorn.access").filters:
        f.filter(record)
    assert "secret" not in record.getMessage() and "/v1/calendar/…" in record.getMessage()
    # httpx would log each robot URL (with its key) at INFO
    assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING


def test_task_records_show_in_the_digest_and_the_calendar(server, make_device):
    """Tasks come with issue 15 (entity ``task``: owner_id, due_on, title, status, client_id); a task
    record of that shape, once laptops push it, is read by the digest and the feed."""
    from sqlalchemy import insert

    from accountdesk.server import calendar, repo
    from accountdesk.server.notify import digest, store
    from accountdesk.server.notify.agenda import Agenda

    li = server.add_user("li", "manager")
    dev = make_device("li")
    dev.sync()
    cid = clients.create_client(dev.ctx, name="蓝海检测")
    dev.sync()
    today = dt.datetime.now(dt.UTC).date()
    with server.db.write() as conn:
        seq = repo.current_seq(conn) + 1
        for i, (title, due, status) in enumerate(
            (
                ("寄送整改报告", today + dt.timedelta(days=2), "open"),
                ("已完成的事", today, "done"),
                ("远期任务", today + dt.timedelta(days=60), "open"),
            )
        ):
            conn.execute(
                insert(t.records).values(
                    id=f"task-{i}",
                    entity="task",
                    client_id=cid,
                    seq=seq,
                    deleted=False,
                    clocks={},
                    hidden=[],
                    data={
                        "owner_id": li,
                        "due_on": due.isoformat(),
                        "title": title,
                        "status": status,
                        "client_id": cid,
                    },
                )
            )
    with server.db.read() as conn:
        people = rules.Directory(store.users_with_prefs(conn), [], "zh_CN")
        agenda = Agenda(conn)
    me = people.users[li]
    mail = digest.build(agenda, people, people.person(me), dt.datetime.now(dt.UTC))
    tasks = next(s for s in mail["sections"] if s["heading"].startswith("已逾期及本周到期的任务"))
    assert tasks["items"] == [f"{(today + dt.timedelta(days=2)).isoformat()} 蓝海检测: 寄送整改报告"]
    import icalendar

    cal = icalendar.Calendar.from_ical(calendar.build(agenda, people, me, dt.datetime.now(dt.UTC)))
    summaries = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
    assert set(summaries) == {
        "任务：寄送整改报告（蓝海检测）",
        "任务：远期任务（蓝海检测）",
    }  # not the done one
    assert summaries["任务：寄送整改报告（蓝海检测）"].decoded("DTSTART") == today + dt.timedelta(
        days=2
    )  # all day
