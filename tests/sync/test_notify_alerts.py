"""In-app alerts (issue 15, point 3) on SQLite and PostgreSQL: each level of the complaint ladder
that the routing rules send to a person is one alert for that person, readable by that person
only (``GET /v1/notify/alerts``, a cursor for the next call), never in the dead-letter list."""

from __future__ import annotations

import datetime as dt

from accountdesk.server.notify import admin, scheduler
from accountdesk.server.notify.settings import NotifySettings
from accountdesk.services import clients, feedback
from accountdesk.sync.notify_api import NotifyClient

H = dt.timedelta(hours=1)


def test_each_escalation_is_one_alert_for_each_person_it_reaches(server, make_device):
    server.add_user("li", "manager")
    server.add_user("zhao", "supervisor")
    server.add_user("wang", "manager")
    admin.reset_rules(server.db)
    dev = make_device("li")
    dev.sync()
    cid = clients.create_client(dev.ctx, name="蓝海检测")
    received = dt.datetime.now(dt.UTC)
    fid = feedback.record_feedback(
        dev.ctx, cid, "complaint", "报告延误", severity="high", received_at=received
    )
    dev.sync()
    ns = NotifySettings()
    for hours in (25, 26, 41, 49, 60):  # levels 1, 1, 2, 3, 3
        scheduler.record(server.db, ns, received + hours * H)

    mine = NotifyClient(dev.engine).alerts(0)
    # the handler rule and the owner rule name li once per level
    assert [(a["feedback_id"], a["client_id"], a["level"]) for a in mine["alerts"]] == [
        (fid, cid, 1),
        (fid, cid, 2),
        (fid, cid, 3),
    ]
    assert {a["subject"] for a in mine["alerts"]} == {"报告延误"}
    assert {a["client_name"] for a in mine["alerts"]} == {"蓝海检测"}
    assert NotifyClient(dev.engine).alerts(mine["next"]) == {
        "alerts": [],
        "next": mine["next"],
        "more": False,
    }

    zhao = make_device("zhao")
    zhao.sync()
    # the supervisor of the level (rules: levels 2 and 3 go to the team's supervisors)
    assert [a["level"] for a in NotifyClient(zhao.engine).alerts(0)["alerts"]] == [2, 3]
    wang = make_device("wang")
    wang.sync()
    assert NotifyClient(wang.engine).alerts(0)["alerts"] == []
    # not a message to deliver: nothing dead, nothing pending
    assert admin.list_messages(server.db, "dead") == []
    assert admin.list_messages(server.db, "pending") == []
