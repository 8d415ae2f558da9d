"""The resignation (离职交接) in one sitting, from the Team screen: everything the leaving user holds,
the successors (with their workload and region), one successor per client (chosen per row, or
suggested by workload or region), the reason, and one click that hands it all over
(:func:`accountdesk.services.turnover.resign`). Also a handover of several selected clients to
one new owner (:class:`BulkHandoverDialog`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from ...errors import AccountDeskError, ValidationError
from ...i18n import N_, _
from ...labels import label
from ...models.enums import Role
from .. import style

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext
    from ...services.turnover import Candidate, Holdings, ResignationResult
    from ..tasks import TaskManager

ERROR_STYLE = style.ERROR_CSS


def candidate_text(c: Candidate) -> str:
    """``王磊 · 12 clients · 3 open complaints · 浙江省`` — what a successor already carries."""
    parts = [
        c.display_name,
        _("{n} clients").format(n=c.clients_owned),
        _("{n} open complaints").format(n=c.open_complaints),
    ]
    if c.region:
        parts.append(c.region)
    return " · ".join(parts)


def _error_label(parent: QWidget | None) -> QLabel:
    lab = QLabel("", parent)
    lab.setObjectName("Error")
    lab.setStyleSheet(ERROR_STYLE)
    lab.setWordWrap(True)
    lab.hide()
    return lab


def _show_error(target: QLabel, exc: BaseException) -> None:
    if isinstance(exc, ValidationError):
        target.setText("; ".join(m for _f, m in exc.errors))
    elif isinstance(exc, AccountDeskError):
        target.setText(exc.message)
    else:
        target.setText(_("The handover failed: {error}").format(error=exc))
    target.show()


class ResignationDialog(QDialog):
    """Distribute everything a leaving user holds over one or several successors."""

    loaded = Signal()
    resigned = Signal(object)  # the ResignationResult

    ROLE_TEXT = {"owner": N_("Account manager"), "backup": N_("Backup owner"), "team": N_("Service team")}

    def __init__(self, ctx: AppContext, tasks: TaskManager, user_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.user_id = user_id
        self.held: Holdings | None = None
        self.candidates: list[Candidate] = []
        self.outcome: ResignationResult | None = None
        self.setWindowTitle(_("Resignation and handover"))
        self.resize(980, 720)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 12)
        self.summary = QLabel(_("Loading…"), self)
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)

        layout.addWidget(
            QLabel("<b>" + _("Successors") + "</b> — " + _("tick who takes the clients over"), self)
        )
        self.successors = QTableWidget(0, 6, self)
        self.successors.setObjectName("successors")
        self.successors.setHorizontalHeaderLabels(
            [_("Name"), _("Role"), _("Clients"), _("Open complaints"), _("Planned visits"), _("Region")]
        )
        self._table_look(self.successors)
        self.successors.setMaximumHeight(170)
        self.successors.itemChanged.connect(self._successors_changed)
        layout.addWidget(self.successors)

        row = QHBoxLayout()
        row.addWidget(QLabel(_("Distribute"), self))
        self.rule = QComboBox(self)
        self.rule.setObjectName("rule")
        self.rule.addItem(_("by workload (the least loaded first)"), "workload")
        self.rule.addItem(_("by region (same province first)"), "region")
        row.addWidget(self.rule)
        self.suggest_button = QPushButton(_("Suggest successors"), self)
        self.suggest_button.setObjectName("suggest")
        self.suggest_button.clicked.connect(self.suggest)
        row.addWidget(self.suggest_button)
        row.addStretch(1)
        layout.addLayout(row)

        layout.addWidget(QLabel("<b>" + _("Clients") + "</b> — " + _("one successor per client"), self))
        self.clients = QTableWidget(0, 7, self)
        self.clients.setObjectName("clients")
        self.clients.setHorizontalHeaderLabels(
            [
                _("Client"),
                _("Role"),
                _("Region"),
                _("Open complaints"),
                _("Planned visits"),
                _("Open improvement items"),
                _("Successor"),
            ]
        )
        self._table_look(self.clients)
        self.clients.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        layout.addWidget(self.clients, 1)

        form = QFormLayout()
        self.reason = QLineEdit(self)
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText(_("e.g. the account manager left the company"))
        self.notes = QLineEdit(self)
        self.notes.setObjectName("notes")
        form.addRow(_("Reason") + " *", self.reason)
        form.addRow(_("Notes for the successors"), self.notes)
        layout.addLayout(form)
        self.deactivate = QCheckBox(_("Deactivate the leaver at the end"), self)
        self.deactivate.setObjectName("deactivate")
        layout.addWidget(self.deactivate)
        self.error = _error_label(self)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Hand everything over"))
        self.ok_button.setObjectName("Primary")
        self.ok_button.setEnabled(False)
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._load()

    @staticmethod
    def _table_look(table: QTableWidget) -> None:
        table.verticalHeader().setVisible(False)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )

    # -- loading -------------------------------------------------------------------------------
    def _load(self) -> None:
        ctx, user_id = self.ctx, self.user_id

        def work() -> tuple[Holdings, list[Candidate], bool]:
            from ...services import turnover

            held = turnover.holdings(ctx, user_id)
            return held, turnover.candidates(ctx, exclude=[user_id]), turnover.server_managed(ctx)

        self.tasks.run_db(
            work, on_result=self._show, on_error=lambda e: _show_error(self.error, e), name="resign-load"
        )

    def _show(self, data: tuple[Holdings, list[Candidate], bool]) -> None:
        h, self.candidates, managed = data
        self.held = h
        owned, backed, served = h.of_role("owner"), h.of_role("backup"), h.of_role("team")
        self.setWindowTitle(_("Resignation of {name}").format(name=h.display_name))
        self.summary.setText(
            "<b>"
            + _("{name} holds:").format(name=f"{h.display_name} ({h.login})")
            + "</b> "
            + _(
                "{owned} clients owned, {backed} backed up, {served} served on; {complaints} open complaints they handle, "
                "{items} open improvement items, {visits} planned visits, {plans} visit plans, {opps} open opportunities."
            ).format(
                owned=len(owned),
                backed=len(backed),
                served=len(served),
                complaints=len(h.complaints),
                items=len(h.improvement_items),
                visits=len(h.planned_visits),
                plans=len(h.visit_plans),
                opps=len(h.opportunities),
            )
        )
        self.successors.blockSignals(True)
        self.successors.setRowCount(len(self.candidates))
        for r, c in enumerate(self.candidates):
            name = QTableWidgetItem(c.display_name)
            name.setFlags(name.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            name.setCheckState(Qt.CheckState.Unchecked)
            name.setData(Qt.ItemDataRole.UserRole, c.user_id)
            self.successors.setItem(r, 0, name)
            for col, value in enumerate(
                (
                    label(Role, c.role),
                    str(c.clients_owned),
                    str(c.open_complaints),
                    str(c.planned_visits),
                    c.region,
                ),
                start=1,
            ):
                self.successors.setItem(r, col, QTableWidgetItem(value))
        self.successors.blockSignals(False)
        self.clients.setRowCount(len(h.clients))
        for r, held in enumerate(h.clients):
            item = QTableWidgetItem(held.name)
            item.setData(Qt.ItemDataRole.UserRole, held.id)
            self.clients.setItem(r, 0, item)
            for col, value in enumerate(
                (
                    _(self.ROLE_TEXT[held.role]),
                    held.province or "",
                    str(held.open_complaints),
                    str(held.planned_visits),
                    str(held.open_items),
                ),
                start=1,
            ):
                self.clients.setItem(r, col, QTableWidgetItem(value))
            combo = QComboBox(self.clients)
            combo.setObjectName(f"successor-{r}")
            combo.setPlaceholderText(_("Choose…"))
            for cand in self.candidates:
                combo.addItem(candidate_text(cand), cand.user_id)
            combo.setCurrentIndex(-1)
            combo.currentIndexChanged.connect(self._update_ok)
            self.clients.setCellWidget(r, 6, combo)
        self.clients.resizeColumnsToContents()
        self.clients.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if managed:
            self.deactivate.setEnabled(False)
            self.deactivate.setToolTip(
                _(
                    "Users are managed on the company server: deactivate the leaver there once "
                    "this handover has synced."
                )
            )
        self._update_ok()
        self.loaded.emit()

    # -- choosing ------------------------------------------------------------------------------
    def chosen_successors(self) -> list[str]:
        out = []
        for r in range(self.successors.rowCount()):
            item = self.successors.item(r, 0)
            if item is not None and item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def set_successor_checked(self, user_id: str, checked: bool = True) -> None:
        for r in range(self.successors.rowCount()):
            item = self.successors.item(r, 0)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) == user_id:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _successors_changed(self, _item: QTableWidgetItem) -> None:
        """With exactly one successor ticked, every client without one goes to them."""
        chosen = self.chosen_successors()
        if len(chosen) == 1:
            for r in range(self.clients.rowCount()):
                combo = self.combo(r)
                if combo.currentIndex() < 0:
                    combo.setCurrentIndex(combo.findData(chosen[0]))
        self._update_ok()

    def combo(self, row: int) -> QComboBox:
        combo = self.clients.cellWidget(row, 6)
        assert isinstance(combo, QComboBox)  # _show puts one on every client's row
        return combo

    def assign_rows(self, rows: list[int], user_id: str) -> None:
        for r in rows:
            self.combo(r).setCurrentIndex(self.combo(r).findData(user_id))

    def suggest(self) -> None:
        from ...services import turnover

        chosen = self.chosen_successors()
        if not chosen or self.held is None:
            self.error.setText(_("Tick at least one successor first."))
            self.error.show()
            return
        self.error.hide()
        plan = turnover.suggest(self.ctx, self.held.clients, chosen, rule=self.rule.currentData())
        for r in range(self.clients.rowCount()):
            item = self.clients.item(r, 0)
            cid = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
            if cid in plan:
                self.combo(r).setCurrentIndex(self.combo(r).findData(plan[cid]))

    def plan(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for r in range(self.clients.rowCount()):
            uid = self.combo(r).currentData()
            item = self.clients.item(r, 0)
            if uid and item is not None:
                out[item.data(Qt.ItemDataRole.UserRole)] = uid
        return out

    def _update_ok(self, *_args: object) -> None:
        ready = self.held is not None and len(self.plan()) == self.clients.rowCount()
        self.ok_button.setEnabled(ready)
        self.ok_button.setToolTip("" if ready else _("Choose a successor for every client."))

    # -- doing ---------------------------------------------------------------------------------
    def submit(self) -> None:
        self.error.hide()
        reason = self.reason.text().strip()
        if not reason:
            self.error.setText(_("{label} is required.").format(label=_("Reason")))
            self.error.show()
            return
        ctx, user_id, plan = self.ctx, self.user_id, self.plan()
        notes, deactivate = self.notes.text().strip() or None, self.deactivate.isChecked()
        self.ok_button.setEnabled(False)

        def work() -> ResignationResult:
            from ...services import turnover

            return turnover.resign(ctx, user_id, plan, reason=reason, notes=notes, deactivate=deactivate)

        self.tasks.run_db(work, on_result=self._done, on_error=self._failed, name="resign")

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        _show_error(self.error, exc)

    def _done(self, result: ResignationResult) -> None:
        self.outcome = result
        self.resigned.emit(result)
        self.accept()


def result_text(result: ResignationResult, names: dict[str, str]) -> str:
    """A few lines saying what a resignation did (shown on the Team screen afterwards)."""
    per_user: dict[str, int] = {}
    for h in result.handovers:
        per_user[h["to_user_id"]] = per_user.get(h["to_user_id"], 0) + 1
    lines = [
        _("{n} clients handed over: {who}.").format(
            n=len(result.handovers),
            who=", ".join(f"{names.get(u, u)} {n}" for u, n in per_user.items()) or "—",
        )
    ]
    moved = sum(
        1
        for group in (
            *(h["moves"] for h in result.handovers),
            *(b["moves"] for b in result.backups),
            *(t["moves"] for t in result.teams),
            result.other_moves,
        )
        for m in group
        if m["moved"]
    )
    lines.append(
        _("{n} open items moved to the successors (complaints, visits, improvement items).").format(n=moved)
    )
    if result.unmoved:
        lines.append(
            _("{n} complaints need another handler: the successor is involved in them.").format(
                n=len(result.unmoved)
            )
        )
    return "\n".join(lines)


class BulkHandoverDialog(QDialog):
    """Several selected clients to one new owner, with the candidates' workload shown."""

    def __init__(
        self,
        ctx: AppContext,
        tasks: TaskManager,
        clients: list[tuple[str, str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        from ...services import turnover

        self.ctx = ctx
        self.tasks = tasks
        self.client_ids = [cid for cid, _n in clients]
        self.outcome: list[dict[str, Any]] | None = None
        self.setWindowTitle(_("Hand over {n} clients").format(n=len(clients)))
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        names = QLabel("、".join(n for _c, n in clients), self)
        names.setWordWrap(True)
        layout.addWidget(names)
        form = QFormLayout()
        self.owner = QComboBox(self)
        self.owner.setObjectName("to_user_id")
        for cand in turnover.candidates(ctx):
            self.owner.addItem(candidate_text(cand), cand.user_id)
        self.owner.setCurrentIndex(-1)
        self.owner.setPlaceholderText(_("Choose…"))
        self.reason = QLineEdit(self)
        self.reason.setObjectName("reason")
        form.addRow(_("New account manager") + " *", self.owner)
        form.addRow(_("Reason") + " *", self.reason)
        layout.addLayout(form)
        self.error = _error_label(self)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(_("Hand over"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def submit(self) -> None:
        self.error.hide()
        to_user, reason = self.owner.currentData(), self.reason.text().strip()
        if not to_user:
            self.error.setText(_("Choose the new account manager."))
            self.error.show()
            return
        if not reason:
            self.error.setText(_("{label} is required.").format(label=_("Reason")))
            self.error.show()
            return
        ctx, ids = self.ctx, self.client_ids
        self.ok_button.setEnabled(False)

        def work() -> list[dict[str, Any]]:
            from ...services import turnover

            return turnover.assign_clients(ctx, ids, to_user, reason=reason)

        self.tasks.run_db(work, on_result=self._done, on_error=self._failed, name="bulk-handover")

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        _show_error(self.error, exc)

    def _done(self, result: list[dict[str, Any]]) -> None:
        self.outcome = result
        self.accept()
