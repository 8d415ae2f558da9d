# ruff: noqa: F811 - pytest fixtures imported from conftest_workspace are parameters here
"""The feedback queue: overdue first, countdown, filters, opening an item."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from accountdesk.services import clients
from accountdesk.services import feedback as fb
from accountdesk.ui.item_models.roles import ID_ROLE

from .conftest_workspace import aware, cell_texts, client_id, staff, tasks  # noqa: F401 - fixtures

pytestmark = pytest.mark.gui


@pytest.fixture
def queue(ctx, client_id, staff, clock):
    other = clients.create_client(ctx, name="华东精密仪器有限公司", owner_id=staff["li"])
    items = {
        # received 3 days ago, high: due after 24 h -> overdue
        "overdue": fb.record_feedback(
            ctx, other, "complaint", "证书数据错误", severity="high", received_at=aware(2026, 3, 13, 9)
        ),
        # received now, medium complaint: due later
        "fresh": fb.record_feedback(
            ctx,
            client_id,
            "complaint",
            "报告延误",
            severity="medium",
            received_at=aware(2026, 3, 16, 8),
            handler=staff["zhao"],
        ),
        "praise": fb.record_feedback(
            ctx, client_id, "praise", "工程师服务周到", received_at=aware(2026, 3, 15, 8)
        ),
    }
    closed = fb.record_feedback(
        ctx, client_id, "suggestion", "增加电子报告", received_at=aware(2026, 3, 1, 8)
    )
    fb.close_feedback(ctx, closed)
    items["closed"] = closed
    return items


@pytest.fixture
def page(qtbot, ctx, tasks, queue):
    from accountdesk.ui.pages.feedback import FeedbackPage

    p = FeedbackPage(ctx, tasks)
    qtbot.addWidget(p)
    p.resize(1200, 700)
    p.show()
    qtbot.waitUntil(lambda: p.model.rowCount() > 0, timeout=5000)
    return p


def ids(page):
    return [page.model.index(r, 0).data(ID_ROLE) for r in range(page.model.rowCount())]


def test_open_feedback_overdue_first_with_countdown(page, queue):
    assert ids(page) == [queue["overdue"], queue["fresh"], queue["praise"]]
    deadline = cell_texts(page.view, 0)
    assert deadline[0].endswith("overdue") and deadline[1].endswith("left") and deadline[2] == ""
    assert page.model.index(0, 0).data(Qt.ItemDataRole.FontRole).bold()
    assert cell_texts(page.view, 1)[0] == "华东精密仪器有限公司"
    assert cell_texts(page.view, 6)[1] == "赵磊"
    assert page.summary.text() == "3 items · 1 overdue"


def test_filters_by_status_kind_and_severity(page, queue, qtbot):
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.open_only.setChecked(False)
    assert set(ids(page)) == set(queue.values())
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.kind.setCurrentIndex(page.kind.findData("complaint"))
    assert ids(page) == [queue["overdue"], queue["fresh"]]
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.severity.setCurrentIndex(page.severity.findData("high"))
    assert ids(page) == [queue["overdue"]]
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.kind.setCurrentIndex(0)
        page.severity.setCurrentIndex(0)
    with qtbot.waitSignal(page.loaded, timeout=5000):
        page.status.setCurrentIndex(page.status.findData("closed"))
    assert ids(page) == [queue["closed"]]
    page.search.setText("电子")
    assert ids(page) == [queue["closed"]]
    page.search.setText("不存在")
    assert page.stack.currentWidget() is page.empty


def test_opening_an_item_names_its_client_and_record(page, queue, ctx):
    opened = []
    page.item_open_requested.connect(lambda c, e, r: opened.append((e, r)))
    page.view.doubleClicked.emit(page.model.index(1, 2))
    assert opened == [("feedback", queue["fresh"])]


def test_without_an_item_listener_the_client_opens(page, queue):
    clients_opened = []
    page.client_open_requested.connect(clients_opened.append)
    page.open_row(0)
    assert len(clients_opened) == 1


def test_countdown_moves_with_the_clock(page, queue, clock):
    before = cell_texts(page.view, 0)[1]
    clock.advance(hours=30)
    page.model.tick()
    after = cell_texts(page.view, 0)[1]
    assert before != after


def test_queue_model_passes_the_model_tester(page, qtmodeltester):
    qtmodeltester.check(page.model)


def test_several_items_selected_and_edited_at_once_then_undone(page, queue, ctx, qtbot):
    from PySide6.QtCore import QItemSelectionModel

    from accountdesk.services.records import get_record

    sel = page.view.selectionModel()
    wanted = {queue["overdue"], queue["fresh"]}
    for r in range(page.model.rowCount()):
        if page.model.items[r].id in wanted:
            sel.select(
                page.model.index(r, 0),
                QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
            )
    assert set(page.selected_ids()) == wanted and page.bulk_bar.count_label.text() == "2 selected"
    dialog = page.bulk_bar.edit()
    dialog.editors["severity"].setCurrentIndex(dialog.editors["severity"].findData("critical"))
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        dialog.accept()
    assert {get_record(ctx, "feedback", f)["severity"] for f in wanted} == {"critical"}
    assert get_record(ctx, "feedback", queue["praise"])["severity"] != "critical"
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.bulk_bar.undo_button.click()
    assert get_record(ctx, "feedback", queue["overdue"])["severity"] == "high"
    assert get_record(ctx, "feedback", queue["fresh"])["severity"] == "medium"


def test_a_saved_view_of_the_queue_comes_back_on_a_new_page(page, queue, ctx, tasks, qtbot):
    from accountdesk.ui.pages.feedback import FeedbackPage

    qtbot.waitUntil(lambda: page.views_bar.combo.count() == 1)
    page.open_only.setChecked(False)
    page.kind.setCurrentIndex(page.kind.findData("complaint"))
    qtbot.waitUntil(lambda: set(ids(page)) == {queue["overdue"], queue["fresh"]})
    page.columns.set_visible("handler", False)
    with qtbot.waitSignal(page.views_bar.loaded, timeout=10_000):
        page.views_bar.save("全部投诉")
    page.close()
    fresh = FeedbackPage(ctx, tasks)
    qtbot.addWidget(fresh)
    fresh.show()
    qtbot.waitUntil(lambda: fresh.views_bar.combo.count() == 2 and fresh.model.rowCount() > 0, timeout=10_000)
    assert "handler" in fresh.columns.visible() and set(ids(fresh)) != {queue["overdue"], queue["fresh"]}
    with qtbot.waitSignal(fresh.loaded, timeout=10_000):
        fresh.views_bar.apply_view(fresh.views_bar.views[0])
    assert set(ids(fresh)) == {queue["overdue"], queue["fresh"]}
    assert not fresh.open_only.isChecked() and fresh.kind.currentData() == "complaint"
    assert "handler" not in fresh.columns.visible() and "subject" in fresh.columns.visible()
