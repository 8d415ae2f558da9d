"""The agenda: overdue and due items, their order, window, scope; and the ``agenda`` command."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from accountdesk.cli import main as cli_main
from accountdesk.errors import ValidationError
from accountdesk.models import Conflict, new_id
from accountdesk.services import clients, records, scheduling, visits
from accountdesk.services.agenda import agenda
from accountdesk.services.feedback import pause_feedback, record_feedback, resume_feedback

UTC = dt.UTC
TODAY = dt.date(2026, 3, 16)  # the FakeClock's day (09:00 UTC)


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=UTC)


@pytest.fixture
def world(ctx):
    ids = {}
    ids["a"] = clients.create_client(
        ctx, name="护航科技服务有限公司", contract_renewal_date=dt.date(2026, 3, 20)
    )
    ids["b"] = clients.create_client(ctx, name="远航物流集团", contract_renewal_date=dt.date(2026, 6, 30))
    # A monthly cadence, last held 2026-01-10: due 2026-02-10, 34 days overdue.
    ids["plan"] = visits.create_visit_plan(ctx, ids["a"], "return_visit")
    visits.create_visit(ctx, ids["a"], kind="return_visit", planned_start=at(2026, 1, 10), status="done")
    # A planned executive meeting in three days, and one that was planned for last week but never recorded.
    ids["meeting"] = visits.create_visit(
        ctx,
        ids["b"],
        kind="executive_meeting",
        planned_start=at(2026, 3, 19),
        status="planned",
        purpose="年度合作回顾",
    )
    ids["missed"] = visits.create_visit(
        ctx, ids["b"], kind="custom", planned_start=at(2026, 3, 9), status="planned"
    )
    # Equipment: service due 2026-03-01 (overdue), calibration due in 2027 (not on the agenda).
    ids["eq"] = records.create_record(
        ctx,
        "equipment",
        {
            "name": "气相色谱仪",
            "serial": "GC-2010",
            "last_serviced_on": dt.date(2025, 9, 1),
            "service_interval_months": 6,
            "last_calibrated_on": dt.date(2026, 1, 5),
            "calibration_interval_months": 12,
        },
        client_id=ids["b"],
    )
    plan = records.create_record(ctx, "improvement_plan", {"year": 2026}, client_id=ids["a"])
    ids["item"] = records.create_record(
        ctx,
        "improvement_item",
        {"plan_id": plan, "action": "缩短报告出具周期", "due_on": dt.date(2026, 3, 18)},
        client_id=ids["a"],
    )
    records.create_record(
        ctx,
        "improvement_item",
        {"plan_id": plan, "action": "已完成事项", "due_on": dt.date(2026, 3, 1), "status": "done"},
        client_id=ids["a"],
    )
    return ids


def _kinds(items):
    return [(i.kind, i.row_id) for i in items]


def test_agenda_lists_overdue_first_then_by_due_date(ctx, world):
    items = agenda(ctx, days=7)
    got = _kinds(items)
    assert got == [
        ("visit_due", world["plan"]),  # 34 days overdue
        ("equipment_service", world["eq"]),  # 15 days overdue
        ("visit_planned", world["missed"]),  # 7 days overdue
        ("improvement_item", world["item"]),  # due 03-18
        ("visit_planned", world["meeting"]),  # 03-19
        ("contract_renewal", world["a"]),  # 03-20
    ]
    first = items[0]
    assert first.overdue and first.days_overdue == 34 and first.due == dt.date(2026, 2, 10)
    assert first.client_name == "护航科技服务有限公司" and first.entity == "visit_plan"
    assert first.severity == "medium"  # routine work a month late, standard client
    assert items[1].severity == "medium"
    assert not items[3].overdue and items[3].days_overdue == 0 and items[3].severity == "low"
    assert "年度合作回顾" in items[4].title


def test_window_and_scheduled_cadence(ctx, world):
    assert ("contract_renewal", world["a"]) not in _kinds(agenda(ctx, days=3))
    assert ("contract_renewal", world["b"]) in _kinds(agenda(ctx, days=120))
    assert ("equipment_calibration", world["eq"]) not in _kinds(agenda(ctx, days=120))
    # Planning the next return visit takes the cadence item off (the planned visit shows instead).
    planned = visits.create_visit(
        ctx, world["a"], kind="return_visit", planned_start=at(2026, 3, 17), status="planned"
    )
    got = _kinds(agenda(ctx, days=7))
    assert ("visit_due", world["plan"]) not in got and ("visit_planned", planned) in got
    # Holding it (early, today) moves the cadence a month on from today.
    visits.complete_visit(ctx, planned, outcome="客户满意", done_at=at(2026, 3, 16, 8))
    (status,) = scheduling.plan_statuses(ctx, world["a"])
    assert status.last_done == TODAY and status.due == dt.date(2026, 4, 16) and not status.overdue
    assert not [i for i in agenda(ctx, days=7) if i.client_id == world["a"] and i.kind.startswith("visit")]


def test_complaint_deadline_extended_by_pauses(ctx, clock, world):
    fid = record_feedback(
        ctx, world["a"], "complaint", "报告延期交付", severity="high", due_at=at(2026, 3, 17, 9)
    )
    item = next(i for i in agenda(ctx, days=7) if i.row_id == fid)
    assert (
        item.kind == "complaint"
        and item.due == dt.date(2026, 3, 17)
        and not item.overdue
        and item.severity == "high"
    )
    # Paused for three days while waiting for the client: the deadline moves with it.
    pause_feedback(ctx, fid)
    clock.advance(days=3)
    resume_feedback(ctx, fid)
    item = next(i for i in agenda(ctx, days=7) if i.row_id == fid)
    assert item.due == dt.date(2026, 3, 20) and not item.overdue
    clock.advance(days=2)  # now 03-21 09:00, past the extended deadline
    item = next(i for i in agenda(ctx, days=7) if i.row_id == fid)
    assert item.overdue and item.days_overdue == 1
    # Answered feedback leaves the agenda.
    records.update_record(ctx, "feedback", fid, {"status": "answered", "answer": "已补发报告"})
    assert fid not in {i.row_id for i in agenda(ctx, days=7)}


def test_unresolved_conflicts_are_listed(ctx, world):
    cid = new_id()
    with ctx.store.write() as session:
        session.add(
            Conflict(
                id=cid,
                client_id=world["b"],
                entity="client",
                row_id=world["b"],
                field="tier",
                kept_value="key",
                lost_value="strategic",
                updated_at="x",
                created_at=at(2026, 3, 15),
            )
        )
    item = next(i for i in agenda(ctx, days=0) if i.kind == "conflict")
    assert item.row_id == cid and item.client_name == "远航物流集团" and "client.tier" in item.title
    with ctx.store.write() as session:
        session.get(Conflict, cid).resolved_at = at(2026, 3, 16)
    assert not [i for i in agenda(ctx, days=0) if i.kind == "conflict"]


def test_scope_and_user_filter(ctx, world):
    manager = records.create_record(
        ctx, "user", {"username": "mgr", "display_name": "经理甲", "role": "manager"}
    )
    clients.update_client(ctx, world["b"], owner_id=manager)
    mine = agenda(ctx, days=7, user_id=manager)
    assert mine and {i.client_id for i in mine} == {world["b"]}
    ctx.set_actor(manager)
    assert {i.client_id for i in agenda(ctx, days=7)} == {world["b"]}


def test_deleted_and_lost_clients_leave_the_agenda(ctx, world):
    clients.update_client(ctx, world["b"], status="lost")
    clients.delete_client(ctx, world["a"])
    assert agenda(ctx, days=30) == []


def test_bad_days_names_the_field(ctx, world):
    for bad in (-1, 400):
        with pytest.raises(ValidationError) as err:
            agenda(ctx, days=bad)
        assert err.value.field == "days"


def test_cli_agenda_json_and_table(ctx, world, data_dir, capsys):
    ctx.close()
    # The command uses the real clock: everything in this world lies in the past or near it by then,
    # so only check the contract (fields, order, exit codes).
    assert cli_main(["--data-dir", str(data_dir), "agenda", "--json", "--days", "30"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert items and set(items[0]) >= {
        "kind",
        "due",
        "client_id",
        "client_name",
        "entity",
        "row_id",
        "title",
        "overdue",
        "days_overdue",
        "severity",
    }
    flags = [i["overdue"] for i in items]
    assert flags == sorted(flags, reverse=True)
    assert cli_main(["--data-dir", str(data_dir), "agenda"]) == 0
    out = capsys.readouterr().out
    assert "护航科技服务有限公司" in out and "overdue" in out
    assert cli_main(["--data-dir", str(data_dir), "agenda", "--days", "soon"]) == 2
    assert "days" in capsys.readouterr().err
    assert cli_main(["--data-dir", str(data_dir), "agenda", "--user", "nobody"]) == 2


def test_cli_agenda_speaks_chinese(ctx, world, data_dir, capsys):
    ctx.close()
    assert cli_main(["--data-dir", str(data_dir), "--lang", "zh_CN", "agenda", "--days", "30"]) == 0
    out = capsys.readouterr().out
    assert "到期日" in out and "已逾期" in out


def test_field_staff_see_the_agenda_of_the_clients_they_serve(ctx, world):
    field_user = records.create_record(
        ctx, "user", {"username": "eng", "display_name": "工程师", "role": "field"}
    )
    records.create_record(ctx, "client_team_member", {"user_id": field_user}, client_id=world["b"])
    assert {i.client_id for i in agenda(ctx, days=7, user_id=field_user)} == {world["b"]}
    ctx.set_actor(field_user)
    items = agenda(ctx, days=7)
    assert items and {i.client_id for i in items} == {world["b"]}
