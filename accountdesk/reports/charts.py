"""Charts drawn with ReportLab graphics: labelled axes, a legend, the report palette and font."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from .fonts import FONT, FONT_BOLD
from .styles import CONTENT_WIDTH, MUTED, NAVY, RULE, SERIES, SLATE, TIER_COLOURS, WHITE


def _axis_titles(d: Drawing, x: float, y: float, w: float, h: float, x_title: str, y_title: str) -> None:
    if x_title:
        d.add(
            String(x + w / 2, 2, x_title, fontName=FONT, fontSize=7.5, fillColor=MUTED, textAnchor="middle")
        )
    if y_title:
        s = String(0, 0, y_title, fontName=FONT, fontSize=7.5, fillColor=MUTED, textAnchor="middle")
        g = Group(s)
        g.translate(8, y + h / 2)
        g.rotate(90)
        d.add(g)


def _legend(d: Drawing, names: Sequence[str], colours: Sequence[Any], x: float, y: float) -> None:
    if len(names) < 2:
        return
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.fontName = FONT
    legend.fontSize = 7.5
    legend.fillColor = SLATE
    legend.boxAnchor = "ne"
    legend.columnMaximum = 1
    legend.dx = legend.dy = 7
    legend.deltax = 10
    legend.dxTextSpace = 4
    legend.strokeWidth = 0
    legend.strokeColor = None
    legend.autoXPadding = 10
    legend.colorNamePairs = list(zip(colours, names, strict=False))
    d.add(legend)


def _style_axes(chart: Any, y_title_room: bool = True) -> None:
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = 7
        axis.labels.fillColor = SLATE
        axis.strokeColor = RULE
        axis.strokeWidth = 0.6
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#E4E8EE")
    chart.valueAxis.gridStrokeWidth = 0.5
    chart.categoryAxis.visibleTicks = False


#: Marker shapes per series, in order: a series stays recognisable where lines coincide.
MARKERS = ("FilledCircle", "FilledSquare", "FilledDiamond", "FilledTriangle", "FilledCross")
#: Dash patterns per series (the lead series solid).
DASHES = (None, (4, 2), (1.5, 1.5), (5, 1.5, 1.5, 1.5), (2.5, 2.5))


def series_offsets(n: int, spacing: float) -> list[tuple[float, float]]:
    """Small (dx, dy) shifts, in points, that keep ``n`` coinciding series apart: a few points
    sideways and at most ±2 points up or down (a twentieth of a score on a 1–5 axis)."""
    if n <= 1:
        return [(0.0, 0.0)] * n
    step_x = min(5.0, spacing * 0.24 / (n - 1))
    step_y = min(1.2, 4.0 / (n - 1))
    mid = (n - 1) / 2
    return [((i - mid) * step_x, (mid - i) * step_y) for i in range(n)]


def line_chart(
    categories: Sequence[str],
    series: Sequence[Sequence[float | None]],
    names: Sequence[str],
    *,
    x_title: str,
    y_title: str,
    value_min: float = 1,
    value_max: float = 5,
    step: float = 1,
    height: float = 170,
    width: float = CONTENT_WIDTH,
) -> Drawing:
    """A line chart over categories (e.g. survey dates or quarters); the first series is the lead.

    Series that share values stay visible: each has its own marker shape and dash pattern and is
    shifted by a point or two (see :func:`series_offsets`), the lead drawn last, on top.
    """
    d = Drawing(width, height)
    n = len(series)
    legend_h = 16 if len(names) > 1 else 0
    rotate = len(categories) > 8
    x0, y0 = 40.0, 34.0 + (10 if rotate else 0)
    pw, ph = width - 52, height - 46 - legend_h - (10 if rotate else 0)
    grid = colors.HexColor("#E4E8EE")
    span = (value_max - value_min) or 1

    def y_of(v: float) -> float:
        return y0 + (v - value_min) / span * ph

    tick = value_min
    while tick <= value_max + 1e-9:
        y = y_of(tick)
        d.add(Line(x0, y, x0 + pw, y, strokeColor=grid, strokeWidth=0.5))
        d.add(
            String(
                x0 - 5,
                y - 2.5,
                ("%.0f" if step >= 1 else "%.1f") % tick,
                fontName=FONT,
                fontSize=7,
                fillColor=SLATE,
                textAnchor="end",
            )
        )
        tick += step
    d.add(Line(x0, y0, x0 + pw, y0, strokeColor=RULE, strokeWidth=0.6))
    d.add(Line(x0, y0, x0, y0 + ph, strokeColor=RULE, strokeWidth=0.6))
    count = max(len(categories), 1)
    spacing = pw / count

    def x_of(i: int) -> float:
        return x0 + spacing * (i + 0.5)

    for i, name in enumerate(categories):
        if rotate:
            g = Group(String(0, 0, name, fontName=FONT, fontSize=7, fillColor=SLATE, textAnchor="end"))
            g.translate(x_of(i) + 2, y0 - 6)
            g.rotate(30)
            d.add(g)
        else:
            d.add(
                String(
                    x_of(i), y0 - 10, name, fontName=FONT, fontSize=7, fillColor=SLATE, textAnchor="middle"
                )
            )
    offsets = series_offsets(n, spacing)
    for k in reversed(range(n)):  # the lead (series 0) last, on top
        values = series[k]
        colour = SERIES[k % len(SERIES)]
        dx, dy = offsets[k]
        lead = k == 0
        points = [(x_of(i) + dx, y_of(v) + dy) for i, v in enumerate(values) if v is not None and i < count]
        run: list[float] = []
        for i, v in enumerate(values[:count]):
            if v is None:
                if len(run) >= 4:
                    d.add(
                        PolyLine(
                            run,
                            strokeColor=colour,
                            strokeWidth=2.0 if lead else 1.0,
                            strokeDashArray=DASHES[k % len(DASHES)],
                        )
                    )
                run = []
                continue
            run += [x_of(i) + dx, y_of(v) + dy]
        if len(run) >= 4:
            d.add(
                PolyLine(
                    run,
                    strokeColor=colour,
                    strokeWidth=2.0 if lead else 1.0,
                    strokeDashArray=DASHES[k % len(DASHES)],
                )
            )
        for x, y in points:
            m = makeMarker(
                MARKERS[k % len(MARKERS)],
                size=5 if lead else 4.2,
                fillColor=colour,
                strokeColor=WHITE,
                strokeWidth=0.4,
            )
            m.x, m.y = x, y
            d.add(m)
        if n == 1 and count <= 12:
            for i, v in enumerate(values[:count]):
                if v is not None:
                    d.add(
                        String(
                            x_of(i),
                            y_of(v) + 6,
                            f"{v:.1f}",
                            fontName=FONT,
                            fontSize=7,
                            fillColor=NAVY,
                            textAnchor="middle",
                        )
                    )
    _axis_titles(d, x0, y0, pw, ph, x_title, y_title)
    _line_legend(d, names, width - 4, height - 12)
    return d


def _line_legend(d: Drawing, names: Sequence[str], right: float, y: float) -> None:
    """One entry per series, right-aligned: a short line in its dash pattern with its marker."""
    if len(names) < 2:
        return
    x = right
    for k in reversed(range(len(names))):
        colour = SERIES[k % len(SERIES)]
        x -= stringWidth(names[k], FONT, 7.5)
        d.add(String(x, y, names[k], fontName=FONT, fontSize=7.5, fillColor=SLATE))
        x -= 22
        d.add(
            Line(
                x,
                y + 2.5,
                x + 18,
                y + 2.5,
                strokeColor=colour,
                strokeWidth=2.0 if k == 0 else 1.0,
                strokeDashArray=DASHES[k % len(DASHES)],
            )
        )
        m = makeMarker(
            MARKERS[k % len(MARKERS)], size=4.5, fillColor=colour, strokeColor=WHITE, strokeWidth=0.4
        )
        m.x, m.y = x + 9, y + 2.5
        d.add(m)
        x -= 12


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Sequence[float]],
    names: Sequence[str],
    *,
    x_title: str,
    y_title: str,
    stacked: bool = False,
    colours: Sequence[Any] | None = None,
    height: float = 180,
    width: float = CONTENT_WIDTH,
    value_labels: bool = True,
) -> Drawing:
    """Grouped (or stacked) vertical bars with labelled axes and a legend."""
    d = Drawing(width, height)
    colours = list(colours or SERIES)
    legend_h = 16 if len(names) > 1 else 0
    chart = VerticalBarChart()
    chart.x, chart.y = 40, 40
    chart.width, chart.height = width - 52, height - 52 - legend_h
    chart.data = [tuple(float(v or 0) for v in s) for s in series] or [(0,)]
    chart.categoryAxis.categoryNames = [_short(c, 14 if len(categories) <= 8 else 8) for c in categories]
    many = len(categories) > 8
    chart.categoryAxis.labels.angle = 30 if many else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if many else "n"
    top = (
        max((sum(col) if stacked else max(col)) for col in zip(*chart.data, strict=False))
        if categories
        else 0
    )
    step = _nice_step(top)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(step, step * (int(top / step) + 1))
    chart.valueAxis.valueStep = step
    chart.valueAxis.labelTextFormat = "%.0f"
    _style_axes(chart)
    chart.barSpacing = 1
    chart.groupSpacing = 8 if not many else 4
    if stacked:
        chart.categoryAxis.style = "stacked"
    chart.bars.strokeWidth = 0
    chart.bars.strokeColor = None
    for i in range(len(series)):
        chart.bars[i].fillColor = colours[i % len(colours)]
    if value_labels and not stacked and len(categories) * len(series) <= 24:
        chart.barLabelFormat = "%.0f"
        chart.barLabels.fontName = FONT
        chart.barLabels.fontSize = 6.5
        chart.barLabels.fillColor = SLATE
        chart.barLabels.nudge = 5
    d.add(chart)
    _axis_titles(d, chart.x, chart.y, chart.width, chart.height, x_title, y_title)
    _legend(d, names, colours[: len(names)], width - 4, height - 2)
    return d


def _nice_step(top: float) -> float:
    if top <= 5:
        return 1
    raw = top / 5
    magnitude: int = 10 ** (len(str(int(raw))) - 1)
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _short(value: str, n: int) -> str:
    return value if len(value) <= n else value[: n - 1] + "…"


def pyramid(
    rows: Sequence[tuple[str, str, str]],
    *,
    tiers: Sequence[str],
    width: float = CONTENT_WIDTH,
    height: float = 150,
) -> Drawing:
    """The customer pyramid: one band per tier (top = strategic), labelled on the right.

    ``rows`` are ``(tier label, main figure, detail)`` in pyramid order, top first.
    """
    d = Drawing(width, height)
    n = len(rows)
    base_w = width * 0.46
    apex_x = base_w / 2 + 6
    band_h = (height - 8) / max(n, 1)
    for i, (label_text, figure, detail) in enumerate(rows):
        top_y = height - 4 - i * band_h
        bottom_y = top_y - band_h + 3
        top_half = base_w / 2 * (i / n) + 6
        bottom_half = base_w / 2 * ((i + 1) / n)
        colour = TIER_COLOURS.get(tiers[i], NAVY)
        d.add(
            Polygon(
                [
                    apex_x - top_half,
                    top_y,
                    apex_x + top_half,
                    top_y,
                    apex_x + bottom_half,
                    bottom_y,
                    apex_x - bottom_half,
                    bottom_y,
                ],
                fillColor=colour,
                strokeColor=WHITE,
                strokeWidth=1,
            )
        )
        mid = (top_y + bottom_y) / 2
        d.add(
            String(
                apex_x,
                mid - 3,
                figure,
                fontName=FONT_BOLD,
                fontSize=8.5,
                fillColor=WHITE if i < n - 1 else NAVY,
                textAnchor="middle",
            )
        )
        lx = base_w + 26
        d.add(
            Line(
                apex_x + (top_half + bottom_half) / 2 + 4, mid, lx - 4, mid, strokeColor=RULE, strokeWidth=0.5
            )
        )
        d.add(String(lx, mid + 2, label_text, fontName=FONT_BOLD, fontSize=9, fillColor=NAVY))
        d.add(String(lx, mid - 9, detail, fontName=FONT, fontSize=7.5, fillColor=MUTED))
    return d


def share_bars(
    rows: Sequence[tuple[str, float, float]], names: tuple[str, str], *, width: float = CONTENT_WIDTH
) -> Drawing:
    """Two horizontal 100 % bars side by side per tier: share of clients vs share of fees."""
    bar_h, gap = 10, 8
    height = len(rows) * (2 * bar_h + gap) + 24
    d = Drawing(width, height)
    label_w = 90
    full = width - label_w - 40
    y = height - 20
    d.add(Rect(label_w, y + 6, 8, 6, fillColor=NAVY, strokeWidth=0, strokeColor=None))
    d.add(String(label_w + 12, y + 6, names[0], fontName=FONT, fontSize=7.5, fillColor=SLATE))
    offset = label_w + 24 + stringWidth(names[0], FONT, 7.5)
    d.add(Rect(offset, y + 6, 8, 6, fillColor=SERIES[1], strokeWidth=0, strokeColor=None))
    d.add(String(offset + 12, y + 6, names[1], fontName=FONT, fontSize=7.5, fillColor=SLATE))
    y -= 6
    for label_text, a, b in rows:
        d.add(String(0, y - bar_h - 2, label_text, fontName=FONT, fontSize=8, fillColor=SLATE))
        for j, (value, colour) in enumerate(((a, NAVY), (b, SERIES[1]))):
            yy = y - (j + 1) * bar_h
            d.add(
                Rect(
                    label_w,
                    yy,
                    full,
                    bar_h - 2,
                    fillColor=colors.HexColor("#EEF1F5"),
                    strokeWidth=0,
                    strokeColor=None,
                )
            )
            d.add(
                Rect(
                    label_w,
                    yy,
                    max(0.5, full * value),
                    bar_h - 2,
                    fillColor=colour,
                    strokeWidth=0,
                    strokeColor=None,
                )
            )
            d.add(
                String(
                    label_w + full + 4,
                    yy + 1,
                    f"{value * 100:.0f}%",
                    fontName=FONT,
                    fontSize=7.5,
                    fillColor=SLATE,
                )
            )
        y -= 2 * bar_h + gap
    return d
