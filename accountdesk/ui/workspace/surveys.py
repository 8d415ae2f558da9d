"""Satisfaction surveys: the scores table and a trend chart drawn with QPainter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

from ...i18n import _
from ...models import SCORE_FIELDS
from ...services import records
from .. import style
from ..forms.fmt import fmt_date
from ..item_models.columns import Column
from ..style import AMBER, GREEN, RED
from .base import Tab, split
from .common import section_title

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ..forms import Lookups

SERIES_COLOURS = {
    "score_overall": style.ACCENT,
    "score_service_quality": style.BRIGHT_GREEN,
    "score_responsiveness": style.ORANGE,
    "score_professionalism": style.PURPLE,
    "score_relationship": style.PINK,
}


#: Per series: its dash pattern and marker shape, so that coinciding series stay apart.
SERIES_STYLES = {
    "score_overall": (Qt.PenStyle.SolidLine, "circle"),
    "score_service_quality": (Qt.PenStyle.DashLine, "square"),
    "score_responsiveness": (Qt.PenStyle.DotLine, "diamond"),
    "score_professionalism": (Qt.PenStyle.DashDotLine, "triangle"),
    "score_relationship": (Qt.PenStyle.DashDotDotLine, "cross"),
}


def series_offsets(n: int, spacing: float) -> list[tuple[float, float]]:
    """Small (dx, dy) shifts in pixels for ``n`` series (as the printed chart does): a few pixels
    sideways and at most ±3 up or down, a twentieth of a score."""
    if n <= 1:
        return [(0.0, 0.0)] * n
    step_x = min(7.0, spacing * 0.24 / (n - 1))
    step_y = min(1.5, 6.0 / (n - 1))
    mid = (n - 1) / 2
    return [((i - mid) * step_x, (mid - i) * step_y) for i in range(n)]


def draw_marker(p: QPainter, shape: str, at: QPointF, r: float, colour: QColor) -> None:
    """A filled marker (white edge) of ``shape`` with radius ``r``."""
    p.setPen(QPen(QColor(style.WHITE), 1.0))
    p.setBrush(colour)
    x, y = at.x(), at.y()
    if shape == "square":
        p.drawRect(QRectF(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7))
    elif shape == "diamond":
        p.drawPolygon(
            QPolygonF(
                [
                    QPointF(x, y - r * 1.2),
                    QPointF(x + r * 1.2, y),
                    QPointF(x, y + r * 1.2),
                    QPointF(x - r * 1.2, y),
                ]
            )
        )
    elif shape == "triangle":
        p.drawPolygon(
            QPolygonF(
                [
                    QPointF(x, y - r * 1.2),
                    QPointF(x + r * 1.1, y + r * 0.8),
                    QPointF(x - r * 1.1, y + r * 0.8),
                ]
            )
        )
    elif shape == "cross":
        p.setPen(QPen(colour, max(2.0, r * 0.7)))
        p.drawLine(QPointF(x - r, y - r), QPointF(x + r, y + r))
        p.drawLine(QPointF(x - r, y + r), QPointF(x + r, y - r))
    else:
        p.drawEllipse(at, r, r)


def score_titles() -> dict[str, str]:
    return {
        "score_service_quality": _("Service quality"),
        "score_responsiveness": _("Responsiveness"),
        "score_professionalism": _("Professionalism"),
        "score_relationship": _("Relationship"),
        "score_overall": _("Overall"),
    }


class TrendChart(QWidget):
    """Scores (1–5) over time, one line per dimension; the overall score drawn thicker."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("survey_trend")
        self.surveys: list[dict[str, Any]] = []
        self.setMinimumHeight(180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(600, 240)

    def set_surveys(self, surveys: list[dict[str, Any]]) -> None:
        self.surveys = sorted(surveys, key=lambda s: s["conducted_on"])
        self.update()

    def series(self) -> dict[str, list[tuple[dt.date, int]]]:
        out: dict[str, list[tuple[dt.date, int]]] = {}
        for field in SCORE_FIELDS:
            points = [(s["conducted_on"], s[field]) for s in self.surveys if s.get(field) is not None]
            if points:
                out[field] = points
        return out

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(style.WHITE))
        series = self.series()
        fm = p.fontMetrics()
        left, top, right, bottom = 34, 12, 150, 28
        plot = QRectF(left, top, max(self.width() - left - right, 10), max(self.height() - top - bottom, 10))
        # grid and y labels 1..5
        p.setPen(QPen(QColor(style.GRID_LINE), 1))
        for score in range(1, 6):
            y = plot.bottom() - (score - 1) / 4 * plot.height()
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(QColor(style.TEXT_MUTED))
            p.drawText(
                QRectF(0, y - 8, left - 8, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(score),
            )
            p.setPen(QPen(QColor(style.GRID_LINE), 1))
        if not series:
            p.setPen(QColor(style.TEXT_MUTED))
            p.drawText(
                plot,
                Qt.AlignmentFlag.AlignCenter,
                _("No surveys yet. A satisfaction survey at least every six months shows the trend here."),
            )
            p.end()
            return
        dates = sorted({d for pts in series.values() for d, _s in pts})
        first, last = dates[0], dates[-1]
        span = max((last - first).days, 1)

        def x_of(d: dt.date) -> float:
            if first == last:
                return plot.center().x()
            return plot.left() + (d - first).days / span * plot.width()

        # x labels: first, last and up to 4 between
        p.setPen(QColor(style.TEXT_MUTED))
        shown = dates if len(dates) <= 6 else [dates[round(i * (len(dates) - 1) / 5)] for i in range(6)]
        for d in shown:
            text = fmt_date(d)
            w = fm.horizontalAdvance(text)
            x = min(max(x_of(d) - w / 2, plot.left() - 10), plot.right() - w + 10)
            p.drawText(QRectF(x, plot.bottom() + 6, w + 2, 18), Qt.AlignmentFlag.AlignLeft, text)
        titles = score_titles()
        ly = top
        fields = list(series)
        offsets = series_offsets(len(fields), plot.width() / max(len(dates), 1))
        # the lead line (overall) last, on top; each series its own dash and marker, shifted a
        # little so that series with the same scores stay visible
        order = sorted(range(len(fields)), key=lambda k: fields[k] == "score_overall")
        for k in order:
            field = fields[k]
            points = series[field]
            dx, dy = offsets[k]
            colour = QColor(SERIES_COLOURS[field])
            width = 2.4 if field == "score_overall" else 1.6
            look = SERIES_STYLES.get(field, (Qt.PenStyle.SolidLine, "circle"))
            path = QPainterPath()
            for i, (d, s) in enumerate(points):
                pt = QPointF(x_of(d) + dx, plot.bottom() - (s - 1) / 4 * plot.height() + dy)
                if i == 0:
                    path.moveTo(pt)
                else:
                    path.lineTo(pt)
            p.setPen(QPen(colour, width, look[0]))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
            for d, s in points:
                draw_marker(
                    p,
                    look[1],
                    QPointF(x_of(d) + dx, plot.bottom() - (s - 1) / 4 * plot.height() + dy),
                    width + 2.5,
                    colour,
                )
        for field in fields:
            colour = QColor(SERIES_COLOURS[field])
            look = SERIES_STYLES.get(field, (Qt.PenStyle.SolidLine, "circle"))
            # legend: the line in its dash with its marker
            p.setPen(QPen(colour, 2.0, look[0]))
            p.drawLine(QPointF(self.width() - right + 10, ly + 8), QPointF(self.width() - right + 32, ly + 8))
            draw_marker(p, look[1], QPointF(self.width() - right + 21, ly + 8), 4.0, colour)
            p.setPen(QColor(style.TEXT_SECONDARY))
            p.drawText(
                QRectF(self.width() - right + 36, ly, right - 38, 16),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(titles[field], Qt.TextElideMode.ElideRight, right - 40),
            )
            ly += 20
        p.end()


def _score_color(value: int | None) -> str | None:
    if value is None:
        return None
    return RED if value <= 2 else AMBER if value == 3 else GREEN


def _score_color_of(field: str) -> Callable[[dict[str, Any]], str | None]:
    """The colour of a row's score ``field``."""
    return lambda r: _score_color(r.get(field))


class SurveysTab(Tab):
    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)
        titles = score_titles()
        cols = [
            Column(
                "conducted_on",
                _("Conducted on"),
                lambda r: fmt_date(r.get("conducted_on")),
                sort=lambda r: r["conducted_on"],
                width=110,
            ),
            Column(
                "respondent",
                _("Respondent"),
                lambda r: (
                    r.get("respondent")
                    or lookups.ref_label("contact", r.get("respondent_contact_id")).split(" · ")[0]
                ),
                width=110,
            ),
        ]
        for field in (
            "score_overall",
            "score_service_quality",
            "score_responsiveness",
            "score_professionalism",
            "score_relationship",
        ):
            cols.append(
                Column(
                    field,
                    titles[field],
                    width=90,
                    align_right=True,
                    color=_score_color_of(field),
                )
            )
        cols.append(Column("comments", _("Comments"), lambda r: (r.get("comments") or "").replace("\n", " ")))
        self.surveys = self.panel(
            "survey",
            cols,
            title=_("Satisfaction surveys"),
            empty=_("No surveys yet. Survey the client at least every six months."),
            load=lambda: records.list_records(
                ctx, "survey", client_id, order_by="conducted_on", descending=True
            ),
            defaults=lambda: {"conducted_on": ctx.today()},
            new_label=_("New survey"),
            describe=lambda r: fmt_date(r.get("conducted_on")),
        )
        self.chart = TrendChart(self)
        holder = QWidget(self)
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(section_title(_("Trend"), holder))
        box.addWidget(self.chart, 1)
        self.layout_.addWidget(split(self.surveys, holder, sizes=[280, 300]))
        self.surveys.loaded.connect(lambda: self.chart.set_surveys(self.surveys.model.rows))
