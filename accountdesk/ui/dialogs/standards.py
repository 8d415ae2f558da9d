"""Service standards on screen: the offer to apply a tier's standard after a tier change, and the
supervisor's editor of every tier's standard (:mod:`accountdesk.services.standards`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
)

from ...domain.standards import STANDARD_KINDS, TIERS
from ...i18n import _
from ...labels import label
from ...models.enums import Tier, VisitKind
from .. import style
from ..lane_reads import LaneReads, error_text

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext
    from ...services.standards import StandardChange
    from ..tasks import TaskManager


def describe_change(change: StandardChange) -> str:
    kind = label(VisitKind, change.kind)
    if change.action == "add":
        return _("Add: {kind} every {n} months").format(kind=kind, n=change.every_months)
    if change.action == "change":
        return _("Change: {kind} every {old} → {n} months").format(
            kind=kind, old=change.old_months, n=change.every_months
        )
    if change.action == "retire":
        return _("Stop: {kind} (not in this tier's standard)").format(kind=kind)
    return _("Keep as set by hand: {kind} every {n} months").format(kind=kind, n=change.every_months)


class ApplyStandardDialog(QDialog):
    """ "The client is now a key client: apply the key clients' service standard?" with what
    would change; plans set by hand are listed as kept."""

    def __init__(
        self,
        ctx: AppContext,
        client_id: str,
        tier: str,
        changes: Iterable[StandardChange],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.client_id = client_id
        self.changes = list(changes)
        self.applied: list[StandardChange] = []
        self.setWindowTitle(_("Apply the service standard"))
        layout = QVBoxLayout(self)
        head = QLabel(
            _(
                "This client is now a {tier}. Apply the service standard of that tier to its visit plans?"
            ).format(tier=label(Tier, tier))
        )
        head.setWordWrap(True)
        layout.addWidget(head)
        self.lines = QLabel("\n".join("• " + describe_change(c) for c in self.changes))
        self.lines.setWordWrap(True)
        layout.addWidget(self.lines)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Apply the standard"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Not now"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def accept(self) -> None:
        from ...services.standards import apply_standard

        self.applied = apply_standard(self._ctx, self.client_id)
        super().accept()


class StandardsDialog(QDialog):
    """Every tier's standard as a grid: a row per kind of visit, a column per tier; tick the
    cadences of a tier and set their interval in months. Supervisors and admins only."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, tasks: TaskManager | None = None):
        """Given ``tasks``, the standards are read on the database lane (the grid is disabled
        until they have landed)."""
        super().__init__(parent)
        from ...services.standards import standards

        self._ctx = ctx
        self._current: dict[str, dict[str, int]] = {}
        self.setWindowTitle(_("Service standards per tier"))
        layout = QVBoxLayout(self)
        hint = QLabel(
            _(
                "Which visit cadences every client of a tier gets. A new client gets its tier's standard; "
                "after a tier change it is offered. Plans set by hand on a client are kept. Intervals in months."
            )
        )
        hint.setWordWrap(True)
        hint.setObjectName("Hint")
        layout.addWidget(hint)
        grid = QGridLayout()
        self.cells: dict[tuple[str, str], tuple[QCheckBox, QSpinBox]] = {}
        for c, tier in enumerate(TIERS):
            grid.addWidget(QLabel(label(Tier, tier)), 0, 1 + c * 2, 1, 2)
        for r, kind in enumerate(STANDARD_KINDS):
            grid.addWidget(QLabel(label(VisitKind, kind)), 1 + r, 0)
            for c, tier in enumerate(TIERS):
                check = QCheckBox()
                spin = QSpinBox()
                spin.setRange(1, 60)
                spin.setValue(12)
                spin.setEnabled(False)
                check.toggled.connect(spin.setEnabled)
                grid.addWidget(check, 1 + r, 1 + c * 2)
                grid.addWidget(spin, 1 + r, 2 + c * 2)
                self.cells[(tier, kind)] = (check, spin)
        layout.addLayout(grid)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.loading_label = QLabel(_("Loading…"))
        self.loading_label.setObjectName("loading")
        layout.insertWidget(1, self.loading_label)
        self._grid_enabled(False)
        self.reads = LaneReads(self, "standards")
        self.reads.tasks = tasks
        self.reads.read(lambda: standards(ctx), self._fill, self._failed)

    @property
    def loading(self) -> bool:
        return self.reads.loading

    def _grid_enabled(self, on: bool) -> None:
        for check, spin in self.cells.values():
            check.setEnabled(on)
            spin.setEnabled(on and check.isChecked())
        self.save_button.setEnabled(on)

    def _fill(self, current: dict[str, dict[str, int]]) -> None:
        self._current = current
        for (tier, kind), (check, spin) in self.cells.items():
            months = current.get(tier, {}).get(kind)
            check.setChecked(months is not None)
            spin.setValue(months or 12)
        self.loading_label.hide()
        self._grid_enabled(True)

    def _failed(self, exc: BaseException) -> None:
        self.loading_label.setStyleSheet(style.ERROR_CSS)
        self.loading_label.setText(error_text(exc))

    def wanted(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {tier: {} for tier in TIERS}
        for (tier, kind), (check, spin) in self.cells.items():
            if check.isChecked():
                out[tier][kind] = spin.value()
        return out

    def accept(self) -> None:
        from ...services.standards import set_standard

        if self.loading:
            return
        for tier, cadences in self.wanted().items():
            if cadences != self._current.get(tier):
                set_standard(self._ctx, tier, cadences)
        super().accept()


__all__ = ["ApplyStandardDialog", "StandardsDialog", "describe_change"]
