"""Visits that record their purpose: a survey visit carries its survey (the Satisfaction tab and
the cadence agree), next steps become tasks on Today, a new visit in the future cannot be done."""

from __future__ import annotations

import datetime as dt

import pytest

from accountdesk.errors import ValidationError
from accountdesk.services import clients, records, scheduling, surveys, tasks, triage, visits

UTC = dt.UTC


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=UTC)


@pytest.fixture
def client(ctx):
    cid = clients.create_client(ctx, name="护航科技服务有限公司")
    visits.create_visit_plan(ctx, cid, "satisfaction_survey", starts_on=dt.date(2025, 6, 1))
    return cid


def test_a_survey_visit_records_its_scores_and_the_cadence_agrees(ctx, client):
    with pytest.raises(ValidationError) as err:
        visits.record_visit(ctx, client, "satisfaction_survey", at(2026, 3, 12), "问卷已回收")
    assert err.value.field == "score_overall"
    assert records.list_records(ctx, "visit", client) == []  # nothing half-written
    vid = visits.record_visit(
        ctx,
        client,
        "satisfaction_survey",
        at(2026, 3, 12),
        "问卷已回收",
        survey={"score_service_quality": 4, "score_overall": "5", "comments": "报告及时"},
    )
    [survey] = surveys.list_surveys(ctx, client)
    assert survey["visit_id"] == vid and survey["conducted_on"] == dt.date(2026, 3, 12)
    assert (survey["score_service_quality"], survey["score_overall"], survey["comments"]) == (
        4,
        5,
        "报告及时",
    )
    [status] = scheduling.plan_statuses(ctx, client)
    assert status.last_done == dt.date(2026, 3, 12) and status.due == dt.date(2026, 9, 12)


def test_completing_a_planned_survey_visit_writes_the_survey_once(ctx, client):
    vid = visits.plan_visit(ctx, client, "satisfaction_survey", at(2026, 3, 15))
    with pytest.raises(ValidationError):
        visits.complete_visit(ctx, vid, outcome="已完成")
    assert records.get_record(ctx, "visit", vid)["status"] == "planned"
    visits.complete_visit(ctx, vid, outcome="已完成", survey={"score_overall": 3})
    visits.complete_visit(ctx, vid, survey={"score_overall": 4, "comments": "更正"})
    [survey] = surveys.list_surveys(ctx, client)
    assert survey["score_overall"] == 4 and survey["comments"] == "更正"
    with pytest.raises(ValidationError) as err:
        visits.record_visit(ctx, client, "return_visit", at(2026, 3, 10), survey={"score_overall": 4})
    assert err.value.field == "kind"


def test_a_new_visit_in_the_future_cannot_be_done(ctx, clock, client):
    with pytest.raises(ValidationError) as err:
        visits.record_visit(ctx, client, "return_visit", clock.now() + dt.timedelta(days=2), "还没发生")
    assert err.value.field == "planned_start"
    # planned, then held early: done now
    vid = visits.plan_visit(ctx, client, "return_visit", clock.now() + dt.timedelta(days=2))
    assert visits.complete_visit(ctx, vid, outcome="提前拜访")["done_at"] == clock.now()


def test_next_steps_become_tasks_on_today(ctx, clock, client):
    mgr = records.create_record(ctx, "user", {"username": "mgr", "display_name": "经理甲", "role": "manager"})
    vid = visits.record_visit(
        ctx,
        client,
        "return_visit",
        at(2026, 3, 10),
        "沟通顺利",
        next_steps="1. 寄送新版报价单\n2、安排工程师复检；\n- 约下次高层会谈",
    )
    visit = records.get_record(ctx, "visit", vid)
    lines = tasks.next_step_lines(visit["next_steps"])
    assert lines == ["寄送新版报价单", "安排工程师复检", "约下次高层会谈"]
    ids = tasks.tasks_from_visit(
        ctx, vid, [{"title": lines[0], "due_on": dt.date(2026, 3, 17)}, {"title": lines[1], "owner_id": mgr}]
    )
    assert tasks.tasks_from_visit(ctx, vid, [{"title": lines[0]}]) == []  # not twice
    rows = {r["id"]: r for r in tasks.list_tasks(ctx, client)}
    assert rows[ids[0]]["due_on"] == dt.date(2026, 3, 17) and rows[ids[0]]["owner_id"] == ctx.actor.id
    assert rows[ids[1]]["due_on"] == dt.date(2026, 3, 24) and rows[ids[1]]["owner_id"] == mgr  # two weeks on
    t = triage.triage(ctx, scope="all", days=14)
    found = {i.row_id: i for i in t.items if i.kind == "task"}
    assert set(found) == set(ids)
    assert triage.done_action(found[ids[0]]) == "complete"
    triage.reschedule(ctx, found[ids[1]], dt.date(2026, 3, 18))
    assert records.get_record(ctx, "task", ids[1])["due_on"] == dt.date(2026, 3, 18)
    done = tasks.complete_task(ctx, ids[0])
    assert done["status"] == "done" and done["done_at"] == clock.now()
    assert ids[0] not in {i.row_id for i in triage.triage(ctx, scope="all").items}


def test_a_task_needs_a_title_and_done_at_follows_status(ctx, clock, client):
    with pytest.raises(ValidationError) as err:
        tasks.create_task(ctx, client, "  ")
    assert err.value.field == "title"
    tid = tasks.create_task(ctx, client, "回电客户", due_on="2026-03-20")
    with pytest.raises(ValidationError) as err:
        tasks.update_task(ctx, tid, done_at=clock.now())
    assert err.value.field == "done_at"
    tasks.complete_task(ctx, tid)
    assert tasks.update_task(ctx, tid, status="open")["done_at"] is None
