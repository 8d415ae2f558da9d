"""The server tells people (issue 19), end to end: laptops write complaints and visits, real server
processes run the schedule, and real receivers on loopback (an aiosmtpd process, an HTTP process
playing the WeCom, DingTalk and Feishu robots and checking their formats and signatures) get
the messages."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys

import httpx
import icalendar
import pytest
from notify_env import (
    ROBOTS,
    RUNNING,
    SmtpReceiver,
    WebhookReceiver,
    laptop,
    self_signed,
    server_env,
    text_of,
    wait_for,
)
from sqlalchemy import select
from sync_env import PASSWORD, ServerProcess, create_pg_database, drop_pg_database, free_port

from accountdesk.models import Feedback
from accountdesk.server import tables as t
from accountdesk.server.cli import main as server_main
from accountdesk.server.notify import admin
from accountdesk.services import clients, feedback, service, visits

FEES = 8765432
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(autouse=True)
def _stop_receivers():
    """Receivers a failed test started are stopped all the same."""
    yield
    for receiver in list(RUNNING):
        receiver.stop()


def run(main, argv, capsys, stdin: str | None = None):
    old = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(argv)
    finally:
        sys.stdin = old
    out = capsys.readouterr()
    return code, out.out, out.err


def rules_without_digest(db) -> None:
    for rule in admin.reset_rules(db):
        if rule["event"] == "digest":
            admin.remove_rule(db, rule["id"])


def staff(srv) -> dict[str, str]:
    """A manager and a handler in team 华东 with their supervisor, and a supervisor of another team."""
    ids = {
        name: srv.add_user(name, role)
        for name, role in (
            ("li", "manager"),
            ("zhao", "manager"),
            ("wang", "supervisor"),
            ("boss", "supervisor"),
        )
    }
    admin.set_user(srv.db, "li", email="li@example.cn", team="华东", language="zh_CN")
    admin.set_user(srv.db, "zhao", email="zhao@example.cn", team="华东")
    admin.set_user(srv.db, "wang", email="wang@example.cn", team="华东", language="en")
    admin.set_user(srv.db, "boss", email="boss@example.cn", team="华南", language="en")
    return ids


@pytest.mark.postgres
def test_breached_complaint_is_recorded_and_announced_once_with_two_workers(tmp_path, _template_profile):
    url = create_pg_database()
    (tmp_path / "smtp").mkdir()
    (tmp_path / "hooks").mkdir()
    smtp = SmtpReceiver(tmp_path / "smtp").start()
    hooks = WebhookReceiver(tmp_path / "hooks").start()
    workers = [ServerProcess(url, tmp_path / f"worker{i}.log", env=server_env()) for i in (1, 2)]
    db = workers[0].db
    dev = None
    try:
        staff(workers[0])
        admin.add_smtp(db, host="127.0.0.1", port=smtp.port, security="none", sender="desk@example.cn")
        admin.add_webhook(db, kind="wecom", url=hooks.url("wecom"), name="quality", language="zh_CN")
        rules_without_digest(db)
        admin.add_rule(db, event="escalation:3", to="group:quality", tier="strategic")
        for w in workers:
            w.start()
        dev = laptop(_template_profile, tmp_path, workers[0], "li")
        dev.sync()
        cid = clients.create_client(dev.ctx, name="华东精密仪器", tier="strategic", annual_fees=FEES)
        now = dt.datetime.now(dt.UTC)
        late = feedback.record_feedback(
            dev.ctx,
            cid,
            "complaint",
            "检测报告延误",
            severity="critical",
            received_at=now - dt.timedelta(hours=30),
            handler="zhao",
        )
        near = feedback.record_feedback(
            dev.ctx,
            cid,
            "complaint",
            "现场服务迟到",
            severity="high",
            received_at=now - dt.timedelta(hours=30),
        )
        dev.sync()

        def record(fid):
            with db.read() as conn:
                return conn.execute(select(t.records.c.data).where(t.records.c.id == fid)).scalar_one()

        wait_for(
            lambda: record(late).get("escalation_level") == 3 and record(near).get("escalation_level") == 1,
            what="the server's escalation",
        )
        wait_for(lambda: len(smtp.messages()) >= 5 and hooks.accepted(), what="the messages")
        import time

        time.sleep(2.0)  # ten more runs of each worker: nothing more may come
        mails = smtp.messages()
        by_person = sorted(
            (m["To"], "检测报告延误" in text_of(m) or "检测报告延误" in m["Subject"]) for m in mails
        )
        # level 3 (critical, past its deadline): handler, owner, the team's supervisor, every supervisor;
        # level 1 (high, near): the owner (no handler yet)
        assert by_person == [
            ("boss@example.cn", True),
            ("li@example.cn", False),
            ("li@example.cn", True),
            ("wang@example.cn", True),
            ("zhao@example.cn", True),
        ]
        assert (
            len(hooks.requests()) == 1 and hooks.accepted()[0]["kind"] == "wecom"
        )  # the strategic-tier group
        # each in its reader's language
        li_late = next(m for m in mails if m["To"] == "li@example.cn" and "检测报告延误" in text_of(m))
        assert "已超过处理时限" in li_late["Subject"] and "华东精密仪器" in li_late["Subject"]
        wang = next(m for m in mails if m["To"] == "wang@example.cn")
        assert "Complaint past its deadline" in wang["Subject"] and "Escalation level 3 of 3." in text_of(
            wang
        )
        assert "overdue by" in text_of(wang)
        group = hooks.accepted()[0]["body"]["markdown"]["content"]
        assert "已超过处理时限" in group and "华东精密仪器" in group
        everything = "".join(m.as_string() for m in mails) + json.dumps(hooks.requests(), ensure_ascii=False)
        assert str(FEES) not in everything and "8,765,432" not in everything

        # recorded once, as a server change with its history, and synced like any change
        with db.read() as conn:
            changes = conn.execute(
                select(t.history.c.user_id, t.history.c.device_id, t.history.c.new).where(
                    t.history.c.row_id == late, t.history.c.field == "escalation_level"
                )
            ).all()
            sent = (
                conn.execute(select(t.notify_outbox.c.status).where(t.notify_outbox.c.status != "app"))
                .scalars()
                .all()
            )
            mailed = conn.execute(
                select(t.notify_outbox.c.key).where(
                    t.notify_outbox.c.key.like("esc:%"), t.notify_outbox.c.recipient.like("user:%")
                )
            ).scalars()
            in_app = conn.execute(
                select(t.notify_outbox.c.key).where(t.notify_outbox.c.status == "app")
            ).scalars()
            mailed, in_app = sorted(mailed), sorted(in_app)
        assert [(c.device_id, c.new) for c in changes if c.device_id == "server"] == [
            ("server", 3)
        ]  # escalated once
        assert sorted(sent) == ["sent"] * 6
        # and one in-app alert for each person at each level, once with two workers (the bell)
        assert in_app == ["app:" + k for k in mailed] and len(in_app) == 5
        report = dev.sync()
        assert report.conflicts == 0
        with dev.ctx.read() as s:
            row = s.get(Feedback, late)
            assert row.escalation_level == 3
            assert row.escalated_at == row.due_at  # level 3 begins at the deadline
            assert s.get(Feedback, near).escalation_level == 1
        # the laptop's own escalation run agrees and changes nothing
        assert feedback.escalate_due_feedback(dev.ctx) == []
    finally:
        if dev is not None:
            dev.close()
        for w in workers:
            w.stop()
        db.close()
        smtp.stop()
        hooks.stop()
        drop_pg_database(url)


def test_receiver_down_gets_retries_then_dead_letter_and_resend_delivers(tmp_path, _template_profile, capsys):
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    (tmp_path / "smtp").mkdir()
    (tmp_path / "hooks").mkdir()
    hooks = WebhookReceiver(tmp_path / "hooks").start()
    hooks.down()
    smtp_port = free_port()  # nothing listens there yet
    srv = ServerProcess(url, tmp_path / "server.log", env=server_env())
    smtp = None
    dev = None
    try:
        srv.add_user("li", "manager")
        admin.set_user(srv.db, "li", email="li@example.cn")
        admin.add_smtp(srv.db, host="127.0.0.1", port=smtp_port, security="none", sender="desk@example.cn")
        admin.add_webhook(
            srv.db,
            kind="dingtalk",
            url=hooks.url("dingtalk"),
            secret=ROBOTS["dingtalk"]["secret"],
            name="ops",
        )
        rules_without_digest(srv.db)
        admin.add_rule(srv.db, event="escalation", to="group:ops")
        srv.start()
        dev = laptop(_template_profile, tmp_path, srv, "li")
        dev.sync()
        cid = clients.create_client(dev.ctx, name="蓝海检测", tier="key")
        feedback.record_feedback(
            dev.ctx,
            cid,
            "complaint",
            "样品丢失",
            severity="critical",
            received_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25),
        )
        dev.sync()
        dead = wait_for(
            lambda: len(admin.list_messages(srv.db, "dead")) == 2 and admin.list_messages(srv.db, "dead"),
            what="two dead letters",
        )
        tries = [r for r in hooks.requests() if r["kind"] == "dingtalk"]
        assert [r["why"] for r in tries] == ["down"] * 3  # three attempts, then the dead-letter list
        gaps = [b["at"] - a["at"] for a, b in zip(tries, tries[1:], strict=False)]
        assert gaps[0] >= 0.2 and gaps[1] >= 0.4  # back-off: each wait twice the last
        assert sorted(m["error"] for m in dead) == ["SMTP: ConnectionRefusedError", "dingtalk: HTTP 503"]

        code, out, _ = run(server_main, ["--database-url", url, "notify", "failed", "--json"], capsys)
        listed = json.loads(out)
        assert code == 0 and sorted(m["to"] for m in listed) == ["group:ops", "user:li"]
        assert all(m["attempts"] == 3 and m["status"] == "dead" for m in listed)

        hooks.down(False)
        smtp = SmtpReceiver(tmp_path / "smtp", port=smtp_port).start()
        code, out, _ = run(
            server_main, ["--database-url", url, "notify", "failed", "--resend", "--json"], capsys
        )
        result = json.loads(out)
        assert code == 0 and (result["resent"], result["sent"]) == (2, 2)
        assert len(hooks.accepted()) == 1 and len(smtp.messages()) == 1
        assert "样品丢失" in text_of(smtp.messages()[0])
        code, out, _ = run(server_main, ["--database-url", url, "notify", "failed", "--json"], capsys)
        assert json.loads(out) == []
        import time

        time.sleep(1.0)
        assert len(hooks.accepted()) == 1 and len(smtp.messages()) == 1  # delivered once
    finally:
        if dev is not None:
            dev.close()
        srv.stop()
        srv.db.close()
        hooks.stop()
        if smtp is not None:
            smtp.stop()


def test_every_channel_in_its_own_format_signed_and_its_secrets_sealed(tmp_path, capsys, monkeypatch):
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    srv = ["--database-url", url]
    cert = self_signed(tmp_path)
    for sub in ("starttls", "implicit", "hooks"):
        (tmp_path / sub).mkdir()
    starttls = SmtpReceiver(tmp_path / "starttls", tls="starttls", auth="desk:mail-pass-9", cert=cert).start()
    implicit = SmtpReceiver(tmp_path / "implicit", tls="implicit", auth="desk:mail-pass-9", cert=cert).start()
    hooks = WebhookReceiver(tmp_path / "hooks").start()
    monkeypatch.setenv("ACCOUNTDESK_NOTIFY_CA_FILE", str(cert[0]))  # the test certificate is trusted
    monkeypatch.setenv("ACCOUNTDESK_SERVER_SECRET_KEY", "server-key-for-the-test-2f9")
    try:
        code, out, err = run(
            server_main,
            [
                *srv,
                "notify",
                "add-smtp",
                "--host",
                "127.0.0.1",
                "--port",
                str(starttls.port),
                "--starttls",
                "--user",
                "desk",
                "--password-stdin",
                "--from",
                "desk@example.cn",
                "--json",
            ],
            capsys,
            "mail-pass-9\n",
        )
        assert code == 0 and json.loads(out)["security"] == "starttls" and "Warning" not in err
        assert (
            run(
                server_main,
                [
                    *srv,
                    "notify",
                    "add-webhook",
                    "--kind",
                    "wecom",
                    "--url",
                    hooks.url("wecom"),
                    "--name",
                    "quality",
                ],
                capsys,
            )[0]
            == 0
        )
        assert (
            run(
                server_main,
                [
                    *srv,
                    "notify",
                    "add-webhook",
                    "--kind",
                    "dingtalk",
                    "--url",
                    hooks.url("dingtalk"),
                    "--secret-stdin",
                    "--name",
                    "ops",
                ],
                capsys,
                ROBOTS["dingtalk"]["secret"] + "\n",
            )[0]
            == 0
        )
        assert (
            run(
                server_main,
                [
                    *srv,
                    "notify",
                    "add-webhook",
                    "--kind",
                    "feishu",
                    "--url",
                    hooks.url("feishu"),
                    "--secret-stdin",
                    "--language",
                    "en",
                ],
                capsys,
                ROBOTS["feishu"]["secret"] + "\n",
            )[0]
            == 0
        )

        code, out, _ = run(server_main, [*srv, "notify", "test", "--to", "ops@example.cn", "--json"], capsys)
        results = json.loads(out)
        assert code == 0 and sorted((r["channel"], r["ok"]) for r in results) == [
            ("feishu", True),
            ("ops", True),
            ("quality", True),
            ("smtp", True),
        ]
        got = {r["kind"]: r for r in hooks.accepted()}
        assert set(got) == {"wecom", "dingtalk", "feishu"} and len(hooks.requests()) == 3
        assert "测试消息" in got["wecom"]["body"]["markdown"]["content"]  # the server's default language
        assert (
            got["dingtalk"]["query"]["timestamp"] and got["dingtalk"]["query"]["sign"]
        )  # verified by the receiver
        assert got["dingtalk"]["body"]["markdown"]["title"] == "AccountDesk 大客户工作台测试消息"
        card = got["feishu"]["body"]
        assert card["msg_type"] == "interactive" and card["sign"] and card["timestamp"]
        assert (
            card["card"]["header"]["title"]["content"] == "AccountDesk test message"
        )  # the group's language
        [mail] = starttls.messages()
        assert (
            mail["To"] == "ops@example.cn"
            and mail["Subject"] == "[AccountDesk] AccountDesk 大客户工作台测试消息"
        )
        assert mail.get_body(preferencelist=("html",)) is not None and "此通道工作正常" in text_of(mail)

        # implicit TLS (port 465 style) replaces the SMTP server
        assert (
            run(
                server_main,
                [
                    *srv,
                    "notify",
                    "add-smtp",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(implicit.port),
                    "--tls",
                    "--user",
                    "desk",
                    "--password-stdin",
                    "--from",
                    "desk@example.cn",
                ],
                capsys,
                "mail-pass-9\n",
            )[0]
            == 0
        )
        code, out, _ = run(
            server_main, [*srv, "--lang", "en", "notify", "test", "--to", "ops@example.cn", "--json"], capsys
        )
        assert code == 0 and len(implicit.messages()) == 1, out

        # a wrong signing secret: the robot refuses, the test says so and exits 1
        assert (
            run(
                server_main,
                [
                    *srv,
                    "notify",
                    "add-webhook",
                    "--kind",
                    "dingtalk",
                    "--url",
                    hooks.url("dingtalk"),
                    "--secret-stdin",
                    "--name",
                    "wrong",
                ],
                capsys,
                "SECnot-the-secret\n",
            )[0]
            == 0
        )
        code, out, _ = run(server_main, [*srv, "notify", "test", "--to", "ops@example.cn", "--json"], capsys)
        wrong = next(r for r in json.loads(out) if r["channel"] == "wrong")
        assert code == 1 and not wrong["ok"] and wrong["error"] == "dingtalk: error 310000 sign not match"

        # secrets: sealed in the database, never printed back
        code, out, _ = run(server_main, [*srv, "notify", "channels", "--json"], capsys)
        stored = (
            (tmp_path / "server.sqlite3").read_bytes() + (tmp_path / "server.sqlite3-wal").read_bytes()
            if (tmp_path / "server.sqlite3-wal").exists()
            else (tmp_path / "server.sqlite3").read_bytes()
        )
        for secret in (
            "mail-pass-9",
            ROBOTS["dingtalk"]["secret"],
            ROBOTS["feishu"]["secret"],
            ROBOTS["wecom"]["key"],
            ROBOTS["feishu"]["hook"],
            ROBOTS["dingtalk"]["token"],
        ):
            assert secret not in out and secret.encode() not in stored
        assert {c["name"]: c["url"] for c in json.loads(out) if c["kind"] != "smtp"}[
            "quality"
        ] == f"{hooks.base}/…"
        # without the key the secrets cannot be read: the test says so instead of sending
        monkeypatch.delenv("ACCOUNTDESK_SERVER_SECRET_KEY")
        code, out, _ = run(server_main, [*srv, "notify", "test", "--to", "ops@example.cn", "--json"], capsys)
        assert code == 1 and all("ACCOUNTDESK_SERVER_SECRET_KEY" in r["error"] for r in json.loads(out))
        code, _, err = run(
            server_main,
            [
                *srv,
                "notify",
                "add-webhook",
                "--kind",
                "wecom",
                "--url",
                hooks.url("wecom"),
                "--name",
                "plain",
            ],
            capsys,
        )
        assert code == 0 and "ACCOUNTDESK_SERVER_SECRET_KEY is not set" in err
        # bad input names the field, exit 2
        code, _, err = run(
            server_main, [*srv, "notify", "add-webhook", "--kind", "wecom", "--url", "ftp://x"], capsys
        )
        assert code == 2 and "url:" in err
        code, _, err = run(
            server_main,
            [*srv, "notify", "rules", "add", "--event", "digest", "--to", "group:quality"],
            capsys,
        )
        assert code == 2 and "to:" in err
    finally:
        for receiver in (starttls, implicit, hooks):
            receiver.stop()


def test_daily_digest_for_managers_and_for_a_supervisor_team(tmp_path, _template_profile, capsys):
    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    (tmp_path / "smtp").mkdir()
    smtp = SmtpReceiver(tmp_path / "smtp").start()
    srv = ServerProcess(url, tmp_path / "server.log")  # the schedule is off: `notify run` does it
    devs = []
    try:
        staff(srv)
        admin.add_smtp(srv.db, host="127.0.0.1", port=smtp.port, security="none", sender="desk@example.cn")
        srv.start()
        li, zhao = (
            laptop(_template_profile, tmp_path, srv, "li"),
            laptop(_template_profile, tmp_path, srv, "zhao"),
        )
        devs += [li, zhao]
        for dev in devs:
            dev.sync()
        now = dt.datetime.now(dt.UTC)
        today = now.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
        a = clients.create_client(
            li.ctx,
            name="华东精密仪器",
            tier="strategic",
            annual_fees=FEES,
            contract_renewal_date=today + dt.timedelta(days=10),
        )
        clients.create_client(li.ctx, name="远期客户", contract_renewal_date=today + dt.timedelta(days=90))
        visits.plan_visit(li.ctx, a, "return_visit", now - dt.timedelta(days=2), purpose="复核检测流程")
        visits.plan_visit(li.ctx, a, "executive_meeting", now + dt.timedelta(days=3))
        visits.plan_visit(li.ctx, a, "return_visit", now + dt.timedelta(days=20))  # not this week
        feedback.record_feedback(
            li.ctx, a, "complaint", "报告数据有误", severity="high", received_at=now - dt.timedelta(hours=1)
        )
        service.create_note(li.ctx, a, "机密：底价九十九万", confidential=True)
        c = clients.create_client(zhao.ctx, name="南湖仪表")
        visits.plan_visit(zhao.ctx, c, "return_visit", now - dt.timedelta(days=1))
        for dev in devs:
            dev.sync()

        code, out, _ = run(
            server_main, ["--database-url", url, "notify", "run", "--digest-now", "--json"], capsys
        )
        assert code == 0 and json.loads(out)["sent"] == 3, out
        mails = {m["To"]: m for m in smtp.messages()}
        assert set(mails) == {
            "li@example.cn",
            "zhao@example.cn",
            "wang@example.cn",
        }  # boss's team has nothing
        mine = text_of(mails["li@example.cn"])
        assert mails["li@example.cn"]["Subject"] == f"[AccountDesk] 今日待办，{today.isoformat()}"
        assert "已逾期及本周到期的拜访 (2)" in mine
        assert "已逾期 · " in mine and "华东精密仪器: 回访" in mine and "华东精密仪器: 高层会晤" in mine
        assert "未结投诉及其处理时限 (1)" in mine and "报告数据有误（投诉，高）" in mine and "剩余" in mine
        assert (
            f"未来 30 天内的合同续签 (1)\n- {(today + dt.timedelta(days=10)).isoformat()} 华东精密仪器"
            in mine
        )
        assert "远期客户" not in mine and "南湖仪表" not in mine
        assert "任务" not in mine  # no task records exist: no task section
        team = text_of(mails["wang@example.cn"])
        assert mails["wang@example.cn"]["Subject"].startswith("[AccountDesk] Your team's day")
        assert "[li] " in team and "[zhao] " in team and "南湖仪表" in team and "Return visit" in team
        everything = "".join(m.as_string() for m in smtp.messages())
        assert str(FEES) not in everything and "底价" not in everything
        # once a day
        code, out, _ = run(
            server_main, ["--database-url", url, "notify", "run", "--digest-now", "--json"], capsys
        )
        assert code == 0 and json.loads(out)["digests"] == 0 and len(smtp.messages()) == 3
    finally:
        for dev in devs:
            dev.close()
        srv.stop()
        srv.db.close()
        smtp.stop()


def test_calendar_feed_from_the_laptop_cli_read_back_reset_and_revoked(tmp_path, _template_profile, capsys):
    from accountdesk.cli import main as device_main

    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    srv = ServerProcess(url, tmp_path / "server.log")
    li = zhao = None
    try:
        staff(srv)
        srv.start()
        li, zhao = (
            laptop(_template_profile, tmp_path, srv, "li"),
            laptop(_template_profile, tmp_path, srv, "zhao"),
        )
        li.sync()
        zhao.sync()
        start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).replace(
            hour=2, minute=30, second=0, microsecond=0
        )  # 10:30 in Shanghai
        renewal = dt.date.today() + dt.timedelta(days=40)
        a = clients.create_client(
            li.ctx, name="华东精密仪器", tier="strategic", annual_fees=FEES, contract_renewal_date=renewal
        )
        visits.plan_visit(
            li.ctx,
            a,
            "return_visit",
            start,
            end=start + dt.timedelta(hours=2),
            location="苏州工业园区",
            purpose="复核检测流程",
        )
        feedback.record_feedback(li.ctx, a, "complaint", "报告数据有误", severity="medium")
        service.create_note(li.ctx, a, "机密：底价九十九万", confidential=True)
        other = clients.create_client(zhao.ctx, name="南湖仪表")
        visits.plan_visit(zhao.ctx, other, "return_visit", start)
        li.sync()
        zhao.sync()
        path = li.path
        li.close()
        li = None
        base = ["--data-dir", str(path)]

        code, out, err = run(
            device_main, [*base, "calendar-feed", "--json", "--password-stdin"], capsys, PASSWORD + "\n"
        )
        assert code == 0, err
        feed = json.loads(out)
        assert feed["active"] and feed["new"] and feed["url"].startswith(srv.url + "/v1/calendar/")
        first = feed["url"]
        r = httpx.get(first)  # as a calendar app: no token, no protocol headers
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
        cal = icalendar.Calendar.from_ical(r.content)
        assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Shanghai"]
        events = {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}
        visit = events["回访：华东精密仪器"]
        assert visit["DTSTART"].params["TZID"] == "Asia/Shanghai"
        assert visit.decoded("DTSTART").strftime("%H:%M") == "10:30" and visit.decoded("DTSTART") == start
        assert visit.decoded("DTEND") == start + dt.timedelta(hours=2)
        assert str(visit["LOCATION"]) == "苏州工业园区" and str(visit["DESCRIPTION"]) == "复核检测流程"
        deadline = events["投诉处理时限：华东精密仪器 — 报告数据有误"]
        assert deadline.decoded("DTSTART").tzinfo is not None and deadline.walk("VALARM")
        assert events["合同续签：华东精密仪器"].decoded("DTSTART") == renewal  # an all-day event
        assert not any("南湖仪表" in s for s in events)  # zhao's visit is not li's
        assert str(FEES).encode() not in r.content and "底价".encode() not in r.content

        # the URL is shown once; without a keyring this computer does not know it any more
        code, out, _ = run(
            device_main, [*base, "calendar-feed", "--json", "--password-stdin"], capsys, PASSWORD + "\n"
        )
        assert code == 0 and json.loads(out) | {"created_at": None} == {
            "url": None,
            "active": True,
            "created_at": None,
            "new": False,
        }
        code, out, _ = run(
            device_main,
            [*base, "calendar-feed", "--reset", "--json", "--password-stdin"],
            capsys,
            PASSWORD + "\n",
        )
        second = json.loads(out)["url"]
        assert code == 0 and second != first
        assert httpx.get(first).status_code == 404 and httpx.get(second).status_code == 200
        assert (
            httpx.head(second).status_code == 200 and httpx.head(first).status_code == 404
        )  # some apps look first

        # the user's time zone and language
        admin.set_user(srv.db, "li", time_zone="Europe/Berlin", language="en")
        cal = icalendar.Calendar.from_ical(httpx.get(second).content)
        assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
        visit = next(e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "Return visit: 华东精密仪器")
        assert visit["DTSTART"].params["TZID"] == "Europe/Berlin" and visit.decoded("DTSTART") == start

        code, out, _ = run(
            device_main,
            [*base, "calendar-feed", "--revoke", "--json", "--password-stdin"],
            capsys,
            PASSWORD + "\n",
        )
        assert code == 0 and json.loads(out)["active"] is False
        assert httpx.get(second).status_code == 404
        # a deactivated user's feed is refused too
        code, out, _ = run(
            device_main, [*base, "calendar-feed", "--json", "--password-stdin"], capsys, PASSWORD + "\n"
        )
        third = json.loads(out)["url"]
        assert httpx.get(third).status_code == 200
        from accountdesk.server import admin as server_admin

        server_admin.deactivate_user(srv.db, "li")
        assert httpx.get(third).status_code == 404
        # only exactly a feed path goes without the protocol headers
        assert httpx.get(srv.url + "/v1/notify/calendar-feed").status_code == 426
        assert httpx.get(srv.url + "/v1/calendar/short.ics").status_code == 426
    finally:
        for dev in (li, zhao):
            if dev is not None:
                dev.close()
        srv.stop()
        srv.db.close()


def test_notification_admin_api_is_for_administrators_and_never_returns_secrets(tmp_path):
    from accountdesk.sync import protocol as p

    url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    srv = ServerProcess(url, tmp_path / "server.log")
    headers = {p.HEADER_PROTOCOL: "1", p.HEADER_SCHEMA: "1"}
    try:
        srv.add_user("root", "admin")
        srv.add_user("li", "manager")
        srv.add_user("wang", "supervisor")
        srv.start()

        def login(name):
            r = httpx.post(
                srv.url + "/v1/auth/login",
                headers=headers,
                json={"username": name, "password": PASSWORD, "device_id": f"dev-{name}"},
            )
            return {**headers, "Authorization": "Bearer " + r.json()["access_token"]}

        root, li, wang = login("root"), login("li"), login("wang")
        hook = {
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=tok-SECRET-1",
            "secret": "SEC-xyz-2",
            "name": "ops",
        }
        for who in (li, wang):
            assert httpx.get(srv.url + "/v1/admin/notify/channels", headers=who).status_code == 403
            r = httpx.post(srv.url + "/v1/admin/notify/channels/webhook", headers=who, json=hook)
            assert r.status_code == 403 and r.json()["code"] == "forbidden"
            assert (
                httpx.post(
                    srv.url + "/v1/admin/notify/rules", headers=who, json={"event": "digest", "to": "admins"}
                ).status_code
                == 403
            )
            assert httpx.post(srv.url + "/v1/admin/notify/resend", headers=who, json={}).status_code == 403
        assert admin.list_channels(srv.db) == []
        r = httpx.post(srv.url + "/v1/admin/notify/channels/webhook", headers=root, json=hook)
        assert (
            r.status_code == 200 and r.json()["url"] == "https://oapi.dingtalk.com/…" and r.json()["signed"]
        )
        r = httpx.post(
            srv.url + "/v1/admin/notify/channels/smtp",
            headers=root,
            json={
                "host": "mail.example.cn",
                "port": 587,
                "sender": "desk@example.cn",
                "username": "desk",
                "password": "pw-SECRET-3",
            },
        )
        assert r.status_code == 200
        listed = httpx.get(srv.url + "/v1/admin/notify/channels", headers=root).text
        assert "SECRET" not in listed and "SEC-xyz-2" not in listed and "ops" in listed
        r = httpx.post(
            srv.url + "/v1/admin/notify/rules",
            headers=root,
            json={"event": "escalation:3", "to": "group:nope"},
        )
        assert r.status_code == 400 and r.json()["message"].startswith("to:")
        r = httpx.post(
            srv.url + "/v1/admin/notify/rules",
            headers=root,
            json={"event": "escalation:3", "to": "group:ops", "tier": "key"},
        )
        assert r.status_code == 200 and r.json()["to"] == "group:ops"
        assert {"event": "escalation:3", "to": "group:ops", "tier": "key", "severity": None} in [
            {k: v for k, v in x.items() if k != "id"}
            for x in httpx.get(srv.url + "/v1/admin/notify/rules", headers=root).json()
        ]
        # everybody sets their own message language (and only their own)
        r = httpx.put(
            srv.url + "/v1/notify/me", headers=li, json={"language": "en", "time_zone": "Asia/Urumqi"}
        )
        assert r.status_code == 200 and (r.json()["language"], r.json()["time_zone"]) == ("en", "Asia/Urumqi")
        assert (
            httpx.put(srv.url + "/v1/notify/me", headers=li, json={"email": "x@example.cn"}).status_code
            == 422
        )
        assert (
            httpx.put(srv.url + "/v1/notify/me", headers=li, json={"time_zone": "Mars/Base"}).status_code
            == 400
        )
        assert admin.user_settings(srv.db, "wang")["language"] is None
        log = (tmp_path / "server.log").read_text()
        assert "SECRET" not in log and "SEC-xyz-2" not in log
    finally:
        srv.stop()
        srv.db.close()
