"""Read models behind the workspace, calendar and feedback queue (services/workspace.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from accountdesk.errors import PermissionDenied, ValidationError
from accountdesk.services import clients, records, users, visits
from accountdesk.services import feedback as fb
from accountdesk.services import workspace as ws


def at(d, h=9):
    return dt.datetime(2026, 3, d, h, tzinfo=dt.UTC)


@pytest.fixture
def people(ctx):
    return {
        "boss": ctx.actor.id,
        "li": users.create_user(ctx, "li", "李娜", "manager"),
        "zhao": users.create_user(ctx, "zhao", "赵磊", "manager"),
        "wang": users.create_user(ctx, "wang", "王强", "field"),
    }


@pytest.fixture
def two_clients(ctx, people):
    a = clients.create_client(ctx, name="护航科技", owner_id=people["li"])
    b = clients.create_client(ctx, name="华东精密", owner_id=people["zhao"])
    return a, b


def test_calendar_and_queue_show_only_the_clients_a_manager_serves(ctx, people, two_clients):
    a, b = two_clients
    visits.plan_visit(ctx, a, "return_visit", at(20))
    visits.plan_visit(ctx, b, "return_visit", at(21))
    fb.record_feedback(ctx, a, "complaint", "报告延误", received_at=at(10))
    fb.record_feedback(ctx, b, "complaint", "证书错误", received_at=at(11))
    assert len(ws.visits_between(ctx, at(1), at(31))) == 2  # the supervisor sees all
    ctx.set_actor(people["li"])
    assert [v.client_id for v in ws.visits_between(ctx, at(1), at(31))] == [a]
    assert [q.subject for q in ws.feedback_queue(ctx)] == ["报告延误"]
    assert ws.list_client_choices(ctx) == [(a, "护航科技")]


def test_field_staff_see_the_clients_of_their_service_team(ctx, people, two_clients):
    from accountdesk.services.team import add_team_member

    a, b = two_clients
    add_team_member(ctx, b, people["wang"])
    visits.plan_visit(ctx, b, "return_visit", at(21))
    ctx.set_actor(people["wang"])
    assert [v.client_id for v in ws.visits_between(ctx, at(1), at(31))] == [b]


def test_queue_puts_overdue_open_items_first(ctx, people, two_clients, clock):
    a, _b = two_clients
    late = fb.record_feedback(ctx, a, "complaint", "逾期", severity="high", received_at=at(10))
    fresh = fb.record_feedback(ctx, a, "complaint", "未到期", severity="low", received_at=at(16, 8))
    praise = fb.record_feedback(ctx, a, "praise", "表扬", received_at=at(15))
    assert [q.id for q in ws.feedback_queue(ctx)] == [late, fresh, praise]
    assert ws.feedback_queue(ctx)[0].overdue(clock.now())
    assert [q.id for q in ws.feedback_queue(ctx, kinds=["praise"])] == [praise]


def test_timeline_is_newest_first_and_hides_confidential_notes_from_field_staff(ctx, people, two_clients):
    from accountdesk.services import service

    a, _b = two_clients
    visits.record_visit(ctx, a, "return_visit", at(2))
    fb.record_feedback(ctx, a, "praise", "服务周到", received_at=at(12))
    service.create_note(ctx, a, "老板的私人情况", confidential=True)
    entries = ws.timeline(ctx, a)
    assert [e.entity for e in entries][-2:] == ["feedback", "visit"]
    assert any(e.entity == "service_note" for e in entries)
    ctx.set_actor(people["wang"])
    assert not any(e.entity == "service_note" for e in ws.timeline(ctx, a))


def test_local_field_history_and_restore(ctx, two_clients, clock):
    a, _b = two_clients
    records.update_record(ctx, "client", a, {"industry": "检验检测"})
    clock.advance(minutes=1)
    records.update_record(ctx, "client", a, {"industry": "计量校准"})
    changes = ws.local_field_history(ctx, "client", a, "industry")
    assert [(c.old, c.new) for c in changes] == [("检验检测", "计量校准"), (None, "检验检测")]
    ws.restore_field(ctx, "client", a, "industry", changes[0].old)
    assert records.get_record(ctx, "client", a)["industry"] == "检验检测"


def test_handover_moves_the_owner_and_keeps_the_history(ctx, people, two_clients):
    a, _b = two_clients
    checklist = ws.handover_checklist(ctx, a)
    with pytest.raises(ValidationError) as err:
        ws.record_handover(ctx, a, people["zhao"], reason=" ")
    assert err.value.field == "reason"
    assert records.get_record(ctx, "client", a)["owner_id"] == people["li"]
    ws.record_handover(
        ctx, a, people["zhao"], reason="调岗", checklist=checklist, backup_user_id=people["li"]
    )
    client = records.get_record(ctx, "client", a)
    assert client["owner_id"] == people["zhao"] and client["backup_owner_id"] == people["li"]
    changes = records.list_records(ctx, "ownership_change", a)
    assert sorted(c["kind"] for c in changes) == ["backup", "owner"]
    ctx.set_actor(people["li"])
    with pytest.raises(PermissionDenied):
        ws.record_handover(ctx, a, people["li"], reason="想要回来")


def test_a_handover_stays_open_until_its_checklist_is_done(ctx, people, two_clients):
    a, b = two_clients
    open_items = [{"key": "feedback", "label": "Open feedback", "done": False, "detail": ""}]
    ws.record_handover(ctx, a, people["zhao"], reason="调岗", checklist=open_items)
    done_items = [dict(open_items[0], done=True)]
    ws.record_handover(ctx, b, people["li"], reason="调岗", checklist=done_items)
    assert [h["status"] for h in records.list_records(ctx, "handover", a)] == ["open"]
    assert [h["status"] for h in records.list_records(ctx, "handover", b)] == ["completed"]
