"""Team (owners, clients needing an owner, deactivated users, handover) and Reports (PDFs)."""

from __future__ import annotations

import pytest

from accountdesk.services.clients import update_client
from accountdesk.services.records import get_record
from accountdesk.services.users import create_user, deactivate_user

from .conftest import make_clients


def team_setup(ctx):
    wang = create_user(ctx, "wang.li", "王丽", "manager", team="华东大客户部")
    chen = create_user(ctx, "chen.gang", "陈刚", "manager", team="华南大客户部")
    ids = make_clients(ctx)
    names = list(ids)
    for name in names[:3]:
        update_client(ctx, ids[name], owner_id=wang)
    for name in names[3:5]:
        update_client(ctx, ids[name], owner_id=chen)
    deactivate_user(ctx, chen)  # chen's two clients now need a new owner
    return ids, names, wang, chen


def owner_rows(page):
    m = page.owners_model
    return [(m.index(r, 0).data(), m.index(r, 3).data()) for r in range(m.rowCount())]


def test_team_shows_owners_clients_needing_an_owner_and_deactivated_users(qtbot, ctx, window):
    ids, names, wang, chen = team_setup(ctx)
    window.show_page("team")
    page = window.pages["team"]
    qtbot.waitUntil(lambda: page.owners_model.rowCount() > 0)
    assert owner_rows(page)[0] == ("王丽", "3")  # the owner of most clients first
    assert "陈刚" not in [n for n, _c in owner_rows(page)]
    assert page.inactive_list.item(0).text() == "陈刚 — still owns 2 clients"
    qtbot.waitUntil(lambda: page.needing.rowCount() == 2)
    assert {page.needing.client_at(r).name for r in range(2)} == set(names[3:5])
    assert page.needing_title.text() == "Clients needing a new owner · 2"
    qtbot.waitUntil(lambda: page.owner_clients.rowCount() == 3)
    assert page.owner_clients_title.text() == "Clients of 王丽"
    assert {page.owner_clients.client_at(r).name for r in range(3)} == set(names[:3])


def test_handover_from_the_team_screen_reassigns_the_client(qtbot, ctx, window):
    ids, names, wang, chen = team_setup(ctx)
    window.show_page("team")
    page = window.pages["team"]
    qtbot.waitUntil(lambda: page.needing.rowCount() == 2)
    assert not page.handover_button.isEnabled()  # nothing chosen yet
    page.needing_view.selectRow(0)
    assert page.handover_button.isEnabled()
    client = page.needing.client_at(0)
    page.hand_over_selected()
    dialog = page._dialog
    owner_combo = getattr(dialog, "owner", None) or dialog.owner_combo
    owner_combo.setCurrentIndex(owner_combo.findData(wang))
    reason = getattr(dialog, "reason", None) or dialog.reason_edit
    reason.setText("原客户主管离职")
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: get_record(ctx, "client", client.id)["owner_id"] == wang)
    qtbot.waitUntil(lambda: page.needing.rowCount() == 1)


def test_reports_page_writes_a_portfolio_pdf(qtbot, ctx, window, tmp_path):
    make_clients(ctx)
    window.show_page("reports")
    page = window.pages["reports"]
    if not page.available["portfolio"]:
        assert not page.portfolio_button.isEnabled()
        pytest.skip("the reports library is not installed")
    page.open_when_saved = False
    target = tmp_path / "portfolio.pdf"
    page.ask_path = lambda key: str(target)
    with qtbot.waitSignal(page.report_saved, timeout=60000):
        page.portfolio_button.click()
    assert target.read_bytes()[:5] == b"%PDF-"
    assert page.status.text() == f"Saved: {target}"


def test_dossier_needs_a_selection_then_prints_the_selected_clients(qtbot, ctx, window, tmp_path):
    make_clients(ctx)
    window.show_page("reports")
    page = window.pages["reports"]
    if not page.available["dossier"]:
        pytest.skip("the reports library is not installed")
    page.open_when_saved = False
    target = tmp_path / "dossier.pdf"
    page.ask_path = lambda key: str(target)
    qtbot.waitUntil(lambda: page.model.rowCount() == 6)
    assert not page.dossier_button.isEnabled() and not page.handover_button.isEnabled()
    assert page.portfolio_button.isEnabled()
    page.view.selectRow(0)
    assert page.dossier_button.isEnabled() and page.handover_button.isEnabled()
    with qtbot.waitSignal(page.report_saved, timeout=60000):
        page.dossier_button.click()
    assert target.read_bytes()[:5] == b"%PDF-"


def test_several_clients_selected_on_the_team_screen_are_handed_over_at_once(qtbot, ctx, window):
    from PySide6.QtCore import QItemSelectionModel

    ids, names, wang, chen = team_setup(ctx)
    window.show_page("team")
    page = window.pages["team"]
    qtbot.waitUntil(lambda: page.owner_clients.rowCount() == 3)
    view = page.owner_clients_view
    view.setFocus()
    view.selectRow(0)
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for r in (1, 2):  # as a shift-click would
        view.selectionModel().select(page.owner_clients.index(r, 0), flags)
    assert len(page.selected_clients()) == 3 and page.handover_button.isEnabled()
    page.hand_over_selected()
    dialog = page._dialog
    assert dialog.windowTitle() == "Hand over 3 clients"
    offered = [dialog.owner.itemText(i) for i in range(dialog.owner.count())]
    assert any(t.startswith("王丽 · 3 clients") for t in offered)  # each candidate's workload is shown
    dialog.owner.setCurrentIndex(dialog.owner.findData(ctx.actor.id))
    dialog.ok_button.click()
    assert "Reason is required." in dialog.error.text()
    dialog.reason.setText("调整分工")
    dialog.ok_button.click()
    qtbot.waitUntil(
        lambda: all(get_record(ctx, "client", ids[n])["owner_id"] == ctx.actor.id for n in names[:3])
    )
