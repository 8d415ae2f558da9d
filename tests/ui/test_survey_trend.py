"""The satisfaction trend of a client: series with the same scores stay visible (each has its own
marker and dash and a small offset), the issue was 2 of 5 lines visible."""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QColor

from accountdesk.ui.workspace.surveys import SERIES_COLOURS, TrendChart


def visible_pixels(image, colour: str, width_limit: int) -> int:
    target = QColor(colour)
    n = 0
    for x in range(0, width_limit):
        for y in range(image.height()):
            c = image.pixelColor(x, y)
            if (
                abs(c.red() - target.red()) + abs(c.green() - target.green()) + abs(c.blue() - target.blue())
                < 40
            ):
                n += 1
    return n


def test_five_series_with_the_same_scores_are_all_visible(qtbot):
    chart = TrendChart()
    qtbot.addWidget(chart)
    chart.resize(640, 260)
    same = {
        "score_overall": 4,
        "score_service_quality": 4,
        "score_responsiveness": 4,
        "score_professionalism": 4,
        "score_relationship": 4,
    }
    chart.set_surveys(
        [
            {"conducted_on": day, **same}
            for day in (dt.date(2025, 6, 1), dt.date(2025, 12, 1), dt.date(2026, 6, 1))
        ]
    )
    image = chart.grab().toImage()
    plot_right = chart.width() - 150  # the legend lies right of the plot
    counts = {field: visible_pixels(image, colour, plot_right) for field, colour in SERIES_COLOURS.items()}
    assert all(n >= 20 for n in counts.values()), counts
