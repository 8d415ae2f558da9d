"""The alerts' store (services/alerts.py): once per key and person, the server's escalations
under the same key as the laptop's own level alert, and what is forgotten."""

from __future__ import annotations

import datetime as dt

from accountdesk.services import alerts, clients, feedback

H = dt.timedelta(hours=1)


def test_the_servers_escalation_and_the_laptops_own_level_are_one_alert(ctx, clock):
    cid = clients.create_client(ctx, name="蓝海检测")
    fid = feedback.record_feedback(
        ctx, cid, "complaint", "报告延误", severity="high", received_at=clock.now() - 41 * H
    )
    assert [c["key"] for c in alerts.due_candidates(ctx)] == [f"escalation:{fid}:2"]  # the handler's own
    answer = {
        "alerts": [
            {
                "id": 7,
                "event": "escalation:2",
                "feedback_id": fid,
                "client_id": cid,
                "level": 2,
                "subject": "报告延误",
                "client_name": "蓝海检测",
                "due": "2026-03-16T16:00:00Z",
            },
            {"id": 8, "event": "escalation:2", "feedback_id": "not-a-level", "level": "x"},
        ],
        "next": 8,
        "more": False,
    }
    fresh = alerts.record_server_alerts(ctx, answer)
    assert [(a.key, a.kind) for a in fresh] == [(f"escalation:{fid}:2", "escalation")]
    assert alerts.server_cursor(ctx) == 8
    assert alerts.raise_due(ctx) == []  # the handler's own level 2: the same alert, not again
    assert alerts.record_server_alerts(ctx, answer) == []
    assert alerts.unread_count(ctx) == 1


def test_only_the_newest_are_kept_and_a_server_alert_of_an_unknown_client_stays(ctx, clock):
    cid = clients.create_client(ctx, name="华东精密仪器有限公司")
    for i in range(4):
        alerts.record(ctx, [{"key": f"task:{i}:x", "kind": "task", "client_id": cid, "params": {}}])
        clock.advance(minutes=1)
    alerts.record_server_alerts(
        ctx,
        {
            "alerts": [{"event": "escalation:3", "feedback_id": "f", "client_id": "elsewhere", "level": 3}],
            "next": 1,
        },
    )
    assert alerts.tidy(ctx, keep=3) == 2
    assert [a.key for a in alerts.history(ctx)] == ["escalation:f:3", "task:3:x", "task:2:x"]
    clients.delete_client(ctx, cid)
    assert alerts.tidy(ctx) == 2
    assert [a.key for a in alerts.history(ctx)] == ["escalation:f:3"]
