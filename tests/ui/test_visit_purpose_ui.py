# ruff: noqa: F811 - pytest fixtures imported from conftest_workspace are parameters here
"""Visits that record their purpose, through the real widgets: a visit logged from a survey plan is
a survey visit whose scores reach the Satisfaction tab; next steps become tasks on Today."""

from __future__ import annotations

import datetime as dt

import pytest

from accountdesk.services import records, visits
from accountdesk.services import tasks as task_service
from accountdesk.services.triage import triage

from .conftest_workspace import (  # noqa: F401 - fixtures
    choose,
    client_id,
    reload,
    save,
    settle,
    shown,
    staff,
    tasks,
    type_into,
    workspace,
)

pytestmark = pytest.mark.gui


def test_a_visit_logged_from_a_survey_plan_records_the_survey(workspace, ctx, client_id, qtbot):
    plan = visits.create_visit_plan(ctx, client_id, "satisfaction_survey")
    tab = shown(qtbot, workspace, "visits")
    reload(qtbot, tab)
    assert tab.plans.select(plan)
    assert tab.plan_record_button.isEnabled()
    tab.plan_record_button.click()
    dialog = tab.last_dialog
    assert dialog.form.editors["kind"].value() == "satisfaction_survey"
    assert dialog.survey_box.isVisible()
    save(qtbot, dialog)  # no scores: refused, shown under the overall score
    assert dialog.isVisible()
    assert dialog.survey_form.errors["score_overall"].isVisible()
    type_into(qtbot, dialog.survey_form.editors["score_overall"], "4")
    type_into(qtbot, dialog.survey_form.editors["score_service_quality"], "5")
    type_into(qtbot, dialog.survey_form.editors["comments"], "报告出具及时")
    save(qtbot, dialog)
    assert not dialog.isVisible()
    surveys_tab = shown(qtbot, workspace, "surveys")
    reload(qtbot, surveys_tab)
    rows = surveys_tab.surveys.model.rows
    assert len(rows) == 1 and rows[0]["score_overall"] == 4 and rows[0]["comments"] == "报告出具及时"
    assert rows[0]["visit_id"] == tab.visits.model.rows[0]["id"]
    # a return visit has no survey section
    tab = shown(qtbot, workspace, "visits")
    other = tab.record_visit()
    choose(other.form.editors["kind"], "return_visit")
    assert not other.survey_box.isVisible()
    other.reject()


def test_next_steps_become_tasks_on_today(workspace, ctx, client_id, staff, qtbot):
    vid = visits.plan_visit(
        ctx, client_id, "return_visit", ctx.now() - dt.timedelta(hours=2), owner_id=staff["li"]
    )
    tab = shown(qtbot, workspace, "visits")
    reload(qtbot, tab)
    assert tab.visits.select(vid)
    dialog = tab.complete_visit()
    type_into(qtbot, dialog.form.editors["next_steps"], "寄送新版报价单；安排工程师复检")
    save(qtbot, dialog)
    steps = tab.next_steps_dialog
    assert steps.isVisible() and [t.text() for _c, t, _o, _w in steps.rows] == [
        "寄送新版报价单",
        "安排工程师复检",
    ]
    assert steps.rows[0][2].currentData() == staff["li"]  # the visit's owner
    steps.rows[1][0].setChecked(False)
    steps.save()
    settle(qtbot, tab)
    [task] = task_service.list_tasks(ctx, client_id)
    assert task["title"] == "寄送新版报价单" and task["visit_id"] == vid and task["owner_id"] == staff["li"]
    assert [r["title"] for r in tab.task_panel.model.rows] == ["寄送新版报价单"]
    assert task["id"] in {i.row_id for i in triage(ctx, scope="all", days=30).items}
    tab.task_panel.select(task["id"])
    tab.task_done_button.click()
    settle(qtbot, tab)
    assert records.get_record(ctx, "task", task["id"])["status"] == "done"
