"""Today as triage: sections by urgency, severity from kind/tier/lateness, mine/team/all and kind
filters, snooze, reschedule, reassign."""

from __future__ import annotations

import datetime as dt

import pytest

from accountdesk.errors import PermissionDenied, ValidationError
from accountdesk.services import clients, records, triage, visits
from accountdesk.services.agenda import severity_of
from accountdesk.services.feedback import record_feedback

UTC = dt.UTC


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=UTC)


@pytest.fixture
def day(ctx):
    """A manager's day on 2026-03-16: a strategic client with a complaint 81 days past its
    deadline, a survey cadence 283 days late, many routine visits, a complaint received today
    (due in three days), a visit at 15:00 today."""
    ids = {}
    ids["strategic"] = clients.create_client(ctx, name="北方重工集团", tier="strategic")
    ids["standard"] = clients.create_client(ctx, name="护航科技服务有限公司", tier="standard")
    ids["old_complaint"] = record_feedback(
        ctx,
        ids["strategic"],
        "complaint",
        "报告数据错误",
        severity="medium",
        received_at=at(2025, 12, 20),
        due_at=at(2025, 12, 25, 9),
        status="investigating",
    )
    ids["survey_plan"] = visits.create_visit_plan(
        ctx, ids["standard"], "satisfaction_survey", starts_on=dt.date(2025, 6, 6)
    )
    ids["routine"] = [
        visits.plan_visit(ctx, ids["standard"], "return_visit", at(2026, 3, 17 + i % 5, 9 + i % 8))
        for i in range(30)
    ]
    ids["new_complaint"] = record_feedback(
        ctx,
        ids["standard"],
        "complaint",
        "现场工程师迟到",
        severity="low",
        received_at=at(2026, 3, 16, 8),
        due_at=at(2026, 3, 19, 17),
    )
    ids["visit_today"] = visits.plan_visit(ctx, ids["strategic"], "executive_meeting", at(2026, 3, 16, 15))
    return ids


def test_complaints_come_first_and_routine_work_cannot_outrank_them(ctx, day):
    t = triage.triage(ctx, scope="all")
    urgent = [i.row_id for i in t.sections["urgent"]]
    assert urgent == [day["old_complaint"], day["new_complaint"]]
    first = t.sections["urgent"][0]
    assert first.severity == "critical" and first.days_overdue == 81
    assert t.sections["today"][0].row_id == day["visit_today"]
    assert t.sections["today"][0].due_at == at(2026, 3, 16, 15)  # the hour, not only the day
    overdue = t.sections["overdue"]
    assert [i.row_id for i in overdue] == [day["survey_plan"]]
    assert overdue[0].days_overdue == 283 and overdue[0].severity == "medium"
    assert len(t.sections["week"]) == 30
    # The flat order the screen shows: urgent, today, overdue, week.
    assert [i.row_id for i in t.items][:4] == urgent + [day["visit_today"], day["survey_plan"]]


def test_severity_weighs_kind_tier_and_lateness():
    assert severity_of("visit_due", "standard", overdue=True, days_overdue=283) == "medium"
    assert severity_of("visit_due", "standard", overdue=True, days_overdue=3) == "low"
    assert severity_of("visit_due", "strategic", overdue=True, days_overdue=40) == "high"
    assert (
        severity_of("complaint", "standard", overdue=True, days_overdue=1, feedback_severity="medium")
        == "critical"
    )
    assert (
        severity_of("complaint", "standard", overdue=False, days_overdue=0, feedback_severity="low")
        == "medium"
    )
    assert severity_of("contract_renewal", "key", overdue=False, days_overdue=0) == "medium"


def test_kind_filter_counts_every_kind(ctx, day):
    t = triage.triage(ctx, scope="all", kinds=["complaint"])
    assert [i.kind for i in t.items] == ["complaint", "complaint"]
    assert t.kind_counts["visit_planned"] == 31 and t.kind_counts["complaint"] == 2


def test_mine_team_all(ctx, day):
    mgr = records.create_record(
        ctx, "user", {"username": "mgr", "display_name": "经理甲", "role": "manager", "team": "华北"}
    )
    peer = records.create_record(
        ctx, "user", {"username": "peer", "display_name": "经理乙", "role": "manager", "team": "华北"}
    )
    clients.update_client(ctx, day["strategic"], owner_id=mgr)
    clients.update_client(ctx, day["standard"], owner_id=peer)
    supervisor = ctx.actor.id
    ctx.set_actor(mgr)
    # A manager's scope is their own clients: "all" is what they may see.
    mine = triage.triage(ctx, scope="mine")
    assert {i.client_id for i in mine.items} == {day["strategic"]}
    ctx.set_actor(supervisor)
    assert {i.client_id for i in triage.triage(ctx, scope="all").items} == {day["strategic"], day["standard"]}
    # The supervisor's own clients: none; a visit assigned to them on a colleague's client shows.
    assert triage.triage(ctx, scope="mine").items == []
    visits.update_visit(ctx, day["routine"][0], owner_id=ctx.actor.id)
    assert [i.row_id for i in triage.triage(ctx, scope="mine").items] == [day["routine"][0]]
    # The team: every colleague's clients.
    records.update_record(ctx, "user", supervisor, {"team": "华北"})
    team = triage.triage(ctx, scope="team")
    assert {i.client_id for i in team.items} == {day["strategic"], day["standard"]}
    with pytest.raises(ValidationError) as err:
        triage.triage(ctx, scope="everyone")
    assert err.value.field == "scope"


