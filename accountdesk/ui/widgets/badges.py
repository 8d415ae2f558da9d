"""Badges: small rounded labels (tier, status, risk, health) painted by a delegate, so that a
10,000-row table never creates a widget per cell."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ..item_models.roles import BADGE_ROLE

PAD_X = 7
GAP = 4
HEIGHT = 20


def badge_width(fm: QFontMetrics, text: str) -> int:
    return fm.horizontalAdvance(text) + 2 * PAD_X


def paint_badges(painter: QPainter, rect: QRect, badges: list[tuple[str, str, str]], font) -> None:
    """Draw badges left to right inside ``rect`` (vertically centred); clip what does not fit."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(font)
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
        painter.setBrush(QColor(bg))
        painter.drawRoundedRect(box, height / 2, height / 2)
        painter.setPen(QColor(fg))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        x += width + GAP
    painter.restore()


class BadgeDelegate(QStyledItemDelegate):
    """Paints ``BADGE_ROLE`` (a list of ``(text, fg, bg)``) when the model gives one; otherwise
    behaves like the default delegate."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        badges = index.data(BADGE_ROLE)
        if badges is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        if badges:
            small = QFont(opt.font)
            small.setPointSizeF(max(8.0, opt.font.pointSizeF() * 0.9))
            paint_badges(painter, opt.rect, badges, small)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        badges = index.data(BADGE_ROLE)
        size = super().sizeHint(option, index)
        if badges:
            fm = QFontMetrics(option.font)
            width = sum(badge_width(fm, t) + GAP for t, _fg, _bg in badges) + 12
            size.setWidth(max(size.width(), width))
        return size
