# ruff: noqa: F811 - pytest fixtures imported from conftest_workspace are parameters here
"""The client workspace driven through its widgets: type, click, then check the screen and the services."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from accountdesk.models import Conflict
from accountdesk.services import contacts as contacts_svc
from accountdesk.services import equipment as equipment_svc
from accountdesk.services import feedback as fb
from accountdesk.services import records, risks, surveys, visits

from .conftest_workspace import (  # noqa: F401 - fixtures
    answer_message_box,
    aware,
    cell_texts,
    choose,
    client_id,
    column_of,
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


def test_header_and_overview_show_the_client_owner_and_active_risks(workspace, ctx, client_id, qtbot):
    risks.raise_risk(ctx, client_id, "dishonest_debtor", severity="high")
    reload(qtbot, workspace)
    assert workspace.name_label.text() == "护航科技有限公司"
    badges = [w.text() for w in workspace.findChildren(type(workspace.name_label), "risk_badge")]
    assert any("Dishonest debtor" in b for b in badges)
    overview = shown(qtbot, workspace, "overview")
    reload(qtbot, overview)
    assert overview.findChild(type(workspace.name_label), "value_industry").text() == "检验检测"
    assert "李娜" in overview.owner_label.text() and "赵磊" in overview.owner_label.text()
    assert overview.risks.model.rowCount() == 1


def test_title_follows_the_client_name(workspace, ctx, client_id, qtbot):
    with qtbot.waitSignal(workspace.title_changed) as blocker:
        records.update_record(ctx, "client", client_id, {"name": "护航检测集团"})
        reload(qtbot, workspace)
    assert blocker.args == ["护航检测集团"]


def test_invalid_profile_edit_shows_the_message_at_the_field_and_saves_nothing(
    workspace, ctx, client_id, qtbot
):
    overview = shown(qtbot, workspace, "overview")
    dlg = overview.edit_profile()
    type_into(qtbot, dlg.form.editor("employees"), "很多")
    type_into(qtbot, dlg.form.editor("uscc"), "12345")
    save(qtbot, dlg)
    assert dlg.isVisible()
    assert dlg.form.error_text("employees") == "Enter a whole number."
    assert "18 characters" in dlg.form.error_text("uscc")
    stored = records.get_record(ctx, "client", client_id)
    assert stored["employees"] is None and stored["uscc"] is None
    # correct it: saved, shown
    type_into(qtbot, dlg.form.editor("employees"), "320")
    dlg.form.editor("uscc").focus_widget().clear()
    save(qtbot, dlg)
    assert not dlg.isVisible()
    assert records.get_record(ctx, "client", client_id)["employees"] == 320
    assert overview.findChild(type(workspace.name_label), "value_employees").text() == "320"


def test_contacts_are_created_through_the_form_and_drawn_on_the_map(workspace, ctx, client_id, qtbot):
    tab = shown(qtbot, workspace, "contacts")
    assert tab.contacts.stack.currentWidget() is tab.contacts.empty
    dlg = tab.contacts.new_record()
    type_into(qtbot, dlg.form.editor("name"), "何慧敏")
    type_into(qtbot, dlg.form.editor("title"), "总经理")
    choose(dlg.form.editor("buying_role"), "economic_buyer")
    choose(dlg.form.editor("attitude"), "supporter")
    type_into(qtbot, dlg.form.editor("influence"), "9")
    save(qtbot, dlg)
    boss = dlg.saved_id
    dlg = tab.contacts.new_record()
    type_into(qtbot, dlg.form.editor("name"), "陈娜")
    choose(dlg.form.editor("reports_to_id"), boss)
    choose(dlg.form.editor("attitude"), "detractor")
    save(qtbot, dlg)
    report = dlg.saved_id
    stored = {c["name"]: c for c in contacts_svc.list_contacts(ctx, client_id)}
    assert stored["陈娜"]["reports_to_id"] == boss and stored["何慧敏"]["influence"] == 9
    assert sorted(cell_texts(tab.contacts.view, 0)) == ["何慧敏", "陈娜"]
    assert set(tab.map.nodes) == {boss, report}
    assert tab.map.edges == [(boss, report)]
    # a contact who left is greyed on the map and in the list
    contacts_svc.update_contact(ctx, report, left_company_on="2026-03-01")
    reload(qtbot, tab)
    assert tab.map.nodes[report].opacity() < 1 and tab.map.nodes[boss].opacity() == 1
    row = tab.contacts.model.row_of(report)
    fg = tab.contacts.model.index(row, 0).data(Qt.ItemDataRole.ForegroundRole)
    assert fg.color() == QColor("#8a94a3")


def test_map_has_a_node_per_contact_and_an_edge_per_reports_to(qtbot, workspace, ctx, client_id):
    ceo = contacts_svc.create_contact(ctx, client_id, name="总经理")
    cto = contacts_svc.create_contact(ctx, client_id, name="技术总监", reports_to_id=ceo)
    qa = contacts_svc.create_contact(ctx, client_id, name="质量经理", reports_to_id=cto)
    lab = contacts_svc.create_contact(ctx, client_id, name="实验室主任", reports_to_id=cto)
    loner = contacts_svc.create_contact(ctx, client_id, name="采购")
    tab = shown(qtbot, workspace, "contacts")
    reload(qtbot, tab)
    assert set(tab.map.nodes) == {ceo, cto, qa, lab, loner}
    assert sorted(tab.map.edges) == sorted([(ceo, cto), (cto, qa), (cto, lab)])
    # the boss is drawn above the reports
    assert tab.map.nodes[ceo].y() < tab.map.nodes[cto].y() < tab.map.nodes[qa].y()


def test_invalid_contact_email_is_refused_at_the_field(workspace, ctx, client_id, qtbot):
    tab = shown(qtbot, workspace, "contacts")
    dlg = tab.contacts.new_record()
    type_into(qtbot, dlg.form.editor("name"), "李倩")
    type_into(qtbot, dlg.form.editor("email"), "li.qian@")
    save(qtbot, dlg)
    assert dlg.isVisible() and dlg.form.error_text("email")
    assert contacts_svc.list_contacts(ctx, client_id) == []


def test_required_field_left_empty_is_named_and_nothing_is_saved(workspace, ctx, client_id, qtbot):
    tab = shown(qtbot, workspace, "contacts")
    dlg = tab.contacts.new_record()
    save(qtbot, dlg)
    assert dlg.form.error_text("name") == "Full name is required."
    assert contacts_svc.list_contacts(ctx, client_id) == []


def test_record_visit_is_quick_and_updates_the_cadence(workspace, ctx, client_id, qtbot, clock):
    visits.create_visit_plan(ctx, client_id, "return_visit", every_months=1)
    tab = shown(qtbot, workspace, "visits")
    assert cell_texts(tab.plans.view, column_of(tab.plans.view, "Last held")) == [""]
    dlg = tab.record_visit()
    assert list(dlg.form.editors) == ["kind", "planned_start", "channel", "outcome"]
    type_into(qtbot, dlg.form.editor("planned_start"), "2026-03-12 10:00")
    choose(dlg.form.editor("channel"), "phone")
    type_into(qtbot, dlg.form.editor("outcome"), "客户对报告时效满意")
    save(qtbot, dlg)
    assert not dlg.isVisible()
    [visit] = visits.list_visits(ctx, client_id)
    assert (
        visit["status"] == "done" and visit["channel"] == "phone" and visit["outcome"] == "客户对报告时效满意"
    )
    assert cell_texts(tab.visits.view, column_of(tab.visits.view, "Status")) == ["Done"]
    assert "客户对报告时效满意" in tab.report.toPlainText()
    assert cell_texts(tab.plans.view, column_of(tab.plans.view, "Next due")) == ["2026-04-12"]


def test_record_visit_with_a_bad_date_names_the_field(workspace, ctx, client_id, qtbot):
    dlg = shown(qtbot, workspace, "visits").record_visit()
    type_into(qtbot, dlg.form.editor("planned_start"), "下周二")
    save(qtbot, dlg)
    assert "YYYY-MM-DD HH:MM" in dlg.form.error_text("planned_start")
    assert visits.list_visits(ctx, client_id) == []


def test_visit_edit_and_delete(workspace, ctx, client_id, qtbot):
    vid = visits.plan_visit(ctx, client_id, "executive_meeting", aware(2026, 3, 20, 14))
    tab = shown(qtbot, workspace, "visits")
    reload(qtbot, tab)
    tab.visits.select(vid)
    dlg = tab.visits.edit()
    choose(dlg.form.editor("status"), "cancelled")
    save(qtbot, dlg)
    assert records.get_record(ctx, "visit", vid)["status"] == "cancelled"
    tab.visits.select(vid)
    answer_message_box("Delete")
    assert tab.visits.delete()
    settle(qtbot, tab)
    assert visits.list_visits(ctx, client_id) == []
    assert tab.visits.stack.currentWidget() is tab.visits.empty


def test_feedback_handler_combo_excludes_involved_staff(workspace, ctx, client_id, staff, qtbot):
    tab = shown(qtbot, workspace, "feedback")
    dlg = tab.feedback.new_record()
    handler = dlg.form.editor("handler_id")
    involved = dlg.form.editor("involved_user_ids")
    assert staff["wang"] in handler.values_offered()
    involved.set_checked(staff["wang"])
    assert staff["wang"] not in handler.values_offered()
    assert staff["li"] in handler.values_offered()
    choose(handler, staff["li"])
    type_into(qtbot, dlg.form.editor("subject"), "报告出具超时")
    save(qtbot, dlg)
    [item] = fb.list_feedback(ctx, client_id)
    assert item["involved_user_ids"] == [staff["wang"]] and item["handler_id"] == staff["li"]
    assert item["due_at"] is not None  # derived from the severity
    # choosing the handler first, then marking them involved, clears the handler
    dlg = tab.feedback.new_record()
    choose(dlg.form.editor("handler_id"), staff["zhao"])
    dlg.form.editor("involved_user_ids").set_checked(staff["zhao"])
    assert dlg.form.editor("handler_id").value() is None


def test_feedback_workflow_buttons_move_the_status(workspace, ctx, client_id, staff, qtbot, clock):
    fid = fb.record_feedback(
        ctx, client_id, "complaint", "校准证书错误", severity="high", handler=staff["li"]
    )
    tab = shown(qtbot, workspace, "feedback")
    reload(qtbot, tab)
    tab.feedback.select(fid)
    deadline = cell_texts(tab.feedback.view, column_of(tab.feedback.view, "Deadline"))[0]
    assert deadline.endswith("left")
    assert not tab.close_button.isEnabled()  # a complaint closes only once answered
    tab.investigate_button.click()
    assert records.get_record(ctx, "feedback", fid)["status"] == "investigating"
    dlg = tab.answer()
    dlg._ok()  # empty answer is refused
    assert dlg.isVisible() and dlg.error.text()
    dlg.edit.setPlainText("已重新出具证书并致歉")
    dlg._ok()
    settle(qtbot, tab)
    stored = records.get_record(ctx, "feedback", fid)
    assert stored["status"] == "answered" and stored["answer"] == "已重新出具证书并致歉"
    assert tab.close_button.isEnabled()
    tab.close_button.click()
    settle(qtbot, tab)
    assert records.get_record(ctx, "feedback", fid)["status"] == "closed"
    assert cell_texts(tab.feedback.view, column_of(tab.feedback.view, "Status")) == ["Closed"]


def test_feedback_clock_can_be_paused(workspace, ctx, client_id, qtbot):
    fid = fb.record_feedback(ctx, client_id, "complaint", "样品丢失")
    tab = shown(qtbot, workspace, "feedback")
    reload(qtbot, tab)
    tab.feedback.select(fid)
    tab.pause_button.click()
    settle(qtbot, tab)
    assert records.get_record(ctx, "feedback", fid)["paused_since"] is not None
    assert tab.pause_button.text() == "Resume the clock"


def test_field_staff_never_see_confidential_fields(qtbot, ctx, tasks, client_id, staff):
    from accountdesk.services import opportunities, service
    from accountdesk.ui.workspace import ClientWorkspace

    records.create_record(
        ctx, "opportunity", {"title": "扩项检测", "estimated_value": 500000}, client_id=client_id
    )
    service.create_note(ctx, client_id, "客户总经理与我司董事长是同学", confidential=True)
    service.create_note(ctx, client_id, "送样需提前一天预约")
    records.create_record(
        ctx, "client_team_member", {"user_id": staff["wang"]}, client_id=client_id
    )  # serves it
    ctx.set_actor(staff["wang"])
    w = ClientWorkspace(ctx, tasks, client_id)
    qtbot.addWidget(w)
    overview = shown(qtbot, w, "overview")
    assert overview.findChild(type(w.name_label), "value_annual_fees") is None
    assert overview.findChild(type(w.name_label), "value_industry") is not None
    opp = shown(qtbot, w, "opportunities")
    headers = [
        opp.opportunities.model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(opp.opportunities.model.columnCount())
    ]
    assert "Estimated value" not in headers
    svc = shown(qtbot, w, "service")
    assert cell_texts(svc.notes.view, column_of(svc.notes.view, "Note")) == ["送样需提前一天预约"]
    assert "confidential" not in svc.notes.dialog().form.editors
    assert opportunities.list_opportunities(ctx, client_id)[0]["estimated_value"] is None
    assert not overview.handover_button.isVisibleTo(w)


def test_survey_scores_and_trend(workspace, ctx, client_id, qtbot):
    surveys.create_survey(ctx, client_id, conducted_on="2025-09-10", score_overall=3, score_responsiveness=2)
    surveys.create_survey(ctx, client_id, conducted_on="2026-03-10", score_overall=4, score_responsiveness=4)
    tab = shown(qtbot, workspace, "surveys")
    reload(qtbot, tab)
    assert cell_texts(tab.surveys.view, column_of(tab.surveys.view, "Overall")) == ["4", "3"]
    series = tab.chart.series()
    assert series["score_overall"] == [(dt.date(2025, 9, 10), 3), (dt.date(2026, 3, 10), 4)]
    assert "score_relationship" not in series
    dlg = tab.surveys.new_record()
    type_into(qtbot, dlg.form.editor("score_overall"), "6")
    save(qtbot, dlg)
    assert "5" in dlg.form.error_text("score_overall")
    assert len(surveys.list_surveys(ctx, client_id)) == 2
    tab.chart.grab()  # paints without error


def test_equipment_overdue_is_highlighted(qtbot, workspace, ctx, client_id):
    equipment_svc.create_equipment(
        ctx, client_id, "三坐标测量机", last_calibrated_on="2025-01-10", calibration_interval_months=12
    )
    equipment_svc.create_equipment(
        ctx, client_id, "硬度计", last_calibrated_on="2026-02-01", calibration_interval_months=12
    )
    tab = shown(qtbot, workspace, "equipment")
    reload(qtbot, tab)
    view = tab.equipment.view
    col = column_of(view, "Next calibration")
    texts = dict(zip(cell_texts(view, 0), cell_texts(view, col), strict=True))
    assert texts == {"三坐标测量机": "2026-01-10 (overdue)", "硬度计": "2027-02-01"}
    colours = {
        view.model().index(r, 0).data(): view.model().index(r, col).data(Qt.ItemDataRole.ForegroundRole)
        for r in range(2)
    }
    assert colours["三坐标测量机"].color() == QColor("#c0392b")
    assert colours["硬度计"] is None


def test_improvement_plan_with_items(workspace, ctx, client_id, qtbot):
    tab = shown(qtbot, workspace, "improvement")
    dlg = tab.plans.new_record()
    assert dlg.form.editor("year").value() == "2026"
    type_into(qtbot, dlg.form.editor("title"), "2026 年度改进计划")
    save(qtbot, dlg)
    reload(qtbot, tab)
    dlg = tab.items.new_record()
    assert dlg.form.editor("plan_id").value() == tab.plans.current_id()
    type_into(qtbot, dlg.form.editor("action"), "缩短报告出具周期至 5 个工作日")
    type_into(qtbot, dlg.form.editor("due_on"), "2026-06-30")
    save(qtbot, dlg)
    assert cell_texts(tab.items.view, 0) == ["缩短报告出具周期至 5 个工作日"]
    [item] = records.list_records(ctx, "improvement_item", client_id)
    assert item["due_on"] == dt.date(2026, 6, 30)


def test_value_added_services_and_deliveries(workspace, ctx, client_id, qtbot):
    offering = records.create_record(
        ctx, "service_offering", {"code": "VA-01", "name": "7×24 远程支持", "category": "value_added"}
    )
    tab = shown(qtbot, workspace, "services")
    dlg = tab.subscriptions.new_record()
    choose(dlg.form.editor("offering_id"), offering)
    save(qtbot, dlg)
    assert cell_texts(tab.subscriptions.view, 0) == ["7×24 远程支持"]
    tab.subscriptions.select(dlg.saved_id)
    dlg = tab.deliveries.new_record()
    assert dlg.form.editor("client_service_id").value() == tab.subscriptions.current_id()
    type_into(qtbot, dlg.form.editor("notes"), "远程处理 3 次")
    save(qtbot, dlg)
    assert cell_texts(tab.deliveries.view, column_of(tab.deliveries.view, "Service")) == ["7×24 远程支持"]


def test_opportunity_and_sla_creation(workspace, ctx, client_id, qtbot):
    tab = shown(qtbot, workspace, "opportunities")
    dlg = tab.opportunities.new_record()
    type_into(qtbot, dlg.form.editor("title"), "新增环境检测项目")
    type_into(qtbot, dlg.form.editor("estimated_value"), "120000")
    save(qtbot, dlg)
    assert records.list_records(ctx, "opportunity", client_id)[0]["estimated_value"] == 120000
    svc = shown(qtbot, workspace, "service")
    dlg = svc.commitments.new_record()
    type_into(qtbot, dlg.form.editor("title"), "24 小时内到场")
    type_into(qtbot, dlg.form.editor("valid_from"), "2026-01-01")
    type_into(qtbot, dlg.form.editor("valid_to"), "2025-12-31")
    save(qtbot, dlg)
    assert dlg.isVisible()  # the period is backwards: refused
    assert records.list_records(ctx, "service_commitment", client_id) == []


def test_timeline_lists_everything_newest_first_and_opens_the_item(qtbot, workspace, ctx, client_id, clock):
    v = visits.record_visit(ctx, client_id, "return_visit", aware(2026, 3, 2, 10), report="例行回访")
    f = fb.record_feedback(ctx, client_id, "praise", "报告准确及时", received_at=aware(2026, 3, 10, 8))
    records.create_record(
        ctx,
        "interaction",
        {"kind": "call", "at": aware(2026, 3, 5, 9), "summary": "电话沟通送样计划"},
        client_id=client_id,
    )
    tab = shown(qtbot, workspace, "timeline")
    reload(qtbot, tab)
    assert cell_texts(tab.view, 1) == ["Feedback", "Interaction", "Visit"]
    with_signal = []
    tab.open_requested.connect(lambda name, rid: with_signal.append((name, rid)))
    tab.view.doubleClicked.emit(tab.model.index(2, 0))
    assert with_signal == [("visits", v)]
    shown(qtbot, workspace, "feedback", f)
    assert workspace.current_tab_name() == "feedback"
    assert workspace.tab("feedback").feedback.current_id() == f


def test_log_interaction_from_the_timeline(workspace, ctx, client_id, qtbot):
    tab = shown(qtbot, workspace, "timeline")
    dlg = tab.log_interaction()
    type_into(qtbot, dlg.form.editor("summary"), "微信确认下周到访")
    save(qtbot, dlg)
    assert cell_texts(tab.view, 3) == ["微信确认下周到访"]


def test_field_history_lists_changes_and_restores(workspace, ctx, client_id, qtbot, clock, qtmodeltester):
    from accountdesk.ui.workspace import FieldHistoryDialog

    cid = contacts_svc.create_contact(ctx, client_id, name="张志军", title="副总经理")
    clock.advance(minutes=5)
    contacts_svc.update_contact(ctx, cid, title="总经理")
    dlg = FieldHistoryDialog(ctx, "contact", cid, "title")
    qtbot.addWidget(dlg)
    assert dlg.server_button.isHidden()  # no sync engine: this device's part only
    assert cell_texts(dlg.view, 2) == ["副总经理", "—"]
    qtmodeltester.check(dlg.model)
    assert cell_texts(dlg.view, 3) == ["总经理", "副总经理"]
    dlg.view.selectRow(0)
    dlg.restore_button.click()
    assert records.get_record(ctx, "contact", cid)["title"] == "副总经理"
    assert cell_texts(dlg.view, 3)[0] == "副总经理"


def test_history_button_opens_the_dialog_for_the_selected_row(qtbot, workspace, ctx, client_id):
    cid = contacts_svc.create_contact(ctx, client_id, name="赵斌")
    contacts_svc.update_contact(ctx, cid, mobile="13800138000")
    tab = shown(qtbot, workspace, "contacts")
    reload(qtbot, tab)
    tab.contacts.select(cid)
    dlg = settle(qtbot, tab.contacts.history())
    assert dlg.field == "name"  # the first field with a change
    assert dlg.model.rowCount() == 1


def test_handover_gives_the_client_to_a_new_manager(workspace, ctx, client_id, staff, qtbot):
    from accountdesk.ui.workspace import HandoverDialog

    fb.record_feedback(ctx, client_id, "complaint", "报告延误")
    dlg = HandoverDialog(ctx, client_id)
    qtbot.addWidget(dlg)
    offered = [dlg.owner.itemData(i) for i in range(dlg.owner.count())]
    assert staff["li"] not in offered and staff["zhao"] in offered and staff["wang"] not in offered
    dlg.owner.setCurrentIndex(dlg.owner.findData(staff["zhao"]))
    assert not dlg.submit()  # no reason
    assert dlg.reason_error.text() == "Reason is required."
    dlg.reason.setText("李娜调岗")
    dlg.checklist_view.topLevelItem(0).setCheckState(0, Qt.CheckState.Checked)
    assert dlg.submit()
    assert records.get_record(ctx, "client", client_id)["owner_id"] == staff["zhao"]
    [handover] = records.list_records(ctx, "handover", client_id)
    assert handover["checklist"][0]["key"] == "open_feedback" and handover["checklist"][0]["done"]
    tab = shown(qtbot, workspace, "ownership")
    reload(qtbot, tab)
    # the owner moved from 李娜 to 赵磊; 赵磊 was the backup, who cannot also be the owner: the backup is cleared
    pairs = list(zip(cell_texts(tab.view, 2), cell_texts(tab.view, 3), strict=True))
    assert (
        len(pairs) == 2
        and ("李娜", "赵磊") in pairs
        and pairs[0 if pairs[1] == ("李娜", "赵磊") else 1][0] == "赵磊"
    )
    assert records.get_record(ctx, "client", client_id)["backup_owner_id"] is None


def test_conflict_review_keeps_the_other_value(qtbot, ctx, client_id, staff, qtmodeltester):
    from accountdesk.ui.workspace import ConflictsDialog

    cid = contacts_svc.create_contact(ctx, client_id, name="欧阳玉兰", title="计量室主任")
    with ctx.write() as (session, writer):
        writer.create(
            Conflict,
            {
                "entity": "contact",
                "row_id": cid,
                "field": "title",
                "kept_value": "计量室主任",
                "kept_by": staff["li"],
                "kept_hlc": "",
                "lost_value": "质量部经理",
                "lost_by": staff["me"],
                "lost_hlc": "",
            },
            client_id=client_id,
        )
    dlg = ConflictsDialog(ctx)
    qtbot.addWidget(dlg)
    assert dlg.model.rowCount() == 1
    qtmodeltester.check(dlg.model)
    assert dlg.kept_box.value.text() == "计量室主任" and dlg.lost_box.value.text() == "质量部经理"
    assert dlg.lost_box.button.text() == "Keep mine" and dlg.kept_box.button.text() == "Keep theirs"
    dlg.lost_box.button.click()
    assert records.get_record(ctx, "contact", cid)["title"] == "质量部经理"
    assert dlg.model.rowCount() == 0 and not dlg.empty.isHidden()


def test_every_workspace_model_passes_the_model_tester(qtbot, workspace, ctx, client_id, qtmodeltester):
    contacts_svc.create_contact(ctx, client_id, name="李倩")
    visits.record_visit(ctx, client_id, "return_visit", aware(2026, 3, 2, 10))
    for name in workspace.tab_names():
        tab = shown(qtbot, workspace, name)
        reload(qtbot, tab)
        for panel in tab.panels:
            qtmodeltester.check(panel.model)
        if hasattr(tab, "model"):
            qtmodeltester.check(tab.model)
        if hasattr(tab, "handovers"):
            qtmodeltester.check(tab.handovers)


def test_workspace_opens_in_chinese(qtbot, ctx, tasks, client_id):
    from accountdesk.i18n import set_language
    from accountdesk.ui.workspace import ClientWorkspace

    set_language("zh_CN")
    w = ClientWorkspace(ctx, tasks, client_id)
    qtbot.addWidget(w)
    titles = [w.tab_widget.tabText(i) for i in range(w.tab_widget.count())]
    assert titles[:3] == ["概览", "联系人", "拜访"]


def test_flagging_a_risk_in_the_overview_shows_its_badge_in_the_header(workspace, ctx, client_id, qtbot):
    overview = shown(qtbot, workspace, "overview")
    dlg = overview.risks.new_record()
    choose(dlg.form.editor("kind"), "litigation_use")
    type_into(qtbot, dlg.form.editor("note"), "检测报告将用于诉讼")
    save(qtbot, dlg)
    badges = [w.text() for w in workspace.findChildren(type(workspace.name_label), "risk_badge")]
    assert badges == ["⚠ Results used in litigation"]
    [flag] = risks.list_risks(ctx, client_id)
    assert flag["kind"] == "litigation_use" and flag["raised_at"] is not None


def test_other_tabs_show_a_change_when_next_opened(workspace, ctx, client_id, qtbot):
    timeline = shown(qtbot, workspace, "timeline")
    assert timeline.model.rowCount() == 0
    from accountdesk.ui.forms import RecordDialog

    workspace.record_visit_button.click()
    settle(qtbot, workspace)
    [dlg] = [d for d in workspace.findChildren(RecordDialog) if d.isVisible()]
    type_into(qtbot, dlg.form.editor("outcome"), "回访顺利")
    save(qtbot, dlg)
    assert workspace.current_tab_name() == "visits"
    shown(qtbot, workspace, "timeline")
    assert cell_texts(timeline.view, 1) == ["Visit"]


def test_show_item_opens_the_tab_of_an_entity(qtbot, workspace, ctx, client_id):
    eid = equipment_svc.create_equipment(ctx, client_id, "硬度计")
    tab = settle(qtbot, workspace.show_item("equipment", eid))
    assert workspace.current_tab_name() == "equipment" and tab.equipment.current_id() == eid
    workspace.show_item("client", client_id)
    assert workspace.current_tab_name() == "overview"


def test_cadence_is_overdue_until_a_visit_is_planned(qtbot, workspace, ctx, client_id):
    visits.create_visit_plan(ctx, client_id, "return_visit", every_months=1, starts_on="2026-02-01")
    tab = shown(qtbot, workspace, "visits")
    reload(qtbot, tab)
    col = column_of(tab.plans.view, "Next due")
    assert cell_texts(tab.plans.view, col) == ["2026-02-01 (overdue)"]
    assert tab.plans.model.index(0, col).data(Qt.ItemDataRole.ForegroundRole).color() == QColor("#c0392b")
    overview = shown(qtbot, workspace, "overview")
    reload(qtbot, overview)
    assert (
        "Return visit due" in overview.due_list.text() and "2026-02-01 (overdue)" in overview.due_list.text()
    )
    visits.plan_visit(ctx, client_id, "return_visit", aware(2026, 3, 20, 10))
    tab = shown(qtbot, workspace, "visits")
    reload(qtbot, tab)
    assert cell_texts(tab.plans.view, col) == ["2026-02-01 · planned for 2026-03-20"]
    assert tab.plans.model.index(0, col).data(Qt.ItemDataRole.ForegroundRole) is None


def test_header_offers_the_conflicts_of_this_client(workspace, ctx, client_id, staff, qtbot):
    cid = contacts_svc.create_contact(ctx, client_id, name="李倩", mobile="13800138000")
    with ctx.write() as (session, writer):
        writer.create(
            Conflict,
            {
                "entity": "contact",
                "row_id": cid,
                "field": "mobile",
                "kept_value": "+8613800138000",
                "kept_by": staff["me"],
                "lost_value": "+8613900139000",
                "lost_by": staff["li"],
            },
            client_id=client_id,
        )
    reload(qtbot, workspace)
    assert not workspace.conflicts_button.isHidden()
    assert workspace.conflicts_button.text() == "Conflicts to review: 1"
    dlg = settle(qtbot, workspace.review_conflicts())
    dlg.kept_box.button.click()  # keep mine
    assert records.get_record(ctx, "contact", cid)["mobile"] == "+8613800138000"
    dlg.close()
    reload(qtbot, workspace)
    assert workspace.conflicts_button.isHidden()


def test_selecting_a_node_on_the_map_selects_the_contact(qtbot, workspace, ctx, client_id):
    boss = contacts_svc.create_contact(ctx, client_id, name="何慧敏")
    report = contacts_svc.create_contact(ctx, client_id, name="陈娜", reports_to_id=boss)
    tab = shown(qtbot, workspace, "contacts")
    reload(qtbot, tab)
    tab.map.nodes[report].setSelected(True)
    assert tab.contacts.current_id() == report
    tab.contacts.select(boss)
    assert tab.map.nodes[boss].isSelected() and not tab.map.nodes[report].isSelected()


def test_a_client_deleted_while_open_does_not_break_the_workspace(qtbot, workspace, ctx, client_id):
    records.delete_record(ctx, "client", client_id)
    reload(qtbot, workspace)
    assert workspace.name_label.text() == "This client no longer exists."
    overview = shown(qtbot, workspace, "overview")
    reload(qtbot, overview)
    assert not overview.isEnabled()


def test_field_history_from_a_label_of_the_edit_form(qtbot, workspace, ctx, client_id):
    from accountdesk.ui.workspace import FieldHistoryDialog

    cid = contacts_svc.create_contact(ctx, client_id, name="赵斌", title="设备部主管")
    contacts_svc.update_contact(ctx, cid, title="设备部经理")
    tab = shown(qtbot, workspace, "contacts")
    reload(qtbot, tab)
    tab.contacts.select(cid)
    dlg = tab.contacts.edit()
    dlg.form.history_requested.emit("title")
    [history] = dlg.findChildren(FieldHistoryDialog)
    settle(qtbot, history)
    assert history.field == "title"
    assert cell_texts(history.view, 3) == ["设备部经理", "设备部主管"]


def test_an_account_manager_cannot_reassign_the_client(qtbot, ctx, tasks, client_id, staff):
    from accountdesk.ui.workspace import ClientWorkspace

    ctx.set_actor(staff["li"])
    w = ClientWorkspace(ctx, tasks, client_id)
    qtbot.addWidget(w)
    overview = shown(qtbot, w, "overview")
    assert overview.handover_button.isHidden()
    dlg = overview.edit_profile()
    assert "owner_id" not in dlg.form.editors and "annual_fees" in dlg.form.editors


def test_service_team_is_edited_from_the_overview(workspace, ctx, client_id, staff, qtbot):
    from accountdesk.services.team import list_team

    overview = shown(qtbot, workspace, "overview")
    dlg = overview.edit_team()
    form_dlg = dlg.panel.new_record()
    choose(form_dlg.form.editor("user_id"), staff["wang"])
    type_into(qtbot, form_dlg.form.editor("role"), "驻场工程师")
    save(qtbot, form_dlg)
    assert [m["user_id"] for m in list_team(ctx, client_id)] == [staff["wang"]]
    assert "王强" in overview.owner_label.text()
    form_dlg = dlg.panel.new_record()  # the same person twice is refused at the field
    choose(form_dlg.form.editor("user_id"), staff["wang"])
    save(qtbot, form_dlg)
    assert "already" in form_dlg.form.error_text("user_id")


def test_dossier_is_printed_in_the_background(workspace, ctx, client_id, tmp_path, qtbot):
    if workspace.dossier_button.isHidden():
        pytest.skip("the reports library is not installed")
    workspace.open_when_saved = False
    path = tmp_path / "dossier.pdf"
    with qtbot.waitSignal(workspace.dossier_saved, timeout=60_000) as blocker:
        workspace.print_dossier(str(path))
        assert not workspace.dossier_button.isEnabled()
    assert blocker.args == [str(path)]
    assert path.read_bytes()[:4] == b"%PDF"
    assert workspace.dossier_button.isEnabled()


def test_a_planned_visit_gets_its_report(workspace, ctx, client_id, qtbot):
    ceo = contacts_svc.create_contact(ctx, client_id, name="何慧敏")
    vid = visits.plan_visit(ctx, client_id, "executive_meeting", aware(2026, 3, 12, 14))
    tab = shown(qtbot, workspace, "visits")
    reload(qtbot, tab)
    tab.visits.select(vid)
    dlg = tab.complete_visit()
    dlg.form.editor("attendee_contact_ids").set_checked(ceo)
    type_into(qtbot, dlg.form.editor("outcome"), "确认明年续签")
    type_into(qtbot, dlg.form.editor("next_steps"), "4 月提交续签方案")
    save(qtbot, dlg)
    stored = records.get_record(ctx, "visit", vid)
    assert stored["status"] == "done" and stored["outcome"] == "确认明年续签"
    assert stored["attendee_contact_ids"] == [ceo] and stored["done_at"] is not None
    assert "何慧敏" in tab.report.toPlainText() and "4 月提交续签方案" in tab.report.toPlainText()
