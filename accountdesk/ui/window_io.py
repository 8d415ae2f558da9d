"""The main window's files: the export menu's entries and what each writes, backups and restore,
imports and the duplicates finder (a mixin of :class:`.main_window.MainWindow`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QMenu, QMessageBox, QProgressBar

from ..i18n import N_, _
from ..paths import APP_NAME

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QMainWindow as _WindowBase

    from ..services.context import AppContext
    from .dialogs.duplicates import DuplicatesDialog
    from .dialogs.import_wizard import ImportWizard
    from .dialogs.restore import RestoreDialog
    from .settings import Settings
    from .tasks import TaskHandle, TaskManager
else:
    _WindowBase = object

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExportEntry:
    key: str
    what: str  # clients | contacts | calendar | backup
    format: str  # xlsx | csv | vcf3 | vcf4 | ics | zip
    title: str  # N_() msgid of the menu entry
    name: str  # N_() msgid of the default file name (without date and suffix)
    suffix: str
    filter: str  # N_() msgid of the file dialog's filter


EXPORTS: tuple[ExportEntry, ...] = (
    ExportEntry(
        "clients-xlsx",
        "clients",
        "xlsx",
        N_("Clients (Excel)…"),
        N_("clients"),
        ".xlsx",
        N_("Excel workbook (*.xlsx)"),
    ),
    ExportEntry(
        "clients-csv", "clients", "csv", N_("Clients (CSV)…"), N_("clients"), ".csv", N_("CSV file (*.csv)")
    ),
    ExportEntry(
        "contacts-vcf3",
        "contacts",
        "vcf3",
        N_("Contacts (vCard 3.0)…"),
        N_("contacts"),
        ".vcf",
        N_("vCard (*.vcf)"),
    ),
    ExportEntry(
        "contacts-vcf4",
        "contacts",
        "vcf4",
        N_("Contacts (vCard 4.0)…"),
        N_("contacts"),
        ".vcf",
        N_("vCard (*.vcf)"),
    ),
    ExportEntry(
        "contacts-xlsx",
        "contacts",
        "xlsx",
        N_("Contacts (Excel)…"),
        N_("contacts"),
        ".xlsx",
        N_("Excel workbook (*.xlsx)"),
    ),
    ExportEntry(
        "contacts-csv",
        "contacts",
        "csv",
        N_("Contacts (CSV)…"),
        N_("contacts"),
        ".csv",
        N_("CSV file (*.csv)"),
    ),
    ExportEntry(
        "calendar-ics",
        "calendar",
        "ics",
        N_("Visits calendar (.ics)…"),
        N_("visits"),
        ".ics",
        N_("iCalendar (*.ics)"),
    ),
)
BACKUP = ExportEntry(
    "backup",
    "backup",
    "zip",
    N_("Back up profile…"),
    N_("AccountDesk backup"),
    ".adbackup",
    N_("AccountDesk backup (*.adbackup *.zip)"),
)


def run_export(
    ctx: AppContext, entry: ExportEntry, path: str, passphrase: str | None = None
) -> tuple[int, str]:
    """Write one export (runs on the database lane); returns ``(records, path)``. A backup is
    encrypted with ``passphrase``."""
    if entry.what == "backup":
        from ..io.backup import create_backup

        backup = create_backup(ctx, path, passphrase=passphrase)
        return backup.tables.get("clients", 0), str(backup.path)
    from ..io.exports import export_ical, export_table, export_vcard

    if entry.what == "calendar":
        result = export_ical(ctx, path)
    elif entry.format in ("vcf3", "vcf4"):
        result = export_vcard(ctx, path, "4.0" if entry.format == "vcf4" else "3.0")
    else:
        result = export_table(ctx, entry.what, path, entry.format)
    return result.count, str(result.path)


class FileActions(_WindowBase):
    """Import, export, back up, restore and find duplicates, off the GUI thread (the window's
    ``ctx``, ``tasks`` and status bar)."""

    # the main window's parts these methods use (MainWindow makes them)
    ctx: AppContext | None
    tasks: TaskManager
    settings: Settings | None
    # made by window_menus.build_menus
    #: Tests replace this: ``(title, suggested path, filter) -> path`` ("" for cancel).
    ask_save_path: Callable[[str, str, str], str]
    #: Tests put the person's answer here.
    ask_backup_passphrase: Callable[[], str | None]
    io_message: QMessageBox | None
    _io_handle: TaskHandle | None
    io_progress: QProgressBar
    file_menu: QMenu
    export_menu: QMenu
    tools_menu: QMenu
    help_menu: QMenu
    import_action: QAction
    export_actions: dict[str, QAction]
    backup_action: QAction
    restore_action: QAction
    duplicates_action: QAction
    about_action: QAction
    sync_action: QAction
    quit_action: QAction

    if TYPE_CHECKING:  # the window's own

        def open_client(self, client_id: str) -> None: ...
        def _refresh_pages(self) -> None: ...

    def import_file(
        self, client_id: str | None = None, client_name: str = "", kind: str | None = None
    ) -> ImportWizard | None:
        """The import wizard (clients, contacts or equipment; contacts or equipment into
        ``client_id`` when given; ``kind`` chosen beforehand)."""
        if self.ctx is None:
            return None
        from .dialogs.import_wizard import ImportWizard

        wizard = ImportWizard(
            self.ctx, self.tasks, self, client_id=client_id, client_name=client_name, kind=kind
        )
        wizard.imported.connect(lambda _result: self._refresh_pages())
        wizard.open()
        self._import_wizard = wizard
        return wizard

    def _ask_save_path(self, title: str, suggested: str, file_filter: str) -> str:
        from .file_dialogs import save_file

        return save_file(self, title, suggested, file_filter)

    def _ask_backup_passphrase(self) -> str | None:
        from .dialogs.passphrase import ask_passphrase

        return ask_passphrase(
            self,
            _(
                "The backup is encrypted with a passphrase you choose now. Keep it safe: without "
                "it the backup cannot be restored, here or on another computer."
            ),
            confirm=True,
        )

    def export(self, entry: ExportEntry) -> None:
        """Ask where to save, write the export in the background, say where it went."""
        if self.ctx is None or self._io_handle is not None:
            return
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(
            Path.home()
        )
        suggested = str(Path(docs) / f"{_(entry.name)}-{self.ctx.today().isoformat()}{entry.suffix}")
        title = _("Back up the profile") if entry.what == "backup" else _("Export")
        path = self.ask_save_path(title, suggested, _(entry.filter))
        if not path:
            return
        if not Path(path).suffix:
            path += entry.suffix
        passphrase = None
        if entry.what == "backup":
            passphrase = self.ask_backup_passphrase()
            if not passphrase:
                return
        ctx = self.ctx

        def work() -> tuple[int, str]:
            return run_export(ctx, entry, path, passphrase)

        self.io_progress.show()
        self.statusBar().showMessage(_("Backing up…") if entry.what == "backup" else _("Exporting…"))
        self._io_handle = self.tasks.run_db(
            work,
            on_result=lambda r: self._exported(entry, *r),
            on_error=self._io_failed,
            name=f"export-{entry.key}",
        )

    def _exported(self, entry: ExportEntry, count: int, path: str) -> None:
        self._io_finished()
        if entry.what == "backup":
            text = _("The profile was backed up to {file} ({n} clients with all their records).").format(
                n=count, file=path
            )
        elif entry.what == "calendar":
            text = _("{n} visits written to {file}.").format(n=count, file=path)
        elif entry.what == "contacts":
            text = _("{n} contacts written to {file}.").format(n=count, file=path)
        else:
            text = _("{n} clients written to {file}.").format(n=count, file=path)
        self.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Icon.Information, APP_NAME, text, QMessageBox.StandardButton.Ok, self)
        folder = box.addButton(_("Show in folder"), QMessageBox.ButtonRole.ActionRole)
        box.buttonClicked.connect(
            lambda b: (
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(path).parent))) if b is folder else None
            )
        )
        self.io_message = box
        box.open()

    def _io_failed(self, exc: BaseException) -> None:
        from .dialogs.import_wizard import error_text

        self._io_finished()
        text = _("The file was not written: {error}").format(error=error_text(exc))
        self.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, APP_NAME, text, QMessageBox.StandardButton.Ok, self)
        self.io_message = box
        box.open()

    def _io_finished(self) -> None:
        self._io_handle = None
        self.io_progress.hide()

    def restore_backup(self) -> RestoreDialog:
        from .dialogs.restore import RestoreDialog

        current = self.ctx.store.data_dir if self.ctx is not None else Path.home()
        dialog = RestoreDialog(self.tasks, self.settings, current, self)
        dialog.open()
        self._restore_dialog = dialog
        return dialog

    def find_duplicates(self) -> DuplicatesDialog | None:
        if self.ctx is None:
            return None
        from .dialogs.duplicates import DuplicatesDialog

        dialog = DuplicatesDialog(self.ctx, self.tasks, self)
        dialog.client_open_requested.connect(self.open_client)
        dialog.changed.connect(self._refresh_pages)
        dialog.open()
        self._duplicates_dialog = dialog
        return dialog
