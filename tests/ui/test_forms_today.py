# ruff: noqa: F811 - pytest fixtures imported from conftest_workspace are parameters here
"""Forms (issue 15, point 5) through real widgets: the credit code on the new-client form, errors
cleared once corrected, pick lists that still take free text, SLA units, 姓名, the complaint's
description in its tab, workflow buttons after a delete, and Ctrl+Z through the field history."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from accountdesk.i18n import set_language
from accountdesk.services import clients, records
from accountdesk.services.feedback import record_feedback
from accountdesk.ui.forms import RecordDialog, RecordForm
from accountdesk.ui.forms.editors import PickListEditor
from accountdesk.ui.pages.clients import NewClientDialog

from .conftest_workspace import (  # noqa: F401 - fixtures
    answer_message_box,
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


def test_the_new_client_form_asks_the_credit_code_and_clears_a_corrected_error(qtbot, ctx, tasks):
    dialog = NewClientDialog(ctx, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    created = []
    dialog.client_created.connect(created.append)
    dialog.name_edit.setText("华东精密仪器有限公司")
    dialog.uscc_edit.setText("91330106MA2KXXXX0")  # 17 characters
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: dialog.uscc_error.isVisible(), timeout=5000)
    type_into(qtbot, dialog.uscc_edit, "9")
    assert not dialog.uscc_error.isVisible()  # corrected: the error goes at once
    dialog.uscc_edit.setText("91350100M000100Y43")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: bool(created), timeout=5000)
    assert records.get_record(ctx, "client", created[0])["uscc"] == "91350100M000100Y43"


def test_a_field_error_clears_when_the_field_is_corrected(qtbot, ctx, client_id):
    dialog = RecordDialog(ctx, "contact", client_id=client_id, fields=["name", "email"])
    qtbot.addWidget(dialog)
    type_into(qtbot, dialog.form.editors["name"], "王工")
    type_into(qtbot, dialog.form.editors["email"], "not-an-email")
    save(qtbot, dialog)
    assert dialog.form.errors["email"].isVisibleTo(dialog)
    type_into(qtbot, dialog.form.editors["email"], "wang@example.com")
    assert not dialog.form.errors["email"].isVisibleTo(dialog)


def test_province_city_and_industry_pick_lists_keep_older_free_text(qtbot, ctx, client_id):
    cid = clients.create_client(ctx, name="旧数据公司", province="浙江", city="杭州", industry="检验检测")
    form = RecordForm(ctx, "client", client_id=cid, fields=["province", "city", "industry"])
    qtbot.addWidget(form)
    form.set_values(records.get_record(ctx, "client", cid))
    province, city, industry = (form.editors[n] for n in ("province", "city", "industry"))
    assert all(isinstance(e, PickListEditor) for e in (province, city, industry))
    assert (province.value(), city.value(), industry.value()) == (
        "浙江",
        "杭州",
        "检验检测",
    )  # kept as written
    province.combo.setCurrentIndex(province.combo.findData("浙江省"))
    cities = [city.combo.itemText(i) for i in range(city.combo.count())]
    assert "杭州市" in cities and "南京市" not in cities  # the province's cities only
    city.combo.setCurrentIndex(city.combo.findData("杭州市"))
    industry.combo.setCurrentIndex(industry.combo.findData("专业技术服务业"))
    assert industry.combo.currentText() == "M74 专业技术服务业"
    values = form.values()
    assert (values["province"], values["city"], values["industry"]) == ("浙江省", "杭州市", "专业技术服务业")
    sections = [
        industry.combo.itemText(i)
        for i in range(industry.combo.count())
        if len(industry.combo.itemData(i)) > 0
    ]
    assert "M Scientific research and technical services" in sections


def test_sla_targets_show_their_unit_and_people_have_a_full_name(qtbot, workspace, ctx, client_id):
    records.create_record(
        ctx,
        "service_commitment",
        {"title": "现场响应", "metric": "onsite_hours", "target": 24},
        client_id=client_id,
    )
    records.create_record(
        ctx,
        "service_commitment",
        {"title": "系统可用性", "metric": "availability_pct", "target": 99.5},
        client_id=client_id,
    )
    tab = shown(qtbot, workspace, "service")
    reload(qtbot, tab)
    model = tab.commitments.model
    col = [c.key for c in model.columns].index("target")
    texts = {model.data(model.index(r, col)) for r in range(model.rowCount())}
    assert texts == {"24 h", "99.5 %"}
    set_language("zh_CN")
    try:
        form = RecordForm(ctx, "contact", client_id=client_id, fields=["name"])
        qtbot.addWidget(form)
        assert form.labels["name"].text() == "姓名 *"
    finally:
        set_language("en")


def test_the_complaints_description_is_visible_and_buttons_follow_a_delete(
    qtbot, workspace, ctx, client_id, clock
):
    fid = record_feedback(
        ctx,
        client_id,
        "complaint",
        "报告延期",
        description="客户称第三批报告晚了五天。",
        received_at=clock.now(),
    )
    tab = shown(qtbot, workspace, "feedback")
    reload(qtbot, tab)
    assert tab.feedback.select(fid)
    assert "客户称第三批报告晚了五天。" in tab.detail.toPlainText()
    assert tab.investigate_button.isEnabled()
    answer_message_box("Delete")
    assert tab.feedback.delete()
    settle(qtbot, tab)
    assert not tab.investigate_button.isEnabled() and not tab.answer_button.isEnabled()


def test_ctrl_z_puts_back_the_last_change(qtbot, workspace, ctx, client_id):
    clients.update_client(ctx, client_id, city="杭州市")
    reload(qtbot, workspace)
    qtbot.keyClick(workspace, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert records.get_record(ctx, "client", client_id)["city"] == "上海市"
    assert workspace.undo_message.text() == "Undone: City"
