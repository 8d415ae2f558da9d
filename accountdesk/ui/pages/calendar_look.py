"""The look of the calendar's entries: their colours, the line that names one, the bars painted
in a day cell, and the date helpers the views share."""

from __future__ import annotations

import calendar as pycal
import datetime as dt

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from ...i18n import _, current_language
from ...services import calendar as cal
from .. import style
from ..forms.fmt import fmt_time
from ..item_models.calendar import (  # noqa: F401 - re-exported: the calendar's pages import them from here
    FIRST_HOUR,
    HOURS,
    LAST_HOUR,
    MIME_VISIT,
    entry_line,
    month_start,
    movable,
    visit_line,
    week_start,
    weekday_names,
)

STATUS_COLOURS = {
    "planned": style.ACCENT,
    "done": style.BRIGHT_GREEN,
    "cancelled": style.TEXT_FAINT,
    "missed": style.BRIGHT_RED,
}
#: The look of each kind of all-day entry (visits take their status colour).
KIND_COLOURS = {
    "visit": style.ACCENT,
    "plan": style.PURPLE,
    "task": style.ORANGE,
    "calibration": style.TEAL,
    "renewal": style.MAGENTA,
}
NEW_VISIT_FIELDS = ["kind", "channel", "planned_start", "planned_end", "location", "purpose", "owner_id"]


def entry_colour(e: cal.CalendarEntry) -> QColor:
    if e.kind == "visit":
        return QColor(STATUS_COLOURS.get(e.status or "", style.ACCENT))
    if e.kind == "plan" and e.status == "overdue":
        return QColor(STATUS_COLOURS["missed"])
    return QColor(KIND_COLOURS.get(e.kind, style.TEXT_MUTED))


def month_title(day: dt.date) -> str:
    if current_language() == "zh_CN":
        return f"{day.year}年{day.month}月"
    return f"{pycal.month_name[day.month]} {day.year}"


def paint_entries(
    painter: QPainter,
    rect: QRect,
    y: int,
    entries: list[cal.CalendarEntry],
    font: QFont,
    *,
    with_time: bool = True,
) -> None:
    """One bar per entry from ``y`` down ("+N more" when they do not fit). Visits: a tinted bar
    with a stripe in their status colour; cadence plans: a dashed outline; tasks, calibrations and
    renewals: filled in their colour."""
    small = QFont(font)
    small.setPointSizeF(max(font.pointSizeF() - 1, 7))
    painter.setFont(small)
    sfm = painter.fontMetrics()
    line_h = sfm.height() + 3
    room = max((rect.bottom() - y - 2) // line_h, 0)
    shown = entries if len(entries) <= room else entries[: max(room - 1, 0)]
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    for e in shown:
        colour = entry_colour(e)
        bar = QRectF(rect.left() + 4, y, rect.width() - 8, line_h - 1)
        text_colour = QColor(style.TEXT_SECONDARY)
        if e.kind == "visit":
            bg = QColor(colour)
            bg.setAlpha(28)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bg)
            painter.drawRoundedRect(bar, 3, 3)
            painter.setBrush(colour)
            painter.drawRoundedRect(QRectF(bar.left(), bar.top(), 3, bar.height()), 1.5, 1.5)
            if e.status == "cancelled":
                text_colour = QColor(style.TEXT_FAINT)
        elif e.kind == "plan":
            pen = QPen(colour)
            pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(QColor(style.WHITE))
            painter.drawRoundedRect(bar.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
            text_colour = colour.darker(130)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(bar, 3, 3)
            text_colour = QColor(style.WHITE)
        painter.setPen(text_colour)
        words = (
            f"{fmt_time(e.start)} {e.client_name}"
            if (e.start is not None and with_time)
            else f"{e.client_name} · {e.title}"
        )
        text = sfm.elidedText(words, Qt.TextElideMode.ElideRight, int(bar.width()) - 10)
        painter.drawText(
            bar.adjusted(7, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text
        )
        y += line_h
    if len(shown) < len(entries):
        painter.setPen(QColor(style.TEXT_MUTED))
        painter.drawText(
            QRect(rect.left() + 7, y, rect.width() - 10, line_h),
            Qt.AlignmentFlag.AlignVCenter,
            _("+{n} more").format(n=len(entries) - len(shown)),
        )
