"""Entity services: visits and plans, risks, team, users, equipment, service, improvement, detail."""

from __future__ import annotations

import datetime as dt

import pytest

from accountdesk.errors import NotFoundError, ValidationError
from accountdesk.services import (
    clients,
    contacts,
    detail,
    equipment,
    feedback,
    improvement,
    interactions,
    opportunities,
    records,
    risks,
    service,
    surveys,
    team,
    users,
    visits,
)

H = dt.timedelta(hours=1)


@pytest.fixture
def client_id(ctx) -> str:
    return clients.create_client(ctx, name="护航科技服务有限公司", annual_fees=1_200_000)


# -- visits -----------------------------------------------------------------------------------


def test_record_visit_is_done_at_its_start_with_its_report(ctx, clock, client_id):
    at = clock.now() - 48 * H
    vid = visits.record_visit(
        ctx, client_id, "return_visit", at, "客户对报告时效满意", client_requests="希望加急"
    )
    row = records.get_record(ctx, "visit", vid)
    assert (row["status"], row["done_at"], row["outcome"]) == ("done", at, "客户对报告时效满意")
    assert row["client_requests"] == "希望加急"


def test_plan_then_complete_a_visit(ctx, clock, client_id):
    start = clock.now() + 24 * H
    vid = visits.plan_visit(
        ctx, client_id, "executive_meeting", start, end=start + 2 * H, location="杭州总部"
    )
    assert records.get_record(ctx, "visit", vid)["done_at"] is None
    # held early: done now, not at the planned start which still lies ahead
    changed = visits.complete_visit(ctx, vid, outcome="签订年度框架协议", next_steps="季度复盘")
    assert changed["status"] == "done" and changed["done_at"] == clock.now()
    # a visit moved back to planned loses its derived time
    visits.update_visit(ctx, vid, status="planned")
    assert records.get_record(ctx, "visit", vid)["done_at"] is None


def test_done_at_only_on_held_visits_and_not_in_the_future(ctx, clock, client_id):
    vid = visits.plan_visit(ctx, client_id, "return_visit", clock.now() + 24 * H)
    with pytest.raises(ValidationError) as info:
        visits.update_visit(ctx, vid, done_at=clock.now())
    assert info.value.field == "done_at"
    with pytest.raises(ValidationError) as info:
        visits.complete_visit(ctx, vid, done_at=clock.now() + 24 * H)
    assert info.value.field == "done_at"
    visits.complete_visit(ctx, vid, done_at=clock.now() - H)
    assert records.get_record(ctx, "visit", vid)["done_at"] == clock.now() - H
    visits.cancel_visit(ctx, vid)
    assert records.get_record(ctx, "visit", vid)["done_at"] is None


def test_visit_attendees_must_be_contacts_of_the_client(ctx, clock, client_id):
    zhang = contacts.create_contact(ctx, client_id, name="张三")
    other = contacts.create_contact(ctx, clients.create_client(ctx, name="别家"), name="李四")
    vid = visits.record_visit(ctx, client_id, "return_visit", clock.now() - H, attendee_contact_ids=[zhang])
    assert records.get_record(ctx, "visit", vid)["attendee_contact_ids"] == [zhang]
    with pytest.raises(ValidationError) as info:
        visits.record_visit(
            ctx, client_id, "return_visit", clock.now() - H, attendee_contact_ids=[zhang, other]
        )
    assert info.value.field == "attendee_contact_ids"


def test_visit_plans_default_cadence_and_one_active_plan_per_kind(ctx, client_id):
    monthly = visits.create_visit_plan(ctx, client_id, "return_visit")
    assert records.get_record(ctx, "visit_plan", monthly)["every_months"] == 1
    quarterly = visits.create_visit_plan(ctx, client_id, "高层会晤")
    assert records.get_record(ctx, "visit_plan", quarterly)["every_months"] == 3
    with pytest.raises(ValidationError) as info:
        visits.create_visit_plan(ctx, client_id, "return_visit", 2)
    assert info.value.field == "kind"
    visits.update_visit_plan(ctx, monthly, active=False)
    assert visits.create_visit_plan(ctx, client_id, "return_visit", 2)
    with pytest.raises(ValidationError) as info:
        visits.update_visit_plan(ctx, monthly, active=True)
    assert info.value.field == "kind"
    with pytest.raises(ValidationError) as info:
        visits.create_visit_plan(ctx, client_id, "custom", 4)
    assert info.value.field == "title"
    assert visits.create_visit_plan(ctx, client_id, "custom", 4, title="设备巡检")
    assert visits.create_visit_plan(ctx, client_id, "custom", 6, title="培训")
    assert len(visits.list_visit_plans(ctx, client_id)) == 5


