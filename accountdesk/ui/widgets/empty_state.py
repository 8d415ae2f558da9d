"""An empty state that says what is (not) here and what to do about it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from .. import icons, style


class EmptyState(QWidget):
    action_triggered = Signal()

    def __init__(
        self,
        title: str,
        text: str = "",
        *,
        icon: str = "empty",
        action: str | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 48, 32, 48)
        layout.setSpacing(10)
        layout.addStretch(1)
        self.icon_label = QLabel()
        self.icon_label.setPixmap(icons.pixmap(icon, 56, style.TEXT_FAINT, self.devicePixelRatioF()))
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.icon_label)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("EmptyTitle")
        self.title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label.setWordWrap(True)
        layout.addWidget(self.title_label)
        self.text_label = QLabel(text)
        self.text_label.setObjectName("EmptyText")
        self.text_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text_label.setWordWrap(True)
        self.text_label.setVisible(bool(text))
        layout.addWidget(self.text_label)
        self.button = QPushButton(action or "")
        self.button.setObjectName("Primary")
        self.button.setVisible(bool(action))
        self.button.clicked.connect(self.action_triggered)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def set_text(self, title: str, text: str = "") -> None:
        self.title_label.setText(title)
        self.text_label.setText(text)
        self.text_label.setVisible(bool(text))
