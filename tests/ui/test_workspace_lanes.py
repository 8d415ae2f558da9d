# ruff: noqa: F811 - pytest fixtures imported from conftest_workspace are parameters here
"""The client workspace reads on the database lane, never on the GUI thread (issue 17).

Every statement and every connection the store's engine hands out is recorded with the thread
that asked for it (a listener on the real engine, no mock). The workspace is opened with every
tab, and its dialogs and forms, while the database lane is held by a task that waits: the GUI
thread must not touch the store, every tab says it is loading, and once the lane is free every
tab fills with the client's data.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import event

from accountdesk.services import (
    attachments,
    contacts,
    equipment,
    improvement,
    opportunities,
    records,
    risks,
    service,
    surveys,
    visits,
)
from accountdesk.services import feedback as fb
from accountdesk.services import (
    tasks as task_service,
)
from accountdesk.services import workspace as ws

from .conftest_workspace import (  # noqa: F401 - fixtures
    aware,
    cell_texts,
    client_id,
    settle,
    staff,
    tasks,
)

pytestmark = pytest.mark.gui


class StoreThreads:
    """The threads that used the store's engine: a statement run or a connection checked out."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.gui = threading.get_ident()
        self.on_gui: list[str] = []
        self.elsewhere = 0

    def _seen(self, what: str) -> None:
        if threading.get_ident() == self.gui:
            self.on_gui.append(what)
        else:
            self.elsewhere += 1

    def statement(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self._seen(statement.split("\n")[0][:120])

    def checkout(self, dbapi_connection, record, proxy) -> None:
        self._seen("connection checked out")

    def __enter__(self) -> StoreThreads:
        event.listen(self.engine, "before_cursor_execute", self.statement)
        event.listen(self.engine, "checkout", self.checkout)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self.statement)
        event.remove(self.engine, "checkout", self.checkout)


class HeldLane:
    """A task that holds the database lane until released."""

    def __init__(self, tasks) -> None:
        self.gate = threading.Event()
        self.started = threading.Event()

        def hold() -> None:
            self.started.set()
            self.gate.wait(30)

        tasks.run_db(hold, name="held")
        assert self.started.wait(5)

    def release(self) -> None:
        self.gate.set()


def a_full_client(ctx, client_id: str, staff: dict[str, str]) -> dict[str, str]:
    """Something in every tab; returns a few ids."""
    boss = contacts.create_contact(ctx, client_id, name="何慧敏", title="总经理")
    contacts.create_contact(ctx, client_id, name="陈娜", reports_to_id=boss)
    plan = visits.create_visit_plan(ctx, client_id, "return_visit", every_months=1)
    visit = visits.record_visit(ctx, client_id, "return_visit", aware(2026, 3, 2, 10), report="例行回访")
    task_service.create_task(ctx, client_id, "寄送检测方案", owner_id=staff["li"])
    service.create_commitment(ctx, client_id, title="24 小时内到场", metric="onsite_hours", target=24)
    service.create_note(ctx, client_id, "送样需提前一天预约")
    offering = service.create_offering(ctx, "VA-01", "7×24 远程支持", "value_added")
    subscription = service.subscribe(ctx, client_id, offering)
    service.record_delivery(ctx, subscription, notes="远程处理")
    feedback = fb.record_feedback(ctx, client_id, "complaint", "报告出具超时", handler=staff["li"])
    surveys.create_survey(ctx, client_id, conducted_on="2026-02-10", score_overall=4)
    plan_id = improvement.create_plan(ctx, client_id, 2026, title="年度改进")
    improvement.add_item(ctx, plan_id, "缩短报告周期", due_on=dt.date(2026, 6, 30))
    machine = equipment.create_equipment(ctx, client_id, "三坐标测量机")
    opportunities.create_opportunity(ctx, client_id, "新增环境检测项目")
    records.create_record(
        ctx,
        "interaction",
        {"kind": "call", "at": aware(2026, 3, 5, 9), "summary": "电话沟通"},
        client_id=client_id,
    )
    risks.raise_risk(ctx, client_id, "dishonest_debtor", severity="high")
    attachments.add_bytes(ctx, client_id, b"%PDF-1.4 test", "合同.pdf")
    ws.record_handover(ctx, client_id, staff["zhao"], reason="调岗", checklist=[])
    return {"boss": boss, "plan": plan, "visit": visit, "feedback": feedback, "machine": machine}


