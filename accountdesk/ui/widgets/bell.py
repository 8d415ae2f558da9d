"""The bell: a button with the number of unread alerts and, on click, their history in a popup
(newest first, unread in bold); clicking an alert opens its client on the record's tab."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from .. import icons, style

if TYPE_CHECKING:
    from ...services.alerts import AlertView
    from ..settings import Settings


class AlertHistory(QFrame):
    """The popup list of alerts."""

    alert_clicked = Signal(object)  # services.alerts.AlertView
    mark_all_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("AlertHistory")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumSize(360, 320)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        head = QHBoxLayout()
        self.heading = QLabel()
        self.heading.setObjectName("SectionTitle")
        head.addWidget(self.heading, 1)
        self.mark_all = QPushButton()
        self.mark_all.setObjectName("Link")
        self.mark_all.clicked.connect(self.mark_all_requested)
        head.addWidget(self.mark_all)
        layout.addLayout(head)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setSpacing(4)
        self.list.setAlternatingRowColors(True)
        self.list.itemActivated.connect(self._clicked)
        self.list.itemClicked.connect(self._clicked)
        layout.addWidget(self.list, 1)
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty, 1)
        self.alerts: list[AlertView] = []
        self.retranslate()

    def retranslate(self) -> None:
        self.heading.setText(_("Alerts"))
        self.mark_all.setText(_("Mark all read"))
        self.empty.setText(_("No alerts yet."))

    def set_alerts(self, alerts: list[AlertView]) -> None:
        self.alerts = list(alerts)
        self.list.clear()
        for alert in self.alerts:
            when = alert.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
            mark = "" if alert.read else "● "
            item = QListWidgetItem(f"{mark}{alert.title}\n{alert.text}\n{when}")
            item.setData(Qt.ItemDataRole.UserRole, alert.key)
            if not alert.read:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
        self.list.setVisible(bool(self.alerts))
        self.empty.setVisible(not self.alerts)
        self.mark_all.setEnabled(any(not a.read for a in self.alerts))

    def titles(self) -> list[str]:
        """What the history shows, one line per alert (tests and accessibility checks)."""
        return [self.list.item(i).text().split("\n")[0].removeprefix("● ") for i in range(self.list.count())]

    def _clicked(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        alert = next((a for a in self.alerts if a.key == key), None)
        if alert is not None:
            self.hide()
            self.alert_clicked.emit(alert)


class BellButton(QToolButton):
    """The bell with the unread count; ``clicked`` opens the history (the window wires it)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("Bell")
        self.setIcon(icons.icon("bell", style.TEXT_MUTED))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setAutoRaise(True)
        self.unread = 0
        self.popup = AlertHistory(self)
        self.retranslate()

    def retranslate(self) -> None:
        self.popup.retranslate()
        self.set_unread(self.unread)

    def set_unread(self, count: int) -> None:
        self.unread = count
        self.setIcon(icons.icon("bell", style.ACCENT if count else style.TEXT_MUTED))
        self.setText(str(count) if count else "")
        self.setToolTip(_("{n} unread alerts").format(n=count) if count else _("Alerts: nothing unread"))
        self.setAccessibleName(self.toolTip())

    def show_history(self, alerts: list[AlertView]) -> None:
        self.popup.set_alerts(alerts)
        self.popup.adjustSize()
        self.popup.move(self.mapToGlobal(QPoint(0, self.height())))
        self.popup.show()


#: Choices of the visit reminder, in minutes before the visit (-1: no reminder).
REMINDER_MINUTES = (15, 30, 60, 120, 24 * 60, -1)


class AlertSettings(QGroupBox):
    """Settings → Alerts: how long before a planned visit its reminder comes."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        form = QFormLayout(self)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(12)
        self.reminder_label = QLabel()
        self.reminder_combo = QComboBox()
        current = int(settings.get("visit_reminder_min"))
        for minutes in REMINDER_MINUTES if current in REMINDER_MINUTES else (*REMINDER_MINUTES, current):
            self.reminder_combo.addItem("", minutes)
        self.reminder_combo.setCurrentIndex(self.reminder_combo.findData(current))
        self.reminder_combo.currentIndexChanged.connect(
            lambda _i: self._settings.set("visit_reminder_min", int(self.reminder_combo.currentData()))
        )
        form.addRow(self.reminder_label, self.reminder_combo)
        self.retranslate()

    def retranslate(self) -> None:
        self.setTitle(_("Alerts"))
        self.reminder_label.setText(_("Visit reminder"))
        for i in range(self.reminder_combo.count()):
            minutes = int(self.reminder_combo.itemData(i))
            if minutes < 0:
                text = _("No reminder")
            elif minutes % 60 == 0:
                text = _("{n} h before the visit").format(n=minutes // 60)
            else:
                text = _("{n} min before the visit").format(n=minutes)
            self.reminder_combo.setItemText(i, text)
