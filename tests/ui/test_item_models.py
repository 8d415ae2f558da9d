"""``qtmodeltester`` on every item model of the shell (it catches off-by-one row inserts)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from accountdesk.ui.item_models.agenda import AgendaListModel
from accountdesk.ui.item_models.clients import ClientTableModel
from accountdesk.ui.item_models.team import OwnerRow, OwnersModel

from .conftest import make_many


def test_client_table_model_while_paging(qtbot, qtmodeltester, ctx, tasks):
    make_many(ctx, 25)
    model = ClientTableModel(ctx, tasks, page_size=10)
    model.reload()
    qtbot.waitUntil(lambda: model.rowCount() == 10)
    qtmodeltester.check(model)  # also calls fetchMore: the next page is inserted while it watches
    qtbot.waitUntil(lambda: not model.loading)
    while model.canFetchMore():
        model.fetchMore()
        qtbot.waitUntil(lambda: not model.loading)
    assert model.rowCount() == 25
    qtmodeltester.check(model)


def test_client_table_model_synchronous_without_task_lanes(qtmodeltester, ctx):
    make_many(ctx, 5)
    model = ClientTableModel(ctx, None)
    model.reload()
    assert model.rowCount() == 5
    qtmodeltester.check(model)


def test_agenda_list_model(qtmodeltester):
    today = dt.date(2026, 3, 16)
    items = [
        SimpleNamespace(
            kind="visit_planned",
            due=today - dt.timedelta(days=i),
            client_id="c",
            client_name="客户",
            entity="visit",
            row_id=str(i),
            title=f"拜访 {i}",
            overdue=i > 0,
            days_overdue=i,
            severity="low",
        )
        for i in range(4)
    ]
    model = AgendaListModel(today)
    model.set_items(items)
    qtmodeltester.check(model)
    assert model.rowCount() == 4


def test_owners_model(qtmodeltester):
    model = OwnersModel()
    model.set_rows(
        [
            OwnerRow("u1", "王经理", "manager", "华东", True, 12),
            OwnerRow("u2", "李主管", "supervisor", "", True, 0),
        ]
    )
    qtmodeltester.check(model)
    assert model.index(0, 3).data() == "12"
