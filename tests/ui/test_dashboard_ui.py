"""The dashboard on screen (issue 16 point 2): its charts show the numbers of the services and of
the portfolio report (one source); a click on a figure opens the client list filtered to the
clients behind it; the period selector reloads; a manager sees "My portfolio"."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, QRectF, Qt

from accountdesk.services import dashboard
from accountdesk.services.demo import generate_demo
from accountdesk.services.dossier import load_portfolio


@pytest.fixture
def demo_ctx(ctx):
    generate_demo(ctx, clients=40, seed=2, reference=ctx.today())
    return ctx


def _open(qtbot, window):
    window.show_page("dashboard")
    page = window.pages["dashboard"]
    qtbot.waitUntil(lambda: page.board is not None and bool(page.board.served.by_tier), timeout=30_000)
    return page


def _listed(qtbot, window) -> set[str]:
    page = window.pages["clients"]
    qtbot.waitUntil(lambda: not page.model.loading and page.model.total is not None, timeout=10_000)
    while page.model.canFetchMore():
        page.model.fetchMore()
        qtbot.waitUntil(lambda: not page.model.loading, timeout=10_000)
    return {page.model.client_at(r).id for r in range(page.model.rowCount())}


def test_charts_show_the_services_and_the_reports_numbers(qtbot, demo_ctx, window):
    page = _open(qtbot, window)
    board = dashboard.load_dashboard(demo_ctx)
    pdf = load_portfolio(demo_ctx)
    shown = {i.key: i.values[0] for i in page.pyramid.items()}
    assert shown == {t.tier: t.clients for t in board.pyramid} == {t.tier: t.clients for t in pdf.pyramid}
    assert {i.key: i.values[0] for i in page.fees.items()} == {t.tier: t.fees for t in pdf.pyramid}
    visits = {i.label: i.values for i in page.visits.items()}
    assert visits == {m.manager: (m.planned, m.done) for m in pdf.visits_by_manager if m.planned or m.done}
    assert sum(sum(i.values) for i in page.complaints.items()) == board.complaints_count() > 0
    trend = [(i.label, i.values[0]) for i in page.satisfaction.items()]
    assert trend == [(q.label, None if q.average is None else round(q.average, 2)) for q in pdf.satisfaction]
    assert sum(i.values[0] for i in page.at_risk.items()) == len(pdf.at_risk)
    assert sum(i.values[0] for i in page.renewals.items()) == len(pdf.renewals)
    served = {i.key: i.text for i in page.served.items()}
    assert served == {f.key: f"{f.served} / {f.clients}" for f in board.served.by_tier}


def test_a_click_opens_the_client_list_filtered_to_the_figure(qtbot, demo_ctx, window):
    page = _open(qtbot, window)
    board = page.board
    # a click on the "key" layer of the pyramid
    page.pyramid.resize(400, 240)
    page.pyramid.repaint()
    index = [i.key for i in page.pyramid.items()].index("key")
    rect = next(r for r, i in page.pyramid._hits if i == index)
    qtbot.mouseClick(page.pyramid, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
    assert window.current_key == "clients"
    key = next(t for t in board.pyramid if t.tier == "key")
    listed = _listed(qtbot, window)
    assert len(listed) == key.clients
    clients_page = window.pages["clients"]
    assert clients_page.scope_label.isVisible() and clients_page.tier_combo.currentData() == "key"
    # the at-risk clients
    window.show_page("dashboard")
    risky = [i for i, item in enumerate(page.at_risk.items()) if item.values[0]]
    assert risky
    expected = set()
    for i in risky:
        expected |= set(page.at_risk.items()[i].key[1])
    page.at_risk.click_item(risky[0])
    assert _listed(qtbot, window) == set(page.at_risk.items()[risky[0]].key[1])
    assert expected <= {a.client_id for a in board.at_risk}
    # Clear shows every client again
    clients_page.clear_filters()
    assert len(_listed(qtbot, window)) == board.clients
    # a complaints cell
    window.show_page("dashboard")
    grid = page.complaints.items()
    row, col = next((r, c) for r, item in enumerate(grid) for c, v in enumerate(item.values) if v)
    page.complaints.click_cell(row, col)
    cell = next(c for c in board.complaints if c.age == row and c.severity == dashboard.SEVERITIES[col])
    assert _listed(qtbot, window) == set(cell.client_ids)


def test_the_period_selector_reloads_the_figures(qtbot, demo_ctx, window):
    page = _open(qtbot, window)
    assert page.board.date_from == dashboard.period("12m", demo_ctx.today())[0]
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        page.period_combo.setCurrentIndex(page.period_combo.findData("quarter"))
    start, end = dashboard.period("quarter", demo_ctx.today())
    assert (page.board.date_from, page.board.date_to) == (start, end)
    expected = dashboard.load_dashboard(demo_ctx, date_from=start, date_to=end)
    assert [i.values for i in page.visits.items()] == [
        (m.planned, m.done) for m in expected.visits if m.planned or m.done
    ]


def test_served_to_standard_coming_first_waits_for_the_periods_figures(qtbot, demo_ctx, window, monkeypatch):
    """The page runs served to standard / at-risk on the pool beside the period's figures (database
    lane): when it comes first after a refresh it is kept for the new figures, not put on the old
    ones, and the page says it is loaded once, with both."""
    import threading

    page = _open(qtbot, window)
    old = page.board
    release = threading.Event()
    real = dashboard.load_dashboard

    def held(*args, **kwargs):
        release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(dashboard, "load_dashboard", held)
    loaded = []
    page.loaded.connect(lambda: loaded.append(page.board))
    try:
        page.refresh()
        qtbot.waitUntil(lambda: page._standing is not None, timeout=20_000)
        qtbot.wait(50)
        assert loaded == [] and page.board is old
    finally:
        release.set()
    qtbot.waitUntil(lambda: bool(loaded), timeout=20_000)
    qtbot.wait(50)
    assert len(loaded) == 1 and loaded[0] is page.board is not old
    expected = dashboard.load_standing(demo_ctx)
    assert page.board.served == expected.served and page.board.at_risk == expected.at_risk


def test_a_manager_sees_my_portfolio(qtbot, ctx, tasks, settings):
    from accountdesk.services import clients, users
    from accountdesk.ui.main_window import MainWindow

    alice = users.create_user(ctx, "alice", "Alice", "manager")
    clients.create_client(ctx, name="别人的客户", tier="key", standard=True)
    ctx.set_actor(alice)
    mine = clients.create_client(ctx, name="我的客户", tier="key", standard=True)
    win = MainWindow(ctx, tasks, settings)
    qtbot.addWidget(win)
    win.show()
    page = _open(qtbot, win)
    assert page.title.text() == "My portfolio" and not page.scope_combo.isVisible()
    assert page.board.clients == 1 and page.board.owner_id == alice
    assert {i.key: i.values[0] for i in page.pyramid.items()}["key"] == 1
    page.served.click_item([i.key for i in page.served.items()].index("key"))
    assert _listed(qtbot, win) == set()  # served to standard: nothing to list
    assert mine not in standards_not_served(ctx)
    tasks.wait(5000)


def standards_not_served(ctx):
    from accountdesk.services import standards

    return standards.served_figures(ctx).not_served


def test_the_chart_reports_a_point_under_the_mouse(qtbot, demo_ctx, window):
    page = _open(qtbot, window)
    page.visits.resize(400, 240)
    page.visits.repaint()
    rect, index = page.visits._hits[0]
    assert page.visits.item_at(QPointF(rect.center())) == index
    assert page.visits.item_at(QPointF(-5, -5)) is None


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_satisfaction_trends_quarter_labels_never_overlap(qtbot, demo_ctx, window, lang):
    """At 1280 px (the window with its sidebar: five quarters in a chart of ~290 px) the labels
    "2025-Q4" … used to run into each other; now short labels (or every other one) are shown
    when the full ones do not fit. Checked on the rectangles the chart draws them in, at the
    window's width and at the chart's narrowest."""
    from accountdesk.i18n import set_language
    from accountdesk.ui.app import install_language

    # the first screen's loading done first: a language change rebuilds the screens, and the
    # result of a load started before it would reach a deleted one
    window.tasks.wait(10_000)
    window.apply_language(lang)
    try:
        _check_quarter_labels(qtbot, window, lang)
    finally:
        window.tasks.wait(10_000)
        install_language("en")
        set_language("en")


def _check_quarter_labels(qtbot, window, lang: str) -> None:
    window.resize(1280, 800)
    page = _open(qtbot, window)
    chart = page.satisfaction
    quarters = [q.label for q in page.board.satisfaction]
    assert len(quarters) == 5
    forms = {i.label: i.short for i in chart.items()}
    assert forms["2026-Q1"] == {"zh_CN": "26Q1", "en": "Q1’26"}[lang]

    def drawn() -> list[tuple[QRectF, str]]:
        chart.repaint()
        labels = chart.axis_labels()
        assert labels, "no label drawn"
        bounds = QRectF(chart.rect())
        for rect, text in labels:
            assert bounds.contains(rect), (rect, bounds)
            assert text in set(forms) | set(forms.values()) or text.endswith("…")
        for (a, _t), (b, _u) in zip(labels, labels[1:], strict=False):
            assert not a.intersects(b) and a.right() < b.left(), (a, b)
        return labels

    qtbot.waitUntil(lambda: chart.isVisible() and chart.width() > 0, timeout=5000)
    assert 250 < chart.width() < 330  # the width at which they overlapped
    at_1280 = drawn()
    assert [t for _r, t in at_1280] == [forms[q] for q in quarters]  # every quarter, in short
    chart.setMinimumWidth(0)
    for width in (180, 120, 70):
        chart.resize(width, 220)
        labels = drawn()
        assert labels[0][1] in (quarters[0], forms[quarters[0]]) or labels[0][1].endswith("…")
        if width == 180:
            assert len(labels) >= 2  # every other quarter, not a single one
