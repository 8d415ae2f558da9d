"""Small charts drawn with QPainter in the app's style (the dashboard's).

Why QPainter and not QtCharts: QtCharts ships in PySide6-Addons (a second wheel of ~150 MB with
WebEngine and 3D), while the app depends on PySide6-Essentials only; the charts here are few and
simple (bars, a pyramid, a trend line with markers, a grid of counts) and must look like the rest
of the app, be clickable item by item and say what they show (``items()``) so the tests compare
them with the services. Every chart keeps a list of items ``(label, values, key)``; a click on one
emits ``activated(key)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from .. import style

SERIES = (style.ACCENT, style.BRIGHT_GREEN, style.ORANGE, style.PURPLE, style.BRIGHT_RED, style.SKY)


@dataclass(frozen=True)
class ChartItem:
    label: str
    values: tuple[float | None, ...]
    key: Any = None
    text: str | None = None  # value text shown (default: the values)
    colour: str | None = None
    #: A shorter label for an axis too narrow for ``label`` (e.g. "25Q4" for "2025-Q4").
    short: str | None = None


class Chart(QWidget):
    """Base: items, hit areas, tooltips and ``activated``."""

    activated = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._items: list[ChartItem] = []
        self._series: list[str] = []
        self._hits: list[tuple[QRectF, int]] = []
        self._empty = ""
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(150)
        self.setMinimumWidth(180)

    def set_items(self, items: Sequence[ChartItem], series: Sequence[str] = (), empty: str = "") -> None:
        self._items = list(items)
        self._series = list(series)
        self._empty = empty
        self.update()

    def items(self) -> list[ChartItem]:
        return list(self._items)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 220)

    def item_at(self, pos: QPointF) -> int | None:
        for rect, index in self._hits:
            if rect.contains(pos):
                return index
        return None

    def click_item(self, index: int) -> None:
        """Activate item ``index`` as a click on it does."""
        item = self._items[index]
        if item.key is not None:
            self.activated.emit(item.key)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        index = self.item_at(event.position())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self.click_item(index)
        super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        index = self.item_at(event.position())
        clickable = index is not None and self._items[index].key is not None
        self.setCursor(Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor)
        if index is not None:
            item = self._items[index]
            QToolTip.showText(
                event.globalPosition().toPoint(), f"{item.label}: {self._value_text(item)}", self
            )
        super().mouseMoveEvent(event)

    def _value_text(self, item: ChartItem) -> str:
        if item.text is not None:
            return item.text
        return " / ".join(
            "–" if v is None else f"{v:,.0f}" if float(v).is_integer() else f"{v:.2f}" for v in item.values
        )

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._hits = []
        if not self._items:
            p.setPen(QColor(style.TEXT_MUTED))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._empty)
            return
        self.draw(p, QRectF(self.rect()).adjusted(4, 4, -4, -4))

    def draw(self, p: QPainter, area: QRectF) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _legend(self, p: QPainter, area: QRectF) -> float:
        """Draw the series legend on top; returns its height."""
        if len(self._series) < 2:
            return 0.0
        fm = QFontMetrics(self.font())
        x = area.left()
        for i, name in enumerate(self._series):
            p.fillRect(QRectF(x, area.top() + 4, 10, 10), QColor(SERIES[i % len(SERIES)]))
            p.setPen(QColor(style.TEXT_MUTED))
            p.drawText(QPointF(x + 14, area.top() + 13), name)
            x += 24 + fm.horizontalAdvance(name)
        return fm.height() + 6


class BarChart(Chart):
    """Horizontal bars, one row per item; several values per item are bars side by side (e.g.
    planned and done), each series in its colour."""

    def draw(self, p: QPainter, area: QRectF) -> None:
        top = self._legend(p, area)
        area = area.adjusted(0, top, 0, 0)
        fm = QFontMetrics(self.font())
        label_w = min(area.width() * 0.4, max(fm.horizontalAdvance(i.label) for i in self._items) + 12)
        value_w = max(fm.horizontalAdvance(self._value_text(i)) for i in self._items) + 10
        biggest = max((v or 0) for i in self._items for v in i.values) or 1
        n = len(self._items)
        row = min(34.0, area.height() / n)
        nvals = max(len(i.values) for i in self._items)
        bar_h = max(3.0, (row - 6) / nvals)
        for index, item in enumerate(self._items):
            y = area.top() + index * row
            p.setPen(QColor(style.TEXT))
            p.drawText(
                QRectF(area.left(), y, label_w - 8, row),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                fm.elidedText(item.label, Qt.TextElideMode.ElideRight, int(label_w - 8)),
            )
            span = area.width() - label_w - value_w
            for k, value in enumerate(item.values):
                w = span * (value or 0) / biggest
                colour = item.colour if item.colour and nvals == 1 else SERIES[k % len(SERIES)]
                p.fillRect(
                    QRectF(area.left() + label_w, y + 3 + k * bar_h, max(w, 1.0), bar_h - 1), QColor(colour)
                )
            p.setPen(QColor(style.TEXT_MUTED))
            p.drawText(
                QRectF(area.right() - value_w, y, value_w, row),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                self._value_text(item),
            )
            self._hits.append((QRectF(area.left(), y, area.width(), row), index))


class PyramidChart(Chart):
    """The customer pyramid: one layer per item, the first on top, widths growing downwards
    (the shape, not the count, sets the width; the count is written in each layer)."""

    def draw(self, p: QPainter, area: QRectF) -> None:
        n = len(self._items)
        h = area.height() / n
        cx = area.center().x()
        for index, item in enumerate(self._items):
            top_w = area.width() * (index / n) * 0.6 + area.width() * 0.4
            bottom_w = area.width() * ((index + 1) / n) * 0.6 + area.width() * 0.4
            y = area.top() + index * h
            poly = QPolygonF(
                [
                    QPointF(cx - top_w / 2, y + 2),
                    QPointF(cx + top_w / 2, y + 2),
                    QPointF(cx + bottom_w / 2, y + h - 2),
                    QPointF(cx - bottom_w / 2, y + h - 2),
                ]
            )
            path = QPainterPath()
            path.addPolygon(poly)
            fg, bg = (
                style.TIER_COLOURS.get(str(item.key or ""), (style.ACCENT, style.ACCENT_SOFT))
                if item.colour is None
                else (item.colour, item.colour)
            )
            p.fillPath(path, QColor(bg))
            p.setPen(QPen(QColor(fg), 1.2))
            p.drawPath(path)
            p.setPen(QColor(fg))
            p.drawText(
                QRectF(area.left(), y, area.width(), h),
                Qt.AlignmentFlag.AlignCenter,
                f"{item.label}\n{self._value_text(item)}",
            )
            self._hits.append((poly.boundingRect(), index))


class TrendChart(Chart):
    """A trend over periods: one line per series with a marker and the value at every point, so
    that series lying on each other stay visible (markers are offset sideways per series). The
    period labels never touch each other: when the width is short, short labels or every second
    (third, …) one are shown (:meth:`axis_labels`)."""

    def set_items(self, items: Sequence[ChartItem], series: Sequence[str] = (), empty: str = "") -> None:
        self._axis: list[tuple[QRectF, str]] = []
        super().set_items(items, series, empty)

    def draw(self, p: QPainter, area: QRectF) -> None:
        top = self._legend(p, area)
        fm = QFontMetrics(self.font())
        area = area.adjusted(28, top + 6, -8, -fm.height() - 6)
        nser = max(len(i.values) for i in self._items)
        values = [v for i in self._items for v in i.values if v is not None]
        lo, hi = 1.0, 5.0
        if values:
            lo, hi = min(lo, min(values)), max(hi, max(values))
        p.setPen(QPen(QColor(style.BORDER), 1))
        for tick in range(int(lo), int(hi) + 1):
            y = area.bottom() - (tick - lo) / (hi - lo or 1) * area.height()
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            p.setPen(QColor(style.TEXT_MUTED))
            p.drawText(
                QRectF(area.left() - 28, y - 8, 24, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(tick),
            )
            p.setPen(QPen(QColor(style.BORDER), 1))
        n = len(self._items)
        step = area.width() / max(1, n)
        for s in range(nser):
            colour = QColor(SERIES[s % len(SERIES)])
            offset = (s - (nser - 1) / 2) * 4
            points: list[QPointF | None] = []
            for index, item in enumerate(self._items):
                v = item.values[s] if s < len(item.values) else None
                if v is None:
                    points.append(None)
                    continue
                points.append(
                    QPointF(
                        area.left() + step * (index + 0.5) + offset,
                        area.bottom() - (v - lo) / (hi - lo or 1) * area.height(),
                    )
                )
            p.setPen(QPen(colour, 2))
            prev = None
            for pt in points:
                if pt is not None and prev is not None:
                    p.drawLine(prev, pt)
                prev = pt if pt is not None else prev
            p.setBrush(colour)
            shown: list[QRectF] = []  # value texts drawn: one that would cover another is left out
            for index, pt in enumerate(points):
                if pt is None:
                    continue
                p.drawEllipse(pt, 3.5, 3.5)
                if nser == 1:  # the value at every point (the number of surveys is in the tooltip)
                    text = f"{self._items[index].values[0]:.2f}"
                    w = fm.horizontalAdvance(text) + 4
                    rect = QRectF(pt.x() - w / 2, pt.y() - 20, w, 14)
                    if any(rect.intersects(r) for r in shown):
                        continue
                    shown.append(rect)
                    p.setPen(QColor(style.TEXT))
                    p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
                    p.setPen(QPen(colour, 2))
        p.setBrush(Qt.BrushStyle.NoBrush)
        right = QRectF(self.rect()).right() - 2
        self._axis = self._axis_labels(fm, area.left(), right, step, area.bottom() + 4)
        p.setPen(QColor(style.TEXT_MUTED))
        for rect, text in self._axis:
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        for index in range(n):
            x = area.left() + step * index
            self._hits.append((QRectF(x, area.top(), step, area.height() + fm.height() + 4), index))

    def axis_labels(self) -> list[tuple[QRectF, str]]:
        """The labels under the axis as last drawn: ``(rectangle, text)``."""
        return list(getattr(self, "_axis", []))

    def _axis_labels(
        self, fm: QFontMetrics, left: float, right: float, step: float, y: float
    ) -> list[tuple[QRectF, str]]:
        """Where the period labels go so that none touches another: every label when they fit,
        else every short label, else every second (third, …) label from the first, short ones
        when there are, and at last the first alone, elided to the width."""
        n = len(self._items)
        gap = fm.horizontalAdvance("  ")
        full = [i.label for i in self._items]
        shorts = [i.short for i in self._items]
        short = [s for s in shorts if s is not None] if all(s is not None for s in shorts) else None

        def place(texts: list[str], stride: int) -> list[tuple[QRectF, str]] | None:
            out: list[tuple[QRectF, str]] = []
            for index in range(0, n, stride):
                w = float(fm.horizontalAdvance(texts[index]) + 2)
                x = left + step * (index + 0.5) - w / 2
                x = max(left, min(x, right - w))
                rect = QRectF(x, y, w, fm.height())
                if rect.left() < left or rect.right() > right:
                    return None
                if out and out[-1][0].right() + gap > rect.left():
                    return None
                out.append((rect, texts[index]))
            return out

        tries = [(full, 1)] + ([(short, 1)] if short else [])
        tries += [(short or full, k) for k in range(2, n + 1)]
        for texts, stride in tries:
            placed = place(texts, stride)
            if placed is not None:
                return placed
        text = fm.elidedText((short or full)[0], Qt.TextElideMode.ElideRight, int(max(0.0, right - left)))
        return [(QRectF(left, y, right - left, fm.height()), text)]


class GridChart(Chart):
    """A grid of counts: rows are items, columns the series; the darker the cell, the more.
    Each cell is clickable (key ``(item key, column)``)."""

    def draw(self, p: QPainter, area: QRectF) -> None:
        fm = QFontMetrics(self.font())
        head = fm.height() + 8
        label_w = min(area.width() * 0.35, max(fm.horizontalAdvance(i.label) for i in self._items) + 12)
        cols = len(self._series)
        cell_w = (area.width() - label_w) / max(1, cols)
        row_h = min(32.0, (area.height() - head) / len(self._items))
        biggest = max((v or 0) for i in self._items for v in i.values) or 1
        p.setPen(QColor(style.TEXT_MUTED))
        for c, name in enumerate(self._series):  # elided to its column: never into the next one
            p.drawText(
                QRectF(area.left() + label_w + c * cell_w, area.top(), cell_w, head),
                Qt.AlignmentFlag.AlignCenter,
                fm.elidedText(name, Qt.TextElideMode.ElideRight, int(max(0.0, cell_w - 4))),
            )
        self._cells: list[tuple[QRectF, int, int]] = []
        for r, item in enumerate(self._items):
            y = area.top() + head + r * row_h
            p.setPen(QColor(style.TEXT))
            p.drawText(
                QRectF(area.left(), y, label_w - 8, row_h),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                item.label,
            )
            for c, value in enumerate(item.values):
                rect = QRectF(area.left() + label_w + c * cell_w + 2, y + 2, cell_w - 4, row_h - 4)
                share = (value or 0) / biggest
                colour = QColor(style.DANGER)
                colour.setAlphaF(0.08 + 0.72 * share if value else 0.03)
                p.fillRect(rect, colour)
                p.setPen(QColor(style.WHITE if share > 0.55 else style.TEXT))
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{int(value or 0)}")
                self._cells.append((rect, r, c))
            self._hits.append((QRectF(area.left(), y, area.width(), row_h), r))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        for rect, r, c in getattr(self, "_cells", []):
            if rect.contains(event.position()) and event.button() == Qt.MouseButton.LeftButton:
                self.click_cell(r, c)
                return
        QWidget.mouseReleaseEvent(self, event)

    def click_cell(self, row: int, column: int) -> None:
        item = self._items[row]
        if item.key is not None and (item.values[column] or 0) > 0:
            self.activated.emit((item.key, column))


__all__ = ["BarChart", "Chart", "ChartItem", "GridChart", "PyramidChart", "TrendChart"]