def test_every_tab_and_form_reads_on_the_database_lane_never_on_the_gui_thread(
    qtbot, ctx, tasks, client_id, staff
):
    from accountdesk.ui.workspace import ClientWorkspace

    ids = a_full_client(ctx, client_id, staff)
    with StoreThreads(ctx.store.engine) as store:
        held = HeldLane(tasks)
        w = ClientWorkspace(ctx, tasks, client_id)
        qtbot.addWidget(w)
        w.resize(1200, 760)
        w.show()
        tabs = {name: w.show_tab(name) for name in w.tab_names()}
        qtbot.wait(100)  # the GUI runs; the lane is held
        assert store.on_gui == []
        assert w.loading and all(tab.loading for tab in tabs.values())
        assert w.sub_label.text() == "Loading…"
        contacts_panel = tabs["contacts"].contacts
        assert contacts_panel.stack.currentWidget() is contacts_panel.status
        assert contacts_panel.status.text() == "Loading…"
        assert not tabs["timeline"].note.isHidden() and tabs["timeline"].note.text() == "Loading…"
        assert w.name_label.text() == ""  # nothing of the client yet, and no read of it here
        # what would open a form without its people and references read is not offered yet
        assert not contacts_panel.new_button.isEnabled() and not tabs["timeline"].log_button.isEnabled()
        assert not tabs["overview"].edit_button.isEnabled()

        held.release()
        settle(qtbot, w)
        assert store.on_gui == [] and store.elsewhere > 0
        # every tab filled
        assert w.name_label.text() == "护航科技有限公司"
        assert "赵磊" in w.sub_label.text()  # the handover's new owner
        assert [b.text() for b in w.findChildren(type(w.name_label), "risk_badge")] == ["⚠ Dishonest debtor"]
        assert tabs["overview"].findChild(type(w.name_label), "value_industry").text() == "检验检测"
        assert "赵磊" in tabs["overview"].owner_label.text()
        assert sorted(cell_texts(contacts_panel.view, 0)) == ["何慧敏", "陈娜"]
        assert set(tabs["contacts"].map.nodes) == {ids["boss"], contacts_panel.model.rows[1]["id"]} | {
            contacts_panel.model.rows[0]["id"]
        }
        visits_tab = tabs["visits"]
        assert visits_tab.plans.model.rowCount() == 1 and visits_tab.visits.model.rowCount() == 1
        assert visits_tab.task_panel.model.rowCount() == 1
        assert "例行回访" in visits_tab.report.toPlainText()
        assert (
            tabs["service"].commitments.model.rowCount() == 1 and tabs["service"].notes.model.rowCount() == 1
        )
        assert cell_texts(tabs["services"].deliveries.view, 1) == ["7×24 远程支持"]
        assert cell_texts(tabs["feedback"].feedback.view, 0) != []
        assert tabs["surveys"].surveys.model.rowCount() == 1 and tabs["surveys"].chart.series()
        assert cell_texts(tabs["improvement"].items.view, 0) == ["缩短报告周期"]
        assert cell_texts(tabs["equipment"].equipment.view, 0) == ["三坐标测量机"]
        assert cell_texts(tabs["opportunities"].opportunities.view, 0) == ["新增环境检测项目"]
        assert "Interaction" in cell_texts(tabs["timeline"].view, 1)
        assert tabs["attachments"].list.count() == 1
        assert tabs["ownership"].model.rowCount() >= 1 and tabs["ownership"].handovers.rowCount() == 1
        assert all(tab.note.isHidden() for tab in tabs.values())
        assert contacts_panel.new_button.isEnabled() and tabs["overview"].edit_button.isEnabled()

        # the forms and dialogs: opened from what the tabs read, or reading on the lane
        for tab in tabs.values():
            for panel in tab.panels:
                if panel.model.rows:
                    panel.view.selectRow(0)
                    dlg = panel.edit()
                    if dlg is not None:
                        dlg.reject()
                if not panel.new_button.isHidden():
                    panel.new_record().reject()
        tabs["overview"].edit_profile().reject()
        tabs["timeline"].log_interaction().reject()
        visits_tab.visits.select(ids["visit"])
        visits_tab.complete_visit().reject()
        visits_tab.record_visit(plan_id=ids["plan"]).reject()
        for dialog in (
            w.hand_over(),
            w.review_conflicts(),
            contacts_panel.history(),
            tabs["overview"].edit_team(),
        ):
            settle(qtbot, getattr(dialog, "panel", dialog))
            dialog.reject()
        w.complete_item("feedback", ids["feedback"], "")  # opens once the tab has read again
        settle(qtbot, w)
        form = w.completion
        assert form is not None and form.isVisible() and form.original["id"] == ids["feedback"]
        form.reject()
        qtbot.wait(50)
        assert store.on_gui == []


