"""Visit cadences: default plans, next due from the last completed visit, planned visits."""

from __future__ import annotations

import datetime as dt

import pytest

from accountdesk.domain.dates import add_months
from accountdesk.services import clients, scheduling, visits

UTC = dt.UTC


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=UTC)


@pytest.fixture
def client(ctx):
    return clients.create_client(ctx, name="护航科技服务有限公司", relationship_since=dt.date(2025, 6, 1))


def _by_kind(ctx, client_id):
    return {s.kind: s for s in scheduling.plan_statuses(ctx, client_id)}


def test_add_months_clamps_to_the_end_of_month():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 11, 15), 3) == dt.date(2026, 2, 15)
    assert add_months(dt.date(2025, 12, 1), 12) == dt.date(2026, 12, 1)


def test_default_plans_are_created_once(ctx, client):
    created = scheduling.ensure_default_plans(ctx, client)
    assert len(created) == 4
    plans = _by_kind(ctx, client)
    assert {k: p.every_months for k, p in plans.items()} == {
        "return_visit": 1,
        "executive_meeting": 3,
        "satisfaction_survey": 6,
        "improvement_review": 12,
    }
    assert scheduling.ensure_default_plans(ctx, client) == []
    assert len(scheduling.plan_statuses(ctx, client)) == 4


def test_without_visits_due_counts_from_the_relationship_start(ctx, client, clock):
    scheduling.ensure_default_plans(ctx, client)
    plans = _by_kind(ctx, client)
    # Relationship since 2025-06-01; today is 2026-03-16.
    assert plans["return_visit"].due == dt.date(2025, 7, 1)
    assert (
        plans["return_visit"].overdue
        and plans["return_visit"].days_overdue == (dt.date(2026, 3, 16) - dt.date(2025, 7, 1)).days
    )
    assert plans["executive_meeting"].due == dt.date(2025, 9, 1)
    assert plans["improvement_review"].due == dt.date(2026, 6, 1)
    assert not plans["improvement_review"].overdue


def test_next_due_follows_the_last_completed_visit_of_that_kind(ctx, client):
    scheduling.ensure_default_plans(ctx, client)
    visits.create_visit(ctx, client, kind="return_visit", planned_start=at(2026, 1, 20), status="done")
    visits.create_visit(ctx, client, kind="return_visit", planned_start=at(2026, 3, 2), status="done")
    # Cancelled and missed visits do not count, nor visits of another kind.
    visits.create_visit(ctx, client, kind="return_visit", planned_start=at(2026, 3, 10), status="cancelled")
    visits.create_visit(ctx, client, kind="executive_meeting", planned_start=at(2026, 2, 10), status="done")
    plans = _by_kind(ctx, client)
    assert plans["return_visit"].last_done == dt.date(2026, 3, 2)
    assert plans["return_visit"].due == dt.date(2026, 4, 2)
    assert not plans["return_visit"].overdue
    assert plans["executive_meeting"].due == dt.date(2026, 5, 10)
    assert plans["satisfaction_survey"].last_done is None
    assert scheduling.next_due(ctx, client) == dt.date(2025, 12, 1)  # the survey, from the relationship start


def test_plan_start_sets_the_first_due_date(ctx, client):
    plan = visits.create_visit_plan(
        ctx, client, "custom", 2, title="技术交流会", starts_on=dt.date(2026, 4, 1)
    )
    status = {s.plan_id: s for s in scheduling.plan_statuses(ctx, client)}[plan]
    assert status.due == dt.date(2026, 4, 1) and not status.overdue
    # A visit held long before the start does not pull the due date before it.
    visits.create_visit(ctx, client, kind="custom", planned_start=at(2025, 10, 1), status="done")
    status = {s.plan_id: s for s in scheduling.plan_statuses(ctx, client)}[plan]
    assert status.due == dt.date(2026, 4, 1)


def test_a_planned_visit_counts_as_scheduled(ctx, client):
    scheduling.ensure_default_plans(ctx, client)
    visits.create_visit(ctx, client, kind="return_visit", planned_start=at(2026, 1, 5), status="done")
    before = _by_kind(ctx, client)["return_visit"]
    assert before.overdue and before.scheduled is None
    planned = visits.create_visit(
        ctx, client, kind="return_visit", planned_start=at(2026, 3, 20), status="planned"
    )
    after = _by_kind(ctx, client)["return_visit"]
    assert after.due == dt.date(2026, 2, 5)
    assert after.scheduled == dt.date(2026, 3, 20) and after.scheduled_visit_id == planned
    assert not after.overdue


def test_inactive_and_deleted_plans_are_ignored(ctx, client):
    created = scheduling.ensure_default_plans(ctx, client)
    visits.update_visit_plan(ctx, created[0], active=False)
    visits.delete_visit_plan(ctx, created[1])
    assert len(scheduling.plan_statuses(ctx, client)) == 2
    assert scheduling.next_due(ctx, clients.create_client(ctx, name="无计划客户")) is None


def test_a_recorded_survey_counts_as_the_half_yearly_satisfaction_survey(ctx, client):
    from accountdesk.services import records

    scheduling.ensure_default_plans(ctx, client)
    assert _by_kind(ctx, client)["satisfaction_survey"].overdue  # due 2025-12-01, today 2026-03-16
    records.create_record(ctx, "survey", {"conducted_on": "2026-02-20", "score_overall": 4}, client_id=client)
    survey = _by_kind(ctx, client)["satisfaction_survey"]
    assert survey.last_done == dt.date(2026, 2, 20)
    assert survey.due == dt.date(2026, 8, 20)
    assert not survey.overdue
