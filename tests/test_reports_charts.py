"""Printed line charts keep series with the same values apart (issue: 2 of 5 lines visible)."""

from __future__ import annotations

import itertools

from reportlab.graphics.widgets.markers import Marker

from accountdesk.reports.charts import line_chart


def markers(drawing) -> list[tuple[str, float, float]]:
    out = []

    def walk(node):
        for child in getattr(node, "contents", []):
            if isinstance(child, Marker):
                out.append((child.kind, child.x, child.y))
            walk(child)

    walk(drawing)
    return out


def test_five_equal_series_have_distinct_markers_apart_from_each_other():
    same = [4, 4, 5]
    d = line_chart(
        ["2025-06", "2025-12", "2026-06"],
        [same] * 5,
        ["Overall", "Service", "Response", "Expertise", "Relationship"],
        x_title="Survey date",
        y_title="Score",
    )
    points = markers(d)[:-5]  # the last five are the legend's
    assert len(points) == 15
    assert len({kind for kind, _x, _y in points}) == 5  # one shape per series
    for (k1, x1, y1), (k2, x2, y2) in itertools.combinations(points, 2):
        if k1 != k2:
            assert abs(x1 - x2) >= 3 or abs(y1 - y2) >= 3  # never drawn on top of each other