def test_a_result_for_a_workspace_no_longer_shown_does_not_land(qtbot, ctx, tasks, client_id, staff):
    """Another client opened while the first one's reads wait: they are dropped, the second
    client's land."""
    from accountdesk.services import clients
    from accountdesk.ui.widgets.workspace_host import WorkspaceHost
    from accountdesk.ui.workspace import ClientWorkspace

    other = clients.create_client(ctx, name="华东精密仪器有限公司", owner_id=staff["zhao"])
    host = WorkspaceHost()
    qtbot.addWidget(host)
    host.show()
    held = HeldLane(tasks)
    first = ClientWorkspace(ctx, tasks, client_id, host)
    host.set_widget(first, client_id)
    first.show_tab("contacts")
    landed: list[str] = []
    first.title_changed.connect(landed.append)
    second = ClientWorkspace(ctx, tasks, other, host)
    second.title_changed.connect(landed.append)
    host.set_widget(second, other)  # the first one closes: its reads under way are dropped
    held.release()
    settle(qtbot, second)
    tasks.wait(5000)
    qtbot.wait(50)
    assert landed == ["华东精密仪器有限公司"]
    assert host.widget is second and second.name_label.text() == "华东精密仪器有限公司"


def test_only_the_newest_read_of_a_panel_lands(qtbot, ctx, tasks, client_id, staff):
    """Two reads of one list asked in a row: the older one's rows (read before a contact was
    added) never reach the screen; the newer one's do."""
    from accountdesk.ui.workspace import ClientWorkspace

    w = ClientWorkspace(ctx, tasks, client_id)
    qtbot.addWidget(w)
    w.show()
    panel = settle(qtbot, w.show_tab("contacts")).contacts
    shown: list[list[str]] = []
    panel.loaded.connect(lambda: shown.append(cell_texts(panel.view, 0)))
    held = HeldLane(tasks)
    panel.reload()  # reads before the contact exists ...
    tasks.run_db(lambda: contacts.create_contact(ctx, client_id, name="李倩"), name="add contact")
    panel.reload()  # ... this one after
    held.release()
    settle(qtbot, panel)
    tasks.wait(5000)
    qtbot.wait(50)
    assert shown == [["李倩"]]


def test_a_failed_read_is_shown_in_place(qtbot, ctx, tasks, client_id, staff):
    """A read that fails (here: a profile whose interactions table is gone) says so where the
    data would be; the other tabs still show theirs."""
    from accountdesk.ui.workspace import ClientWorkspace

    contacts.create_contact(ctx, client_id, name="何慧敏")
    with ctx.store.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE interactions RENAME TO interactions_gone")
    w = ClientWorkspace(ctx, tasks, client_id)
    qtbot.addWidget(w)
    w.show()
    timeline = w.show_tab("timeline")
    contacts_tab = w.show_tab("contacts")
    settle(qtbot, w)
    assert not timeline.note.isHidden()
    assert timeline.note.text().startswith("Could not read this:") and "interactions" in timeline.note.text()
    assert timeline.model.rowCount() == 0
    assert cell_texts(contacts_tab.contacts.view, 0) == ["何慧敏"]
    with ctx.store.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE interactions_gone RENAME TO interactions")
    timeline.reload()
    settle(qtbot, timeline)
    assert timeline.note.isHidden()


def test_the_standards_dialog_reads_on_the_database_lane(qtbot, ctx, tasks):
    """The supervisor's standards per tier (a dialog of the dashboard): read on the lane, the
    grid disabled until then."""
    from accountdesk.ui.pages.dashboard import DashboardPage

    page = DashboardPage(tasks, ctx=ctx)
    qtbot.addWidget(page)
    page.show()
    tasks.wait(10_000)
    qtbot.wait(50)
    with StoreThreads(ctx.store.engine) as store:
        held = HeldLane(tasks)
        dlg = page.edit_standards()
        check, spin = dlg.cells[("standard", "return_visit")]
        qtbot.wait(50)
        assert dlg.loading and not check.isEnabled() and not dlg.save_button.isEnabled()
        held.release()
        settle(qtbot, dlg)
        assert check.isEnabled() and check.isChecked() and spin.value() == 3
        assert store.on_gui == []
    dlg.reject()
    tasks.wait(10_000)


def test_the_calendars_new_visit_form_reads_on_the_database_lane(qtbot, ctx, tasks, client_id):
    """The calendar's "New visit" form: the clients and people it offers are read on the lane."""
    from accountdesk.ui.pages.calendar import CalendarPage

    page = CalendarPage(ctx, tasks)
    qtbot.addWidget(page)
    page.show()
    tasks.wait(10_000)
    qtbot.wait(50)
    with StoreThreads(ctx.store.engine) as store:
        held = HeldLane(tasks)
        page.new_visit(dt.date(2026, 3, 25), client_id=client_id)
        qtbot.wait(50)
        assert page.new_visit_dialog is None
        held.release()
        qtbot.waitUntil(lambda: page.new_visit_dialog is not None, timeout=5000)
        dlg = page.new_visit_dialog
        assert (
            dlg.client_combo.currentData() == client_id
            and dlg.form.editor("owner_id").value() == ctx.actor.id
        )
        assert store.on_gui == []
    dlg.reject()
    tasks.wait(10_000)
