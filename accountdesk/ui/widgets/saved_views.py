"""Saved views above a list: pick one of your views (filters, columns, sort), save the current
one under a name, delete one. Views are synced with your profile
(:mod:`accountdesk.services.saved_views`); the list says what its state is (``get_state``) and
how to show one (``apply_state``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QInputDialog, QPushButton, QWidget

from ...i18n import _


class SavedViewsBar(QWidget):
    #: The views were (re)loaded.
    loaded = Signal()
    #: A view was applied: its name.
    applied = Signal(str)

    def __init__(
        self,
        list_name: str,
        ctx,
        tasks,
        get_state: Callable[[], dict[str, Any]],
        apply_state: Callable[[dict[str, Any]], None],
        parent=None,
    ):
        super().__init__(parent)
        self.list_name = list_name
        self._ctx = ctx
        self._tasks = tasks
        self._get_state = get_state
        self._apply_state = apply_state
        self.views: list = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(8)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.combo.activated.connect(self._chosen)
        self.save_button = QPushButton()
        self.save_button.clicked.connect(self.ask_save)
        self.delete_button = QPushButton()
        self.delete_button.clicked.connect(self.delete_current)
        layout.addWidget(self.combo)
        layout.addWidget(self.save_button)
        layout.addWidget(self.delete_button)
        self.retranslate()

    def retranslate(self) -> None:
        self.save_button.setText(_("Save view…"))
        self.save_button.setToolTip(
            _("Save the filters, columns and sort as a view (synced to your other computers)")
        )
        self.delete_button.setText(_("Delete view"))
        self._fill()

    def reload(self) -> None:
        from ...services import saved_views

        ctx, name = self._ctx, self.list_name
        self._tasks.run_db(
            lambda: saved_views.list_views(ctx, name),
            on_result=self._arrived,
            on_error=lambda exc: None,
            name="saved-views",
        )

    def _arrived(self, views) -> None:
        self.views = list(views)
        self._fill()
        self.loaded.emit()

    def _fill(self) -> None:
        current = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(_("Views…"), None)
        for view in self.views:
            self.combo.addItem(view.name, view.id)
        self.combo.setCurrentIndex(max(0, self.combo.findData(current)))
        self.combo.blockSignals(False)
        self.delete_button.setEnabled(self.combo.currentData() is not None)

    def _chosen(self, index: int) -> None:
        view_id = self.combo.itemData(index)
        self.delete_button.setEnabled(view_id is not None)
        if view_id is not None:
            self.apply_view(next(v for v in self.views if v.id == view_id))

    def apply_view(self, view) -> None:
        self._apply_state({"filters": view.filters, "columns": view.columns, "sort": view.sort})
        self.combo.setCurrentIndex(max(0, self.combo.findData(view.id)))
        self.applied.emit(view.name)

    def ask_save(self) -> None:
        current = self.combo.currentText() if self.combo.currentData() is not None else ""
        name, ok = QInputDialog.getText(self, _("Save view"), _("Name of the view:"), text=current)
        if ok and name.strip():
            self.save(name.strip())

    def save(self, name: str) -> None:
        from ...services import saved_views

        state = self._get_state()
        ctx, list_name = self._ctx, self.list_name

        def work():
            saved_views.save_view(
                ctx,
                list_name,
                name,
                filters=state.get("filters"),
                columns=state.get("columns"),
                sort=state.get("sort"),
            )
            return saved_views.list_views(ctx, list_name)

        self._tasks.run_db(work, on_result=self._arrived, on_error=lambda exc: None, name="save-view")

    def delete_current(self) -> None:
        from ...services import saved_views

        view_id = self.combo.currentData()
        if view_id is None:
            return
        ctx, list_name = self._ctx, self.list_name

        def work():
            saved_views.delete_view(ctx, view_id)
            return saved_views.list_views(ctx, list_name)

        self.combo.setCurrentIndex(0)
        self._tasks.run_db(work, on_result=self._arrived, on_error=lambda exc: None, name="delete-view")


__all__ = ["SavedViewsBar"]
