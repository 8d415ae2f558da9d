"""The guided import: file → columns → preview → import (``accountdesk/io/importer.py``).

Nothing is written before the user presses Import on the preview: every step before it calls
``plan_import`` (on the database lane) and only reads. ``run_import`` then writes all or nothing;
closing the dialog before that leaves the store as it was. A file with rejected rows imports only
when the user ticks "import the other rows and leave these out".
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
)

from ...errors import ValidationError
from ...i18n import _
from .. import style
from .import_common import (
    FILE,
    FILE_FIELDS,
    MAPPING,
    PREVIEW,
    REPLAN_DELAY_MS,
    RESULT,
    STEPS,
    error_text,
    reason_text,
    status_text,
)
from .import_pages import WizardPages

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...io.plan import ImportPlan, ImportResult
    from ...services.context import AppContext
    from ..tasks import CancelToken, ProgressCallback, TaskHandle, TaskManager

__all__ = ["ImportWizard", "error_text", "reason_text", "status_text"]


class ImportWizard(WizardPages):
    """The import dialog. ``client_id``: import contacts or equipment into this client (no client
    column needed); ``kind``: what the file holds, chosen beforehand."""

    #: The import was written: the ImportResult.
    imported = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        tasks: TaskManager,
        parent: QWidget | None = None,
        *,
        client_id: str | None = None,
        client_name: str = "",
        kind: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._client_id = client_id
        #: Tests replace this: a function returning the path of the file to import ("" for none).
        self.ask_path = self._ask_path
        self.plan: ImportPlan | None = None
        self.outcome: ImportResult | None = None
        self.mapping: dict[str, str | None] = {}
        self._handle: TaskHandle | None = None
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
            step in (MAPPING, PREVIEW) or (step == RESULT and self.outcome is None and not self._importing)
        )
        self.next_button.setVisible(step != RESULT)
        self.cancel_button.setText(_("Close") if step == RESULT and self.outcome is not None else _("Cancel"))
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
    def _start_plan(
        self, mapping: dict[str, str | None] | None, on_result: Callable[[tuple[ImportPlan, list[str]]], None]
    ) -> None:
        if self._handle is not None:
            self._handle.cancel()
        ctx = self._ctx
        path = self.path_edit.text().strip()
        kind = (
            self.plan.kind if mapping is not None and self.plan is not None else self.kind_combo.currentData()
        )
        client_id = self._client_id

        def work() -> tuple[ImportPlan, list[str]]:
            from ...io.importer import plan_import
            from ...io.plan import missing_columns

            plan = plan_import(ctx, path, kind, mapping, client_id=client_id, require_columns=False)
            return plan, missing_columns(plan)

        # the callbacks (not the task's ``finished``, which may fire before a late connect) end
        # the planning; those of a cancelled, superseded plan never arrive
        def done(plan: tuple[ImportPlan, list[str]]) -> None:
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

    def _file_planned(self, planned: tuple[ImportPlan, list[str]]) -> None:
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

    def _replanned(self, planned: tuple[ImportPlan, list[str]]) -> None:
        plan, missing = planned
        self.plan = plan
        self.mapping = dict(plan.mapping)
        self._sync_combos()
        self._show_plan(plan, missing)
        if self.step == PREVIEW:
            self._fill_preview()
        self._update_buttons()

    # -- importing (writes) ---------------------------------------------------------------------
    def start_import(self) -> None:
        plan = self.plan
        if plan is None:  # Import is enabled only on the preview of a plan
            return
        decisions = self.decisions()
        skip_rejected = self.skip_rejected_check.isChecked()
        ctx = self._ctx
        total = plan.new + len(plan.duplicates)

        def work(token: CancelToken, progress: ProgressCallback) -> ImportResult:
            from ...io.importer import run_import

            def report(done: int, total: int) -> None:
                token.check()  # cancelling rolls the one transaction back
                progress(done, total, "")

            return run_import(ctx, plan, decisions, report, skip_rejected=skip_rejected)

        self._importing = True
        self.outcome = None
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

    def _imported(self, result: ImportResult) -> None:
        self.outcome = result
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
        if self.outcome is not None:
            super().accept()  # Close after an import
            return
        if self._handle is not None:
            self._handle.cancel()
        super().reject()
