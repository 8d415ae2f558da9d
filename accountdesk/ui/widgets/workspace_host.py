"""The main window's host of the client workspace, with a way back to where the user came from."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QToolButton, QVBoxLayout, QWidget


class WorkspaceHost(QWidget):
    """The client workspace with a way back to where the user came from."""

    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        bar = QHBoxLayout()
        bar.setContentsMargins(16, 8, 16, 0)
        self.back_button = QToolButton()
        self.back_button.setObjectName("Link")
        self.back_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.back_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.back_button.clicked.connect(self.back_requested)
        bar.addWidget(self.back_button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.body = QStackedWidget()
        layout.addWidget(self.body, 1)
        self.widget: QWidget | None = None
        self.client_id: str | None = None

    def set_back_text(self, text: str) -> None:
        self.back_button.setText("‹  " + text)

    def set_widget(self, widget: QWidget, client_id: str) -> None:
        if self.widget is not None:
            cancel = getattr(self.widget, "cancel_reads", None)
            if cancel is not None:  # a client's workspace: its reads under way must not land
                cancel()
            self.body.removeWidget(self.widget)
            self.widget.deleteLater()
        self.widget = widget
        self.client_id = client_id
        self.body.addWidget(widget)
        self.body.setCurrentWidget(widget)
