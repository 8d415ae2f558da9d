# ruff: noqa: F811 - pytest fixtures imported from conftest_workspace are parameters here
"""The generic form: editors per field kind, messages at the field, nothing saved until valid."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate

from accountdesk.i18n import _, set_language
from accountdesk.models import OutboxEntry
from accountdesk.services import contacts as contacts_svc
from accountdesk.services import records
from accountdesk.ui.forms import RecordDialog, RecordForm

from .conftest_workspace import choose, client_id, save, staff, tasks, type_into  # noqa: F401 - fixtures

pytestmark = pytest.mark.gui


def dialog(qtbot, ctx, entity, **kw):
    dlg = RecordDialog(ctx, entity, **kw)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def test_enum_choices_are_translated_labels(qtbot, ctx, client_id):
    set_language("zh_CN")
    form = RecordForm(ctx, "contact", client_id=client_id)
    qtbot.addWidget(form)
    combo = form.editor("attitude").focus_widget()
    texts = [combo.itemText(i) for i in range(combo.count())]
    assert texts == ["—", "支持", "中立", "反对"]
    assert form.labels["name"].text() == _("Full name") + " *" == "姓名 *"  # a person has a 姓名, not a 名称


def test_empty_dates_are_allowed_and_typed_dates_are_parsed(qtbot, ctx, client_id):
    dlg = dialog(qtbot, ctx, "contact", client_id=client_id)
    type_into(qtbot, dlg.form.editor("name"), "李倩")
    type_into(qtbot, dlg.form.editor("birthday"), "1988年6月1日")
    save(qtbot, dlg)
    row = records.get_record(ctx, "contact", dlg.saved_id)
    assert row["birthday"] == dt.date(1988, 6, 1) and row["left_company_on"] is None


def test_calendar_button_fills_the_date(qtbot, ctx, client_id):
    dlg = dialog(qtbot, ctx, "visit", client_id=client_id)
    editor = dlg.form.editor("planned_start")
    type_into(qtbot, editor, "2026-03-01 14:30")
    editor._picked(QDate(2026, 3, 20))
    assert editor.value() == "2026-03-20 14:30"  # the time is kept
    date_editor = dlg.form.editor("done_at")
    date_editor._picked(QDate(2026, 3, 2))
    assert date_editor.value() == "2026-03-02 09:00"


def test_every_error_of_the_form_is_shown_at_its_field(qtbot, ctx, client_id):
    dlg = dialog(qtbot, ctx, "contact", client_id=client_id)
    type_into(qtbot, dlg.form.editor("influence"), "11")
    type_into(qtbot, dlg.form.editor("mobile"), "123")
    save(qtbot, dlg)
    assert dlg.form.error_text("name") == "Full name is required."
    assert "10" in dlg.form.error_text("influence")
    assert dlg.form.error_text("mobile")
    assert dlg.form.editor("influence").focus_widget().property("invalid") is True
    assert contacts_svc.list_contacts(ctx, client_id) == []
    # fixing them clears the messages
    type_into(qtbot, dlg.form.editor("name"), "李倩")
    type_into(qtbot, dlg.form.editor("influence"), "7")
    dlg.form.editor("mobile").focus_widget().clear()
    save(qtbot, dlg)
    assert not dlg.isVisible() and dlg.form.error_text("name") == ""
    assert contacts_svc.list_contacts(ctx, client_id)[0]["influence"] == 7


def test_a_rule_of_the_services_is_shown_at_its_field(qtbot, ctx, client_id):
    boss = contacts_svc.create_contact(ctx, client_id, name="何慧敏")
    report = contacts_svc.create_contact(ctx, client_id, name="陈娜", reports_to_id=boss)
    dlg = dialog(qtbot, ctx, "contact", row_id=boss, client_id=client_id)
    choose(dlg.form.editor("reports_to_id"), report)  # a loop
    save(qtbot, dlg)
    assert dlg.form.error_text("reports_to_id")
    assert records.get_record(ctx, "contact", boss)["reports_to_id"] is None


def test_editing_sends_only_the_changed_fields(qtbot, ctx, client_id):
    cid = contacts_svc.create_contact(ctx, client_id, name="赵斌", title="设备部主管", influence=4)
    dlg = dialog(qtbot, ctx, "contact", row_id=cid, client_id=client_id)
    type_into(qtbot, dlg.form.editor("title"), "设备部经理")
    save(qtbot, dlg)
    with ctx.read() as session:
        entries = session.query(OutboxEntry).filter_by(row_id=cid).order_by(OutboxEntry.seq).all()
        assert entries[-1].op == "update" and entries[-1].fields == {"title": "设备部经理"}


def test_user_pickers_offer_active_staff_by_name(qtbot, ctx, client_id, staff):
    from accountdesk.services import users

    users.deactivate_user(ctx, staff["zhao"])
    dlg = dialog(qtbot, ctx, "visit", client_id=client_id)
    offered = dlg.form.editor("owner_id").values_offered()
    assert staff["li"] in offered and staff["zhao"] not in offered
    combo = dlg.form.editor("owner_id").focus_widget()
    assert "李娜" in [combo.itemText(i) for i in range(combo.count())]


def test_field_staff_forms_have_no_confidential_fields(qtbot, ctx, client_id, staff):
    ctx.set_actor(staff["wang"])
    form = RecordForm(ctx, "client")
    qtbot.addWidget(form)
    assert "annual_fees" not in form.editors and "name" in form.editors
    form = RecordForm(ctx, "opportunity", client_id=client_id)
    assert "estimated_value" not in form.editors


def test_tags_are_split_on_chinese_and_latin_commas(qtbot, ctx, client_id):
    dlg = dialog(qtbot, ctx, "client", row_id=client_id)
    type_into(qtbot, dlg.form.editor("tags"), "集团客户，华东, 重点")
    save(qtbot, dlg)
    assert records.get_record(ctx, "client", client_id)["tags"] == ["集团客户", "华东", "重点"]


def test_a_deactivated_owner_is_shown_by_name(qtbot, ctx, client_id, staff):
    from accountdesk.services import users

    users.deactivate_user(ctx, staff["li"])  # the client's owner
    dlg = dialog(qtbot, ctx, "client", row_id=client_id)
    assert dlg.form.editor("owner_id").focus_widget().currentText() == "李娜"
    save(qtbot, dlg)  # nothing changed: nothing written, no error
    assert not dlg.isVisible()
