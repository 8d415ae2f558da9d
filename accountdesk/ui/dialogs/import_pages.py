"""The pages of the import wizard: building them (file, columns, preview, result) and filling the
column mapping and the preview from a plan. A part of :class:`~.import_wizard.ImportWizard`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
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
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from ..item_models.io import RowsModel
from .import_common import (
    _fit_columns,
    _table,
    reason_text,
    status_text,
)

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer

    from ...io.plan import ImportPlan


class WizardPages(QDialog):
    """The pages of :class:`ImportWizard` and what fills them (the wizard keeps the steps, the
    plans on the database lane and the import)."""

    # what the wizard keeps (ImportWizard.__init__ sets them)
    plan: ImportPlan | None
    mapping: dict[str, str | None]
    busy: QLabel
    _client_id: str | None
    _kind: str | None
    _replan_timer: QTimer

    if TYPE_CHECKING:  # the wizard's own steps

        def _update_buttons(self) -> None: ...
        def browse(self) -> None: ...

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

    # -- the mapping and the preview ------------------------------------------------------------
    def _titles(self) -> dict[str, str]:
        from ...io import mapping as M

        kind = self.plan.kind if self.plan is not None else "clients"
        return {t.name: t.title for t in M.targets(kind)}

    # -- the mapping page -----------------------------------------------------------------------
    def _fill_mapping(self) -> None:
        from ...io import mapping as M

        plan = self.plan
        assert plan is not None  # the mapping and the preview follow a plan
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

    def _counts_text(self, plan: ImportPlan) -> str:
        return _("{total} rows: {new} new, {dup} duplicates, {rejected} rejected").format(
            total=plan.total, new=plan.new, dup=len(plan.duplicates), rejected=plan.rejected_rows
        )

    def _show_plan(self, plan: ImportPlan, missing: list[str]) -> None:
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
        assert plan is not None  # the mapping and the preview follow a plan
        titles = self._titles()
        targets = [t for t in plan.mapping.values() if t]
        headers = [_("Row"), _("Status"), *(titles.get(t, t) for t in targets)]
        rows: list[list[str]] = []
        tips: list[str] = []
        marked: set[int] = set()
        reasons: dict[int, list[str]] = {}
        for rejection in plan.rejected:
            reasons.setdefault(rejection.row, []).append(rejection.message)
        for i, planned in enumerate(plan.preview):
            rows.append(
                [
                    str(planned.row),
                    status_text(planned.status),
                    *("" if planned.raw.get(t) is None else str(planned.raw[t]) for t in targets),
                ]
            )
            tips.append("\n".join(reasons.get(planned.row, [])))
            if planned.status == "rejected":
                marked.add(i)
        self.preview_model.set_rows(headers, rows, tips=tips, marked=marked)
        _fit_columns(self.preview_view)

        previous = {
            int(self.duplicates_model.text(i, 0)): self.duplicates_model.checked(i)
            for i in range(self.duplicates_model.rowCount())
        }
        dups = plan.duplicates
        dup_rows = []
        for dup in dups:
            name = dup.values.get("name") or dup.raw.get("name") or ""
            same = (
                _("row {row} of the file").format(row=dup.match_row)
                if dup.match_row and not dup.match_id
                else str(dup.match_name or "")
            )
            dup_rows.append([str(dup.row), str(name), same, reason_text(dup.reason), _("Merge")])
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
        from ...io.plan import MERGE, SKIP

        return {
            int(self.duplicates_model.text(i, 0)): MERGE if self.duplicates_model.checked(i) else SKIP
            for i in range(self.duplicates_model.rowCount())
        }

    def copy_rejected(self) -> None:
        QGuiApplication.clipboard().setText(self.rejected_model.as_tsv())
        self.busy.setText(_("Copied {n} rows.").format(n=self.rejected_model.rowCount()))
