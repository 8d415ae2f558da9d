"""Badges: small rounded labels (tier, status, risk, health) painted by a delegate, so that a
10,000-row table never creates a widget per cell."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ..item_models.roles import BADGE_ROLE

PAD_X = 7
GAP = 4
HEIGHT = 20


def badge_width(fm: QFontMetrics, text: str) -> int:
    return fm.horizontalAdvance(text) + 2 * PAD_X


_COLOURS: dict[str, QColor] = {}


def colour(name: str) -> QColor:
    """One ``QColor`` per colour name (a badge paint needs two per badge)."""
    value = _COLOURS.get(name)
    if value is None:
        value = _COLOURS[name] = QColor(name)
    return value


def paint_badges(
    painter: QPainter,
    rect: QRect,
    badges: list[tuple[str, str, str]],
    font: QFont,
    fm: QFontMetrics | None = None,
) -> None:
    """Draw badges left to right inside ``rect`` (vertically centred); clip what does not fit.
    ``fm``: the metrics of ``font``, when the caller keeps them."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(font)
    if fm is None:
        fm = QFontMetrics(font)
    height = min(HEIGHT, rect.height() - 4)
    x = rect.left() + 6
    y = rect.top() + (rect.height() - height) // 2
    painter.setClipRect(rect)
    for text, fg, bg in badges:
        width = badge_width(fm, text)
        room = rect.right() - 4 - x
        if width > room:
            if x > rect.left() + 6 or room < 2 * PAD_X + fm.horizontalAdvance("…") + 4:
                break  # the following badges do not fit; the tooltip lists them all
            text = fm.elidedText(text, Qt.TextElideMode.ElideRight, room - 2 * PAD_X)
            width = badge_width(fm, text)
        box = QRectF(x, y, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour(bg))
        painter.drawRoundedRect(box, height / 2, height / 2)
        painter.setPen(colour(fg))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        x += width + GAP
    painter.restore()


class BadgeDelegate(QStyledItemDelegate):
    """Paints ``BADGE_ROLE`` (a list of ``(text, fg, bg)``) when the model gives one; otherwise
    behaves like the default delegate.

    A badge cell is painted from the view's own option (its state, alternate row, selection), not
    from ``initStyleOption``, which asks the model for a dozen roles per cell; the cell has no text,
    icon or check box of its own. The small font and its metrics are made once per view font."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._font: QFont | None = None
        self._small: QFont | None = None
        self._small_fm: QFontMetrics | None = None

    def _small_font(self, font: QFont) -> tuple[QFont, QFontMetrics]:
        if self._small is None or self._small_fm is None or self._font != font:
            small = QFont(font)
            small.setPointSizeF(max(8.0, font.pointSizeF() * 0.9))
            self._font, self._small, self._small_fm = QFont(font), small, QFontMetrics(small)
        return self._small, self._small_fm

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        badges = index.data(BADGE_ROLE)
        if badges is None:
            super().paint(painter, option, index)
            return
        widget = option.widget
        if widget is not None:
            widget.style().drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        if badges:
            small, fm = self._small_font(option.font)
            paint_badges(painter, option.rect, badges, small, fm)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        badges = index.data(BADGE_ROLE)
        size = super().sizeHint(option, index)
        if badges:
            fm = QFontMetrics(option.font)
            width = sum(badge_width(fm, t) + GAP for t, _fg, _bg in badges) + 12
            size.setWidth(max(size.width(), width))
        return size
