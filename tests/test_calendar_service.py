"""The calendar's entries (services/calendar.py): visits, cadence plans, tasks, calibration due
dates and contract renewals for a date range, the filter by kind and by person, and rescheduling
a visit through the services (field history, outbox)."""

from __future__ import annotations

import datetime as dt

import pytest

from accountdesk.errors import ValidationError
from accountdesk.services import calendar as cal
from accountdesk.services import clients, records, tasks, users, visits
from accountdesk.services.workspace import local_field_history

UTC = dt.UTC


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h).astimezone()


@pytest.fixture
def world(ctx):
    ids = {
        "li": users.create_user(ctx, "li.na", "李娜", "manager"),
        "zhao": users.create_user(ctx, "zhao.lei", "赵磊", "manager"),
    }
    ids["a"] = clients.create_client(
        ctx,
        name="护航科技有限公司",
        short_name="护航科技",
        owner_id=ids["li"],
        contract_renewal_date=dt.date(2026, 3, 27),
    )
    ids["b"] = clients.create_client(ctx, name="远航物流集团", owner_id=ids["zhao"])
    # Monthly return visits for a, last held 2026-02-20: due 2026-03-20, then 04-20.
    ids["plan"] = visits.create_visit_plan(ctx, ids["a"], "return_visit", 1)
    visits.create_visit(ctx, ids["a"], kind="return_visit", planned_start=at(2026, 2, 20), status="done")
    ids["visit"] = visits.create_visit(
        ctx,
        ids["b"],
        kind="executive_meeting",
        planned_start=at(2026, 3, 18, 14),
        planned_end=at(2026, 3, 18, 15),
        status="planned",
        owner_id=ids["zhao"],
    )
    ids["task"] = tasks.create_task(
        ctx, ids["b"], "寄送年度报告", due_on=dt.date(2026, 3, 19), owner_id=ids["zhao"]
    )
    tasks.create_task(ctx, ids["b"], "已完成", due_on=dt.date(2026, 3, 19), status="done")
    ids["eq"] = records.create_record(
        ctx,
        "equipment",
        {
            "name": "气相色谱仪",
            "serial": "GC-2010",
            "last_calibrated_on": dt.date(2025, 3, 24),
            "calibration_interval_months": 12,
        },
        client_id=ids["b"],
    )
    return ids


def test_every_kind_is_on_its_day(ctx, world):
    got = [
        (e.kind, e.row_id, e.day)
        for e in cal.entries_between(ctx, dt.date(2026, 3, 16), dt.date(2026, 3, 30))
    ]
    assert got == [
        ("visit", world["visit"], dt.date(2026, 3, 18)),
        ("task", world["task"], dt.date(2026, 3, 19)),
        ("plan", world["plan"], dt.date(2026, 3, 20)),
        ("calibration", world["eq"], dt.date(2026, 3, 24)),
        ("renewal", world["a"], dt.date(2026, 3, 27)),
    ]
    by_kind = {e.kind: e for e in cal.entries_between(ctx, dt.date(2026, 3, 16), dt.date(2026, 3, 30))}
    assert not by_kind["visit"].all_day and by_kind["visit"].start == at(2026, 3, 18, 14)
    assert all(by_kind[k].all_day for k in ("task", "plan", "calibration", "renewal"))
    assert by_kind["plan"].title == "Return visit due (every month)"
    assert by_kind["calibration"].title == "Calibration: 气相色谱仪 (GC-2010)"
    assert by_kind["renewal"].client_name == "护航科技"


def test_a_cadence_repeats_and_a_scheduled_one_is_not_shown_twice(ctx, world):
    days = [e.day for e in cal.entries_between(ctx, dt.date(2026, 3, 1), dt.date(2026, 6, 1), kinds=["plan"])]
    assert days == [dt.date(2026, 3, 20), dt.date(2026, 4, 20), dt.date(2026, 5, 20)]
    visits.plan_visit(ctx, world["a"], "return_visit", at(2026, 3, 21))
    assert cal.entries_between(ctx, dt.date(2026, 3, 1), dt.date(2026, 6, 1), kinds=["plan"]) == []


def test_kinds_and_person_filter(ctx, world):
    span = (dt.date(2026, 3, 16), dt.date(2026, 3, 30))
    assert {e.kind for e in cal.entries_between(ctx, *span, kinds=["task", "renewal"])} == {"task", "renewal"}
    # 李娜 manages client a (its plan and renewal); 赵磊 owns the visit, the task, and b's instrument.
    assert {e.kind for e in cal.entries_between(ctx, *span, person_id=world["li"])} == {"plan", "renewal"}
    assert {e.kind for e in cal.entries_between(ctx, *span, person_id=world["zhao"])} == {
        "visit",
        "task",
        "calibration",
    }
    with pytest.raises(ValidationError) as err:
        cal.entries_between(ctx, *span, kinds=["birthday"])
    assert err.value.field == "kinds"
    with pytest.raises(ValidationError):
        cal.entries_between(ctx, dt.date(2026, 3, 30), dt.date(2026, 3, 1))


def test_a_manager_sees_only_the_clients_they_serve(ctx, world):
    ctx.set_actor(world["li"])
    assert not cal.may_filter_by_manager(ctx)
    got = {e.client_id for e in cal.entries_between(ctx, dt.date(2026, 3, 16), dt.date(2026, 3, 30))}
    assert got == {world["a"]}


def test_rescheduling_a_visit_keeps_its_length_and_is_recorded(ctx, world):
    cal.reschedule_visit(ctx, world["visit"], at(2026, 3, 20, 9))
    [v] = cal.entries_between(ctx, dt.date(2026, 3, 16), dt.date(2026, 3, 30), kinds=["visit"])
    assert v.day == dt.date(2026, 3, 20) and v.start == at(2026, 3, 20, 9) and v.end == at(2026, 3, 20, 10)
    [change, _created] = local_field_history(ctx, "visit", world["visit"], "planned_start")
    assert change.old == at(2026, 3, 18, 14) and change.new == at(2026, 3, 20, 9)


def test_only_a_planned_visit_moves(ctx, world):
    done = visits.create_visit(
        ctx, world["a"], kind="return_visit", planned_start=at(2026, 3, 10), status="done"
    )
    with pytest.raises(ValidationError) as err:
        cal.reschedule_visit(ctx, done, at(2026, 3, 20, 9))
    assert err.value.field == "planned_start"
    with pytest.raises(ValidationError):
        cal.reschedule_visit(ctx, world["visit"], dt.datetime(2026, 3, 20, 9))


def test_an_overdue_cadence_is_owed_today_not_on_a_day_long_past(ctx, world):
    # Client b gets a monthly cadence starting 2026-01-05: never held, so overdue since then.
    plan = visits.create_visit_plan(ctx, world["b"], "return_visit", 1, starts_on=dt.date(2026, 1, 5))
    got = [
        (e.day, e.status)
        for e in cal.entries_between(ctx, dt.date(2026, 1, 1), dt.date(2026, 5, 1), kinds=["plan"])
        if e.row_id == plan
    ]
    assert got == [(dt.date(2026, 3, 16), "overdue"), (dt.date(2026, 4, 5), "due")]