def test_the_quick_first_part_shows_what_the_whole_agenda_shows_of_its_kinds(ctx, day):
    """The first part (complaints, visits planned today, tasks due) narrows the clients before it
    reads them (0017): for each scope and person it shows exactly the whole agenda's items of
    those kinds that are due by today, a complaint handled on a client one does not serve included."""
    mgr = records.create_record(
        ctx, "user", {"username": "mgr", "display_name": "经理甲", "role": "manager", "team": "华北"}
    )
    peer = records.create_record(
        ctx, "user", {"username": "peer", "display_name": "经理乙", "role": "manager", "team": "华北"}
    )
    clients.update_client(ctx, day["strategic"], owner_id=mgr)
    clients.update_client(ctx, day["standard"], owner_id=peer)
    supervisor = ctx.actor.id
    records.update_record(ctx, "feedback", day["new_complaint"], {"handler_id": supervisor})
    records.update_record(ctx, "user", supervisor, {"team": "华北"})

    def shown(part: triage.Triage) -> set[str]:
        return {i.row_id for i in part.items}

    for who in (mgr, peer, supervisor):
        ctx.set_actor(who)
        for scope in ("mine", "team", "all"):
            quick = triage.triage(ctx, scope=scope, quick=True)
            whole = triage.triage(ctx, scope=scope)
            wanted = {
                i.row_id
                for i in whole.items
                if i.kind == "complaint" or (i.kind in ("visit_planned", "task") and i.due <= ctx.today())
            }
            assert shown(quick) == wanted, (who, scope)
    # the supervisor serves no client: of the complaints, only the one they handle
    ctx.set_actor(supervisor)
    mine = shown(triage.triage(ctx, scope="mine", quick=True))
    assert day["new_complaint"] in mine and day["old_complaint"] not in mine
    ctx.set_actor(mgr)
    assert day["old_complaint"] in shown(triage.triage(ctx, scope="mine", quick=True))


def test_snooze_hides_until_the_day(ctx, clock, day):
    item = triage.triage(ctx, scope="all").sections["overdue"][0]
    with pytest.raises(ValidationError) as err:
        triage.snooze(ctx, item.key, ctx.today())
    assert err.value.field == "until"
    triage.snooze(ctx, item.key, dt.date(2026, 3, 18))
    t = triage.triage(ctx, scope="all")
    assert item.key not in {i.key for i in t.items} and t.snoozed == 1
    clock.advance(days=2)
    assert item.key in {i.key for i in triage.triage(ctx, scope="all").items}


def test_reschedule_moves_a_visit_keeping_its_hour_and_plans_a_due_cadence(ctx, day):
    t = triage.triage(ctx, scope="all")
    today_visit = t.sections["today"][0]
    triage.reschedule(ctx, today_visit, dt.date(2026, 3, 20))
    moved = records.get_record(ctx, "visit", day["visit_today"])
    assert moved["planned_start"] == at(2026, 3, 20, 15)
    cadence = t.sections["overdue"][0]
    visit_id = triage.reschedule(ctx, cadence, "2026-03-18")
    planned = records.get_record(ctx, "visit", visit_id)
    assert planned["kind"] == "satisfaction_survey" and planned["status"] == "planned"
    assert cadence.key not in {i.key for i in triage.triage(ctx, scope="all").items}
    with pytest.raises(ValidationError) as err:
        triage.reschedule(ctx, t.sections["urgent"][0], "2026-03-20")
    assert err.value.field == "kind"
    with pytest.raises(ValidationError) as err:
        triage.reschedule(ctx, today_visit, "2026-03-01")
    assert err.value.field == "when"


def test_only_supervisors_reassign(ctx, day):
    mgr = records.create_record(ctx, "user", {"username": "mgr", "display_name": "经理甲", "role": "manager"})
    item = triage.triage(ctx, scope="all").sections["today"][0]
    triage.reassign(ctx, item, mgr)
    assert records.get_record(ctx, "visit", item.row_id)["owner_id"] == mgr
    clients.update_client(ctx, day["strategic"], owner_id=mgr)
    ctx.set_actor(mgr)
    assert not triage.may_reassign(ctx)
    with pytest.raises(PermissionDenied):
        triage.reassign(ctx, item, mgr)


def test_done_opens_the_right_form(ctx, day):
    t = triage.triage(ctx, scope="all")
    assert triage.done_action(t.sections["today"][0]) == "write_report"
    assert triage.done_action(t.sections["overdue"][0]) == "record_visit"
    assert triage.done_action(t.sections["urgent"][0]) == "edit"