# -- risks, team, users -----------------------------------------------------------------------


def test_raising_and_clearing_a_risk(ctx, clock, client_id):
    rid = risks.raise_risk(ctx, client_id, "litigation_use", severity="high", note="报告将用于诉讼")
    row = records.get_record(ctx, "risk_flag", rid)
    assert row["raised_at"] == clock.now() and row["raised_by"] == ctx.actor.id
    assert [r["id"] for r in risks.list_risks(ctx, client_id, active_only=True)] == [rid]
    clock.advance(days=3)
    risks.clear_risk(ctx, rid)
    assert records.get_record(ctx, "risk_flag", rid)["cleared_at"] == clock.now()
    assert risks.list_risks(ctx, client_id, active_only=True) == []
    assert len(risks.list_risks(ctx, client_id)) == 1


def test_service_team_membership(ctx, client_id):
    li = users.create_user(ctx, "li", "李工", "field")
    users.create_user(ctx, "wu", "吴工", "field")
    team.add_team_member(ctx, client_id, "li", role="驻场工程师")
    team.add_team_member(ctx, client_id, "wu")
    assert [(m["display_name"], m["role"]) for m in team.list_team(ctx, client_id)] == [
        ("吴工", None),
        ("李工", "驻场工程师"),
    ]
    assert team.remove_team_member(ctx, client_id, li)
    assert [m["username"] for m in team.list_team(ctx, client_id)] == ["wu"]
    with pytest.raises(NotFoundError):
        team.remove_team_member(ctx, client_id, "li")
    # after leaving, one may join again
    assert team.add_team_member(ctx, client_id, "li")
    users.deactivate_user(ctx, users.find_user(ctx, "wu")["id"])
    other = clients.create_client(ctx, name="别家")
    with pytest.raises(ValidationError) as info:
        team.add_team_member(ctx, other, "wu")
    assert info.value.field == "user_id"


def test_users_are_created_and_listed(ctx):
    zid = users.create_user(ctx, " Zhang ", "张经理", "客户主管", email="zhang@example.com")
    assert users.find_user(ctx, "ZHANG")["id"] == zid
    assert users.find_user(ctx, zid)["role"] == "manager"
    users.create_user(ctx, "old", "老员工", "field")
    users.deactivate_user(ctx, users.find_user(ctx, "old")["id"])
    active = [u["username"] for u in users.list_users(ctx)]
    assert "zhang" in active and "old" not in active
    assert "old" in [u["username"] for u in users.list_users(ctx, include_inactive=True)]


# -- equipment, service, improvement, surveys, interactions -----------------------------------


def test_equipment_next_dates_are_derived(ctx, client_id):
    equipment.create_equipment(
        ctx,
        client_id,
        "气相色谱仪",
        last_calibrated_on="2026-01-31",
        calibration_interval_months=1,
        last_serviced_on="2025-09-15",
        service_interval_months=6,
    )
    [row] = equipment.list_equipment(ctx, client_id)
    assert row["next_calibration_on"] == dt.date(2026, 2, 28)
    assert row["next_service_on"] == dt.date(2026, 3, 15)
    with pytest.raises(ValidationError) as info:
        equipment.update_equipment(ctx, row["id"], last_serviced_on="2030-01-01")
    assert info.value.field == "last_serviced_on"


def test_subscriptions_and_deliveries(ctx, clock, client_id):
    off = service.create_offering(ctx, "va-02", "驻场技术支持", "增值服务")
    cs = service.subscribe(ctx, client_id, off, start_date="2026-01-01", value_estimate=80_000)
    did = service.record_delivery(ctx, cs, notes="季度巡检")
    delivery = records.get_record(ctx, "service_delivery", did)
    assert delivery["delivered_at"] == clock.now() and delivery["delivered_by"] == ctx.actor.id
    [s] = service.list_client_services(ctx, client_id)
    assert (s["offering_code"], s["category"], len(s["deliveries"])) == ("VA-02", "value_added", 1)
    with pytest.raises(ValidationError) as info:
        service.record_delivery(ctx, cs, delivered_at=clock.now() + 48 * H)
    assert info.value.field == "delivered_at"


