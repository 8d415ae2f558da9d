"""Charts drawn with ReportLab graphics: labelled axes, a legend, the report palette and font."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from .fonts import FONT, FONT_BOLD
from .styles import CONTENT_WIDTH, MUTED, NAVY, RULE, SERIES, SLATE, TIER_COLOURS, WHITE


def _axis_titles(d: Drawing, x: float, y: float, w: float, h: float, x_title: str, y_title: str) -> None:
    if x_title:
        d.add(String(x + w / 2, 2, x_title, fontName=FONT, fontSize=7.5, fillColor=MUTED, textAnchor="middle"))
    if y_title:
        s = String(0, 0, y_title, fontName=FONT, fontSize=7.5, fillColor=MUTED, textAnchor="middle")
        from reportlab.graphics.shapes import Group

        g = Group(s)
        g.translate(8, y + h / 2)
        g.rotate(90)
        d.add(g)


def _legend(d: Drawing, names: Sequence[str], colours: Sequence, x: float, y: float) -> None:
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


def _style_axes(chart, y_title_room: bool = True) -> None:
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
    """A line chart over categories (e.g. survey dates or quarters); the first series is the lead."""
    d = Drawing(width, height)
    legend_h = 16 if len(names) > 1 else 0
    chart = HorizontalLineChart()
    chart.x, chart.y = 40, 34
    chart.width, chart.height = width - 52, height - 46 - legend_h
    chart.data = [tuple(v if v is not None else None for v in s) for s in series]
    chart.categoryAxis.categoryNames = list(categories)
    chart.categoryAxis.labels.angle = 30 if len(categories) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 8 else "n"
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = value_min, value_max, step
    chart.valueAxis.labelTextFormat = "%.0f" if step >= 1 else "%.1f"
    _style_axes(chart)
    chart.joinedLines = 1
    for i in range(len(series)):
        colour = SERIES[i % len(SERIES)]
        chart.lines[i].strokeColor = colour
        chart.lines[i].strokeWidth = 2.2 if i == 0 else 0.9
        chart.lines[i].symbol = makeMarker("FilledCircle", size=4 if i == 0 else 2.5, fillColor=colour, strokeColor=colour)
    if len(series) == 1 and len(categories) <= 12:
        chart.lineLabelFormat = lambda v: "" if v is None else f"{v:.1f}"
        chart.lineLabels.fontName = FONT
        chart.lineLabels.fontSize = 7
        chart.lineLabels.fillColor = NAVY
        chart.lineLabels.dy = 6
    d.add(chart)
    _axis_titles(d, chart.x, chart.y, chart.width, chart.height, x_title, y_title)
    _legend(d, names, [SERIES[i % len(SERIES)] for i in range(len(names))], width - 4, height - 2)
    return d


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Sequence[float]],
    names: Sequence[str],
    *,
    x_title: str,
    y_title: str,
    stacked: bool = False,
    colours: Sequence | None = None,
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
    top = max((sum(col) if stacked else max(col)) for col in zip(*chart.data, strict=False)) if categories else 0
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
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def _short(value: str, n: int) -> str:
    return value if len(value) <= n else value[: n - 1] + "…"


def pyramid(rows: Sequence[tuple[str, str, str]], *, tiers: Sequence[str], width: float = CONTENT_WIDTH, height: float = 150) -> Drawing:
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
                [apex_x - top_half, top_y, apex_x + top_half, top_y, apex_x + bottom_half, bottom_y, apex_x - bottom_half, bottom_y],
                fillColor=colour, strokeColor=WHITE, strokeWidth=1,
            )
        )
        mid = (top_y + bottom_y) / 2
        d.add(String(apex_x, mid - 3, figure, fontName=FONT_BOLD, fontSize=8.5, fillColor=WHITE if i < n - 1 else NAVY, textAnchor="middle"))
        lx = base_w + 26
        d.add(Line(apex_x + (top_half + bottom_half) / 2 + 4, mid, lx - 4, mid, strokeColor=RULE, strokeWidth=0.5))
        d.add(String(lx, mid + 2, label_text, fontName=FONT_BOLD, fontSize=9, fillColor=NAVY))
        d.add(String(lx, mid - 9, detail, fontName=FONT, fontSize=7.5, fillColor=MUTED))
    return d


def share_bars(rows: Sequence[tuple[str, float, float]], names: tuple[str, str], *, width: float = CONTENT_WIDTH) -> Drawing:
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
            d.add(Rect(label_w, yy, full, bar_h - 2, fillColor=colors.HexColor("#EEF1F5"), strokeWidth=0, strokeColor=None))
            d.add(Rect(label_w, yy, max(0.5, full * value), bar_h - 2, fillColor=colour, strokeWidth=0, strokeColor=None))
            d.add(String(label_w + full + 4, yy + 1, f"{value * 100:.0f}%", fontName=FONT, fontSize=7.5, fillColor=SLATE))
        y -= 2 * bar_h + gap
    return d
