"""The guided import: file → columns → preview → import (``accountdesk/io/importer.py``).

Nothing is written before the user presses Import on the preview: every step before it calls
``plan_import`` (on the database lane) and only reads. ``run_import`` then writes all or nothing;
closing the dialog before that leaves the store as it was. A file with rejected rows imports only
when the user ticks "import the other rows and leave these out".
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...errors import AccountDeskError, ValidationError
from ...i18n import N_, _
from .. import style
from ..item_models.io import RowsModel

FILE, MAPPING, PREVIEW, RESULT = range(4)
STEPS = (N_("File"), N_("Columns"), N_("Preview"), N_("Import"))
#: How long the mapping waits for more changes before it checks the file again (ms).
REPLAN_DELAY_MS = 250
FILE_FIELDS = {"file", "kind", "sheet", "map"}


def reason_text(code: str | None) -> str:
    return {
        "uscc": _("Same credit code"),
        "name": _("Same name"),
        "mobile": _("Same mobile"),
        "email": _("Same email"),
        "serial": _("Same serial number and model"),
    }.get(code or "", code or "")


def status_text(code: str) -> str:
    return {"new": _("New"), "duplicate": _("Duplicate"), "rejected": _("Rejected")}.get(code, code)


def error_text(exc: BaseException) -> str:
    """A message for the user, never a traceback."""
    if isinstance(exc, AccountDeskError):
        return exc.message
    if isinstance(exc, OSError):
        return _("The file cannot be read: {error}").format(error=exc.strerror or exc)
    return _("Something went wrong: {error}").format(error=exc)


def _table(model) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(30)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _fit_columns(view: QTableView, most: int = 280) -> None:
    """Columns as wide as their contents plus some air, none wider than ``most``."""
    view.resizeColumnsToContents()
    for c in range(view.model().columnCount()):
        view.setColumnWidth(c, min(view.columnWidth(c) + 20, most))


class ImportWizard(QDialog):
    """The import dialog. ``client_id``: import contacts or equipment into this client (no client
    column needed); ``kind``: what the file holds, chosen beforehand."""

    #: The import was written: the ImportResult.
    imported = Signal(object)

    def __init__(
        self,
        ctx,
        tasks,
        parent=None,
        *,
        client_id: str | None = None,
        client_name: str = "",
        kind: str | None = None,
    ):
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._client_id = client_id
        #: Tests replace this: a function returning the path of the file to import ("" for none).
        self.ask_path = self._ask_path
        self.plan = None
        self.result = None
        self.mapping: dict[str, str | None] = {}
        self._handle = None
        self._importing = False
        self._planning = False
        self._replan_timer = QTimer(self)
        self._replan_timer.setSingleShot(True)
        self._replan_timer.setInterval(REPLAN_DELAY_MS)
        self._replan_timer.timeout.connect(self._replan)

        if client_id:
            self.setWindowTitle(
                _("Import contacts or equipment into {client}").format(client=client_name)
                if client_name
                else _("Import contacts or equipment of this client")
            )
        else:
            self.setWindowTitle(_("Import clients, contacts or equipment"))
        self._kind = kind
        self.setMinimumSize(860, 580)
        self.setStyleSheet(style.IMPORT_STEPS_CSS)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 14)
        outer.setSpacing(12)
        steps = QHBoxLayout()
        steps.setSpacing(6)
        self.step_labels: list[QLabel] = []
        for i, title in enumerate(STEPS):
            if i:
                arrow = QLabel("›")
                arrow.setObjectName("Muted")
                steps.addWidget(arrow)
            lbl = QLabel(f"{i + 1}  {_(title)}")
            self.step_labels.append(lbl)
            steps.addWidget(lbl)
        steps.addStretch(1)
        outer.addLayout(steps)
        self.stack = QStackedWidget()
        self.stack.addWidget(self._build_file_page())
        self.stack.addWidget(self._build_mapping_page())
        self.stack.addWidget(self._build_preview_page())
        self.stack.addWidget(self._build_result_page())
        outer.addWidget(self.stack, 1)

        self.busy = QLabel()
        self.busy.setObjectName("Hint")
        buttons = QHBoxLayout()
        buttons.addWidget(self.busy, 1)
        self.back_button = QPushButton(_("Back"))
        self.back_button.clicked.connect(self.back)
        self.next_button = QPushButton(_("Continue"))
        self.next_button.setObjectName("Primary")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.cancel_button)
        outer.addLayout(buttons)
        self._go(FILE)

    # -- pages ---------------------------------------------------------------------------------
    def _build_file_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(12)
        intro = QLabel(
            _(
                "Choose a CSV or Excel (.xlsx) file with one row per client, contact or instrument and a header row. "
                "Chinese or English column names are recognised, the encoding (UTF-8, GBK …) is detected. "
                "You will see a preview before anything is saved."
            )
        )
        intro.setWordWrap(True)
        intro.setObjectName("Hint")
        layout.addWidget(intro)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText(_("客户.xlsx, 联系人.csv …"))
        self.path_edit.textChanged.connect(lambda _t: self._update_buttons())
        self.browse_button = QPushButton(_("Choose file…"))
        self.browse_button.clicked.connect(self.browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        form.addRow(_("File"), row)
        self.file_error = QLabel()
        self.file_error.setObjectName("Error")
        self.file_error.setWordWrap(True)
        self.file_error.hide()
        form.addRow("", self.file_error)
        self.kind_combo = QComboBox()
        if not self._client_id:
            self.kind_combo.addItem(_("Guess from the column names"), None)
            self.kind_combo.addItem(_("Clients"), "clients")
        self.kind_combo.addItem(_("Contacts"), "contacts")
        self.kind_combo.addItem(_("Equipment"), "equipment")
        if self._kind is not None:
            self.kind_combo.setCurrentIndex(self.kind_combo.findData(self._kind))
        self.kind_combo.setMinimumWidth(260)
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.kind_combo)
        kind_row.addStretch(1)
        form.addRow(_("The file holds"), kind_row)
        layout.addLayout(form)
        examples = QLabel(
            _(
                "<b>Clients</b>: 客户名称 (required), 统一社会信用代码, 行业, 客户等级, 省份, 城市, 员工人数 …<br>"
                "<b>Contacts</b>: 姓名 (required), 客户名称 or 统一社会信用代码 of their client, 职务, 部门, 手机, "
                "邮箱, 汇报对象 …<br>Title rows above the header and merged cells are fine. Export a list first to "
                "see every column."
            )
            + "<br>"
            + _(
                "<b>Equipment</b>: 设备名称 (required), 客户名称 or 统一社会信用代码 of its client, 规格型号, 出厂编号, "
                "上次校准日期, 校准周期（月）… The same serial number and model is a duplicate."
            )
        )
        examples.setObjectName("Note")
        examples.setWordWrap(True)
        layout.addSpacing(8)
        layout.addWidget(examples)
        layout.addStretch(1)
        return page

    def _build_mapping_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.file_info = QLabel()
        self.file_info.setObjectName("Hint")
        self.file_info.setWordWrap(True)
        layout.addWidget(self.file_info)
        self.mapping_table = QTableWidget(0, 3)
        self.mapping_table.setHorizontalHeaderLabels(
            [_("Column in the file"), _("Sample values"), _("Import into")]
        )
        self.mapping_table.verticalHeader().setVisible(False)
        self.mapping_table.verticalHeader().setDefaultSectionSize(38)
        self.mapping_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mapping_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.mapping_table.setShowGrid(False)
        self.mapping_table.setAlternatingRowColors(True)
        self.mapping_table.setWordWrap(False)
        self.mapping_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the combo boxes take the focus
        hh = self.mapping_table.horizontalHeader()
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self.mapping_table.setColumnWidth(0, 200)
        self.mapping_table.setColumnWidth(2, 230)
        layout.addWidget(self.mapping_table, 1)
        self.mapping_summary = QLabel()
        self.mapping_summary.setObjectName("Count")
        layout.addWidget(self.mapping_summary)
        self.mapping_error = QLabel()
        self.mapping_error.setObjectName("Error")
        self.mapping_error.setWordWrap(True)
        self.mapping_error.hide()
        layout.addWidget(self.mapping_error)
        return page

    def _build_preview_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.counts_label = QLabel()
        self.counts_label.setObjectName("SectionTitle")
        layout.addWidget(self.counts_label)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.preview_model = RowsModel(self)
        self.preview_view = _table(self.preview_model)
        self.tabs.addTab(self.preview_view, "")

        dup_page = QWidget()
        dup_layout = QVBoxLayout(dup_page)
        dup_layout.setContentsMargins(8, 8, 8, 8)
        hint = QLabel(
            _(
                "These rows look like records you already have (or an earlier row of the file). "
                "Tick Merge to fill the empty fields of the existing record from the file and keep "
                "the differing values in a note; otherwise the row is skipped."
            )
        )
        hint.setObjectName("Hint")
        hint.setWordWrap(True)
        dup_layout.addWidget(hint)
        self.duplicates_model = RowsModel(self, check_column=4)
        self.duplicates_view = _table(self.duplicates_model)
        dup_layout.addWidget(self.duplicates_view, 1)
        bar = QHBoxLayout()
        self.merge_all_button = QPushButton(_("Merge all"))
        self.merge_all_button.clicked.connect(lambda: self.duplicates_model.set_all_checked(True))
        self.skip_all_button = QPushButton(_("Skip all"))
        self.skip_all_button.clicked.connect(lambda: self.duplicates_model.set_all_checked(False))
        bar.addWidget(self.merge_all_button)
        bar.addWidget(self.skip_all_button)
        bar.addStretch(1)
        dup_layout.addLayout(bar)
        self.tabs.addTab(dup_page, "")

        rej_page = QWidget()
        rej_layout = QVBoxLayout(rej_page)
        rej_layout.setContentsMargins(8, 8, 8, 8)
        self.rejected_model = RowsModel(self)
        self.rejected_view = _table(self.rejected_model)
        rej_layout.addWidget(self.rejected_view, 1)
        bar = QHBoxLayout()
        self.copy_button = QPushButton(_("Copy the list"))
        self.copy_button.setToolTip(
            _("Copy the rejected rows and their reasons, to paste into a spreadsheet")
        )
        self.copy_button.clicked.connect(self.copy_rejected)
        bar.addWidget(self.copy_button)
        bar.addStretch(1)
        rej_layout.addLayout(bar)
        self.tabs.addTab(rej_page, "")
        layout.addWidget(self.tabs, 1)

        self.rejected_note = QLabel()
        self.rejected_note.setObjectName("Note")
        self.rejected_note.setWordWrap(True)
        layout.addWidget(self.rejected_note)
        self.skip_rejected_check = QCheckBox(_("Import the other rows and leave the rejected rows out"))
        self.skip_rejected_check.toggled.connect(lambda _on: self._update_buttons())
        layout.addWidget(self.skip_rejected_check)
        return page

    def _build_result_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 24, 0, 0)
        layout.setSpacing(12)
        self.result_title = QLabel()
        self.result_title.setObjectName("PageTitle")
        layout.addWidget(self.result_title)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        layout.addWidget(self.progress)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        layout.addWidget(self.result_label)
        self.result_error = QLabel()
        self.result_error.setObjectName("Error")
        self.result_error.setWordWrap(True)
        self.result_error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result_error)
        layout.addStretch(1)
        return page

    # -- navigation -----------------------------------------------------------------------------
    @property
    def step(self) -> int:
        return self.stack.currentIndex()

    def _go(self, step: int) -> None:
        self.stack.setCurrentIndex(step)
        for i, lbl in enumerate(self.step_labels):
            lbl.setObjectName("StepActive" if i == step else "Step")
            lbl.style().unpolish(lbl)
            lbl.style().polish(lbl)
        self._update_buttons()

    def _update_buttons(self) -> None:
        step = self.step
        planning = self._planning
        self.back_button.setVisible(
            step in (MAPPING, PREVIEW) or (step == RESULT and self.result is None and not self._importing)
        )
        self.next_button.setVisible(step != RESULT)
        self.cancel_button.setText(_("Close") if step == RESULT and self.result is not None else _("Cancel"))
        self.cancel_button.setEnabled(not self._importing)
        if step == FILE:
            self.next_button.setText(_("Continue"))
            self.next_button.setEnabled(bool(self.path_edit.text().strip()) and not planning)
        elif step == MAPPING:
            self.next_button.setText(_("Continue"))
            self.next_button.setEnabled(
                self.plan is not None
                and not planning
                and self.mapping_error.isHidden()
                and not self._replan_timer.isActive()
            )
        elif step == PREVIEW:
            plan = self.plan
            count = 0 if plan is None else plan.new + len(plan.duplicates)
            self.next_button.setText(_("Import"))
            self.next_button.setEnabled(
                plan is not None and count > 0 and (not plan.rejected or self.skip_rejected_check.isChecked())
            )
        self.busy.setText(_("Reading the file…") if planning else "")

    def next(self) -> None:
        if not self.next_button.isEnabled():
            return
        if self.step == FILE:
            self._plan_file()
        elif self.step == MAPPING:
            self._fill_preview()
            self._go(PREVIEW)
        elif self.step == PREVIEW:
            self.start_import()

    def back(self) -> None:
        if self.step == RESULT:
            self._go(PREVIEW)
        elif self.step > FILE:
            self._go(self.step - 1)

    def browse(self) -> None:
        path = self.ask_path()
        if path:
            self.path_edit.setText(path)

    def _ask_path(self) -> str:
        from ..file_dialogs import open_file

        return open_file(
            self,
            _("Choose the file to import"),
            _("Spreadsheets (*.xlsx *.csv *.txt *.tsv);;All files (*)"),
            self.path_edit.text().strip(),
        )

    # -- planning (reads only) ------------------------------------------------------------------
    def _start_plan(self, mapping: dict[str, str | None] | None, on_result) -> None:
        if self._handle is not None:
            self._handle.cancel()
        ctx = self._ctx
        path = self.path_edit.text().strip()
        kind = (
            self.plan.kind if mapping is not None and self.plan is not None else self.kind_combo.currentData()
        )
        client_id = self._client_id

        def work():
            from ...io.importer import missing_columns, plan_import

            plan = plan_import(ctx, path, kind, mapping, client_id=client_id, require_columns=False)
            return plan, missing_columns(plan)

        # the callbacks (not the task's ``finished``, which may fire before a late connect) end
        # the planning; those of a cancelled, superseded plan never arrive
        def done(plan) -> None:
            self._planning = False
            on_result(plan)
            self._update_buttons()

        def failed(exc: BaseException) -> None:
            self._planning = False
            self._plan_failed(exc)

        self._planning = True
        self._handle = self._tasks.run_db(work, on_result=done, on_error=failed, name="import-plan")
        self._update_buttons()

    def _plan_file(self) -> None:
        self.file_error.hide()
        path = self.path_edit.text().strip()
        if not Path(path).is_file():
            self._show_file_error(_("There is no file {file}.").format(file=path))
            return
        self._start_plan(None, self._file_planned)

    def _show_file_error(self, message: str) -> None:
        self.file_error.setText(message)
        self.file_error.show()
        self._update_buttons()

    def _file_planned(self, planned) -> None:
        plan, missing = planned
        self.plan = plan
        self.mapping = dict(plan.mapping)
        self._fill_mapping()
        self._go(MAPPING)
        self._show_plan(plan, missing)

    def _plan_failed(self, exc: BaseException) -> None:
        if self.step == FILE:
            if isinstance(exc, ValidationError):
                self._show_file_error("\n".join(m for _f, m in exc.errors))
            else:
                self._show_file_error(error_text(exc))
            return
        # a mapping the file cannot be imported with (a required field has no column ...)
        if isinstance(exc, ValidationError):
            titles = self._titles()
            lines = [m if f in FILE_FIELDS or f not in titles else f"{titles[f]}: {m}" for f, m in exc.errors]
        else:
            lines = [error_text(exc)]
        self.mapping_error.setText("\n".join(lines))
        self.mapping_error.show()
        self.mapping_summary.setText("")
        self._update_buttons()

    def _replan(self) -> None:
        self._start_plan(dict(self.mapping), self._replanned)

    def _replanned(self, planned) -> None:
        plan, missing = planned
        self.plan = plan
        self.mapping = dict(plan.mapping)
        self._sync_combos()
        self._show_plan(plan, missing)
        if self.step == PREVIEW:
            self._fill_preview()
        self._update_buttons()

    def _titles(self) -> dict[str, str]:
        from ...io import mapping as M

        kind = self.plan.kind if self.plan is not None else "clients"
        return {t.name: t.title for t in M.targets(kind)}

    # -- the mapping page -----------------------------------------------------------------------
    def _fill_mapping(self) -> None:
        from ...io import mapping as M

        plan = self.plan
        kind_text = {"clients": _("Clients"), "contacts": _("Contacts"), "equipment": _("Equipment")}[
            plan.kind
        ]
        parts = [_("File: {file}").format(file=plan.path.name), plan.format.upper()]
        if plan.encoding:
            parts.append(_("encoding {encoding}").format(encoding=plan.encoding))
        if plan.sheet:
            parts.append(_("sheet “{sheet}”").format(sheet=plan.sheet))
        parts.append(_("header in row {row}").format(row=plan.header_row))
        parts.append(_("importing: {kind}").format(kind=kind_text))
        self.file_info.setText(
            " · ".join(parts)
            + "\n"
            + _(
                "Check which field each column goes into; choose “Ignore” for a column you do not want to import."
            )
        )
        targets = M.targets(plan.kind)
        self.mapping_table.setRowCount(len(plan.columns))
        self.combos: list[QComboBox] = []
        for i, column in enumerate(plan.columns):
            head = QTableWidgetItem(column)
            head.setToolTip(column)
            self.mapping_table.setItem(i, 0, head)
            samples = []
            for r in plan.preview:
                cells = r.cells or []
                value = cells[i] if i < len(cells) else None
                if value not in (None, "") and str(value) not in samples:
                    samples.append(str(value))
                if len(samples) == 3:
                    break
            sample = QTableWidgetItem("  ·  ".join(samples))
            sample.setToolTip("\n".join(samples))
            sample.setForeground(Qt.GlobalColor.darkGray)
            self.mapping_table.setItem(i, 1, sample)
            combo = QComboBox()
            combo.addItem(_("Ignore"), None)
            for t in targets:
                combo.addItem(t.title, t.name)
            combo.setCurrentIndex(max(0, combo.findData(self.mapping.get(column))))
            combo.currentIndexChanged.connect(
                lambda _i, c=column, box=combo: self.set_mapping(c, box.currentData())
            )
            self.mapping_table.setCellWidget(i, 2, combo)
            self.combos.append(combo)

    def set_mapping(self, column: str, target: str | None) -> None:
        """Send ``column`` into ``target`` (None: ignore it); a field takes one column only."""
        if target:
            for other, t in self.mapping.items():
                if t == target and other != column:
                    self.mapping[other] = None
        self.mapping[column] = target
        self._sync_combos()
        self.mapping_error.hide()
        self.mapping_summary.setText(_("Checking the rows…"))
        self._replan_timer.start()
        self._update_buttons()

    def _sync_combos(self) -> None:
        if self.plan is None or not getattr(self, "combos", None):
            return
        for column, combo in zip(self.plan.columns, self.combos, strict=False):
            index = max(0, combo.findData(self.mapping.get(column)))
            if combo.currentIndex() != index:
                combo.blockSignals(True)
                combo.setCurrentIndex(index)
                combo.blockSignals(False)

    def _counts_text(self, plan) -> str:
        return _("{total} rows: {new} new, {dup} duplicates, {rejected} rejected").format(
            total=plan.total, new=plan.new, dup=len(plan.duplicates), rejected=plan.rejected_rows
        )

    def _show_plan(self, plan, missing: list[str]) -> None:
        """The counts of the new plan, or what its mapping lacks (then the next step waits)."""
        if not missing:
            self.mapping_error.hide()
            self.mapping_summary.setText(self._counts_text(plan))
        else:
            titles = self._titles()
            lines = [
                _(
                    "Choose the column that says which client each contact belongs to: the client's name or "
                    "credit code."
                )
                if f == "client"
                else _("Choose the column that holds {field}.").format(field=titles.get(f, f))
                for f in missing
            ]
            self.mapping_error.setText("\n".join(lines))
            self.mapping_error.show()
            self.mapping_summary.setText("")
        self._update_buttons()

    # -- the preview page -----------------------------------------------------------------------
    def _fill_preview(self) -> None:
        plan = self.plan
        titles = self._titles()
        targets = [t for t in plan.mapping.values() if t]
        headers = [_("Row"), _("Status"), *(titles.get(t, t) for t in targets)]
        rows, tips, marked = [], [], set()
        reasons: dict[int, list[str]] = {}
        for r in plan.rejected:
            reasons.setdefault(r.row, []).append(r.message)
        for i, r in enumerate(plan.preview):
            rows.append(
                [
                    str(r.row),
                    status_text(r.status),
                    *("" if r.raw.get(t) is None else str(r.raw[t]) for t in targets),
                ]
            )
            tips.append("\n".join(reasons.get(r.row, [])))
            if r.status == "rejected":
                marked.add(i)
        self.preview_model.set_rows(headers, rows, tips=tips, marked=marked)
        _fit_columns(self.preview_view)

        previous = {
            int(self.duplicates_model.text(i, 0)): self.duplicates_model.checked(i)
            for i in range(self.duplicates_model.rowCount())
        }
        dups = plan.duplicates
        dup_rows = []
        for r in dups:
            name = r.values.get("name") or r.raw.get("name") or ""
            same = (
                _("row {row} of the file").format(row=r.match_row)
                if r.match_row and not r.match_id
                else str(r.match_name or "")
            )
            dup_rows.append([str(r.row), str(name), same, reason_text(r.reason), _("Merge")])
        self.duplicates_model.set_rows(
            [_("Row"), _("In the file"), _("Same as"), _("Why"), _("Merge")],
            dup_rows,
            checked=[previous.get(r.row, False) for r in dups],
        )
        _fit_columns(self.duplicates_view)

        rej_rows = []
        for r in plan.rejected:
            rej_rows.append([str(r.row), r.column or "", titles.get(r.field, r.field), r.message])
        self.rejected_model.set_rows(
            [_("Row"), _("Column"), _("Field"), _("Reason")], rej_rows, marked=set(range(len(rej_rows)))
        )
        _fit_columns(self.rejected_view)

        self.counts_label.setText(self._counts_text(plan))
        shown = len(plan.preview)
        self.tabs.setTabText(0, _("First {n} rows").format(n=shown) if shown < plan.total else _("All rows"))
        self.tabs.setTabText(1, _("Duplicates ({n})").format(n=len(dups)))
        self.tabs.setTabText(2, _("Rejected ({n})").format(n=len(plan.rejected)))
        self.tabs.setTabEnabled(1, bool(dups))
        self.tabs.setTabEnabled(2, bool(plan.rejected))
        has_rejected = bool(plan.rejected)
        self.rejected_note.setVisible(has_rejected)
        self.skip_rejected_check.setVisible(has_rejected)
        if not has_rejected:
            self.skip_rejected_check.setChecked(False)
        self.rejected_note.setText(
            _(
                "{n} rows cannot be imported (see Rejected for the row, the column and the reason). Correct the file "
                "and choose it again, or import the other rows and leave these out."
            ).format(n=plan.rejected_rows)
        )
        if has_rejected and self.tabs.currentIndex() == 0:
            self.tabs.setCurrentIndex(2)
        self._update_buttons()

    def decisions(self) -> dict[int, str]:
        """Row number -> "merge" or "skip", as the duplicates tab says."""
        from ...io.importer import MERGE, SKIP

        return {
            int(self.duplicates_model.text(i, 0)): MERGE if self.duplicates_model.checked(i) else SKIP
            for i in range(self.duplicates_model.rowCount())
        }

    def copy_rejected(self) -> None:
        QGuiApplication.clipboard().setText(self.rejected_model.as_tsv())
        self.busy.setText(_("Copied {n} rows.").format(n=self.rejected_model.rowCount()))

    # -- importing (writes) ---------------------------------------------------------------------
    def start_import(self) -> None:
        plan = self.plan
        decisions = self.decisions()
        skip_rejected = self.skip_rejected_check.isChecked()
        ctx = self._ctx
        total = plan.new + len(plan.duplicates)

        def work(token, progress):
            from ...io.importer import run_import

            def report(done: int, total: int) -> None:
                token.check()  # cancelling rolls the one transaction back
                progress(done, total, "")

            return run_import(ctx, plan, decisions, report, skip_rejected=skip_rejected)

        self._importing = True
        self.result = None
        self.result_title.setText(_("Importing…"))
        self.result_label.setText(_("Writing {n} rows …").format(n=total))
        self.result_error.setText("")
        self.progress.setRange(0, 0)
        self.progress.show()
        self._go(RESULT)
        self._handle = self._tasks.run_db(
            work,
            on_result=self._imported,
            on_error=self._import_failed,
            on_progress=self._progress,
            name="import",
        )

    def _progress(self, done: int, total: int, _message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _imported(self, result) -> None:
        self.result = result
        self._importing = False
        self.progress.hide()
        self.result_title.setText(_("Import finished"))
        self.result_label.setText(
            _(
                "Created: {created}\nMerged into existing records: {merged}\nSkipped duplicates: {skipped}\n"
                "Rejected rows left out: {rejected}"
            ).format(**result.to_dict())
        )
        self._update_buttons()
        self.imported.emit(result)

    def _import_failed(self, exc: BaseException) -> None:
        self._importing = False
        self.progress.hide()
        self.result_title.setText(_("Nothing was imported"))
        self.result_label.setText("")
        if isinstance(exc, ValidationError):
            self.result_error.setText("\n".join(m for _f, m in exc.errors[:20]))
        else:
            self.result_error.setText(error_text(exc))
        self._update_buttons()

    def reject(self) -> None:
        if self._importing:
            return  # the one transaction finishes or fails as a whole
        self._replan_timer.stop()
        if self.result is not None:
            super().accept()  # Close after an import
            return
        if self._handle is not None:
            self._handle.cancel()
        super().reject()