def test_deleting_an_improvement_plan_deletes_its_items(ctx, client_id):
    pid = improvement.create_plan(ctx, client_id, 2026, title="2026 年度改进计划")
    improvement.add_item(ctx, pid, "缩短报告出具周期至 5 个工作日", due_on="2026-06-30")
    improvement.add_item(ctx, pid, "增加月度回访")
    assert len(improvement.list_plans(ctx, client_id)[0]["items"]) == 2
    improvement.delete_plan(ctx, pid)
    assert improvement.list_plans(ctx, client_id) == []
    assert records.list_records(ctx, "improvement_item", client_id) == []
    assert improvement.create_plan(ctx, client_id, 2026)  # the year is free again


def test_survey_average_and_interactions(ctx, clock, client_id):
    surveys.create_survey(
        ctx, client_id, conducted_on="2026-03-01", score_service_quality=4, score_responsiveness=3
    )
    assert surveys.average_score(surveys.list_surveys(ctx, client_id)[0]) == 3.5
    zhang = contacts.create_contact(ctx, client_id, name="张三")
    interactions.log_interaction(ctx, client_id, "call", "确认送检时间", contact_ids=[zhang])
    with pytest.raises(ValidationError) as info:
        interactions.log_interaction(ctx, client_id, "call", "未来的电话", at=clock.now() + 48 * H)
    assert info.value.field == "at"


# -- the client detail ------------------------------------------------------------------------


def test_client_detail_gathers_every_list(ctx, clock, client_id):
    contacts.create_contact(ctx, client_id, name="张三", is_primary=True)
    contacts.create_contact(ctx, client_id, name="艾伦")
    visits.record_visit(ctx, client_id, "return_visit", clock.now() - H)
    feedback.record_feedback(ctx, client_id, "complaint", "报告错误")
    surveys.create_survey(ctx, client_id, conducted_on="2026-03-01", score_overall=5)
    risks.raise_risk(ctx, client_id, "dominant_client")
    equipment.create_equipment(ctx, client_id, "天平")
    service.subscribe(ctx, client_id, service.create_offering(ctx, "STD-1", "常规检测", "standard"))
    service.create_commitment(ctx, client_id, title="24 小时内到场")
    opportunities.create_opportunity(ctx, client_id, "新建实验室", estimated_value=500_000)
    service.create_note(ctx, client_id, "财务总监只接受书面报价", confidential=True)
    gone = contacts.create_contact(ctx, client_id, name="已删除")
    contacts.delete_contact(ctx, gone)

    d = detail.client_detail(ctx, client_id)
    assert d["name"] == "护航科技服务有限公司" and d["owner_name"] == ctx.actor.display_name
    assert {k: len(d[k]) for k in detail.DETAIL_LISTS} == {
        "contacts": 2,
        "visits": 1,
        "feedback": 1,
        "surveys": 1,
        "risks": 1,
        "equipment": 1,
        "services": 1,
        "commitments": 1,
    }
    assert d["contacts"][0]["name"] == "张三"  # the primary contact first
    assert d["annual_fees"] == 1_200_000 and d["opportunities"][0]["estimated_value"] == 500_000


def test_client_detail_hides_confidential_fields_from_field_staff(ctx, client_id):
    service.create_note(ctx, client_id, "财务总监只接受书面报价", confidential=True)
    service.create_note(ctx, client_id, "门卫需提前登记")
    opportunities.create_opportunity(ctx, client_id, "新建实验室", estimated_value=500_000)
    field_user = users.create_user(ctx, "li", "李工", "field")
    team.add_team_member(ctx, client_id, "li")
    ctx.set_actor(field_user)
    d = detail.client_detail(ctx, client_id)
    assert d["annual_fees"] is None and "annual_fees" in d["_hidden"]
    assert d["opportunities"][0]["estimated_value"] is None
    assert sorted(n["text"] for n in d["notes"] if n["text"]) == ["门卫需提前登记"]
