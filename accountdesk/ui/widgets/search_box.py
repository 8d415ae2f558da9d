"""A search field that reports what was typed once the user pauses (debounced)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QLineEdit

from .. import icons, style

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

DEBOUNCE_MS = 150


class SearchBox(QLineEdit):
    #: The text, ``DEBOUNCE_MS`` after the last keystroke (immediately on Enter or clear).
    search_changed = Signal(str)

    def __init__(
        self, placeholder: str = "", parent: QWidget | None = None, *, debounce_ms: int = DEBOUNCE_MS
    ):
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.addAction(icons.icon("search", style.TEXT_MUTED), QLineEdit.ActionPosition.LeadingPosition)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._emit)
        self._last: str | None = None
        self.textChanged.connect(self._on_text)
        self.returnPressed.connect(self._emit)

    def _on_text(self, text: str) -> None:
        if not text:
            self._emit()
        else:
            self._timer.start()

    def _emit(self) -> None:
        self._timer.stop()
        text = self.text().strip()
        if text != self._last:
            self._last = text
            self.search_changed.emit(text)
