"""The Reports screen: the period of the portfolio report and the audience of the dossiers, chosen
as a person would, reach the PDF (read back with pdftotext)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest
from PySide6.QtCore import QDate

from accountdesk.services import records

from .conftest import make_clients

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)


def pdf_text(path) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_portfolio_report_covers_the_period_chosen_on_screen(qtbot, ctx, window, tmp_path):
    make_clients(ctx)
    window.show_page("reports")
    page = window.pages["reports"]
    page.open_when_saved = False
    today = ctx.today()
    # a preset shows its dates
    page.period_combo.setCurrentIndex(page.period_combo.findData("last_year"))
    assert page.period() == (dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31))
    assert not page.date_from.isEnabled()
    # chosen dates go into the report
    page.period_combo.setCurrentIndex(page.period_combo.findData("custom"))
    assert page.date_from.isEnabled() and page.date_to.isEnabled()
    page.date_from.setDate(QDate(2025, 4, 1))
    page.date_to.setDate(QDate(2025, 9, 30))
    target = tmp_path / "portfolio.pdf"
    page.ask_path = lambda key: str(target)
    with qtbot.waitSignal(page.report_saved, timeout=60000):
        page.portfolio_button.click()
    text = pdf_text(target)
    assert "Period 2025-04-01 – 2025-09-30" in text
    # a period that ends before it starts is refused on screen, nothing is written
    page.date_from.setDate(QDate(2025, 10, 1))
    other = tmp_path / "other.pdf"
    page.ask_path = lambda key: str(other)
    page.portfolio_button.click()
    assert page.status.text() == "The start of the period is after its end."
    assert not other.exists()


def test_the_dossier_for_readers_beyond_the_team_has_no_private_mobile(qtbot, ctx, window, tmp_path):
    ids = make_clients(ctx)
    name, cid = next(iter(ids.items()))
    records.create_record(
        ctx,
        "contact",
        {
            "name": "陈建国",
            "title": "总经理",
            "mobile": "13912345678",
            "wechat": "chen_jg_1968",
            "email": "chen.jianguo@example.cn",
            "is_primary": True,
        },
        client_id=cid,
    )
    window.show_page("reports")
    page = window.pages["reports"]
    page.open_when_saved = False
    qtbot.waitUntil(lambda: page.model.rowCount() == len(ids))
    row = next(r for r in range(page.model.rowCount()) if page.model.client_at(r).id == cid)
    page.view.selectRow(row)
    texts = {}
    for audience in ("internal", "external"):
        page.audience_combo.setCurrentIndex(page.audience_combo.findData(audience))
        target = tmp_path / f"{audience}.pdf"
        page.ask_path = lambda key, target=target: str(target)
        with qtbot.waitSignal(page.report_saved, timeout=60000):
            page.dossier_button.click()
        texts[audience] = "".join(pdf_text(target).split())
    assert "13912345678" in texts["internal"] and "chen_jg_1968" in texts["internal"]
    assert "13912345678" not in texts["external"] and "chen_jg_1968" not in texts["external"]
    assert "陈建国" in texts["external"] and "chen.jianguo@example.cn" in texts["external"]
