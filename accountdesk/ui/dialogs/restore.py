"""Restore from backup: a backup goes into an EMPTY data folder, never over the profile in use
(``io/backup.py``). The dialog explains that, checks the backup and the folder, restores, and
offers to open that folder from the next start (the data-folder setting)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from ...errors import ValidationError
from ...i18n import _
from .import_common import error_text

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ..settings import Settings
    from ..tasks import TaskManager


class RestoreDialog(QDialog):
    #: The backup was restored into this folder.
    restored = Signal(str)

    def __init__(
        self,
        tasks: TaskManager,
        settings: Settings | None,
        current_dir: Path | str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._settings = settings
        self._current = Path(current_dir)
        #: Tests replace these two: functions returning a path ("" for none).
        self.ask_backup = self._ask_backup
        self.ask_folder = self._ask_folder
        self.manifest: dict[str, Any] | None = None
        self.restored_dir: str | None = None
        self.setWindowTitle(_("Restore from backup"))
        self.setMinimumWidth(620)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        layout.setSpacing(12)
        note = QLabel(
            _(
                "A backup is restored into a new, empty data folder — never over the profile you are using now "
                "({folder}). Choose the backup and an empty folder; AccountDesk checks the backup and restores it "
                "there. Then you can switch the app to that folder. The restored profile is the same device as the "
                "one backed up: use it to replace that laptop, not beside it."
            ).format(folder=self._current)
        )
        note.setObjectName("Note")
        note.setWordWrap(True)
        layout.addWidget(note)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(6)
        row = QHBoxLayout()
        self.backup_edit = QLineEdit()
        self.backup_edit.setReadOnly(True)
        self.backup_button = QPushButton(_("Browse…"))
        self.backup_button.clicked.connect(self.choose_backup)
        row.addWidget(self.backup_edit, 1)
        row.addWidget(self.backup_button)
        form.addRow(_("Backup file"), row)
        self.backup_info = QLabel()
        self.backup_info.setObjectName("Hint")
        self.backup_info.setWordWrap(True)
        form.addRow("", self.backup_info)
        self.passphrase_edit = QLineEdit()
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.textChanged.connect(lambda _t: self._update())
        self.passphrase_label = QLabel(_("Passphrase"))
        form.addRow(self.passphrase_label, self.passphrase_edit)
        self.passphrase_label.hide()
        self.passphrase_edit.hide()
        row = QHBoxLayout()
        self.folder_edit = QLineEdit()
        self.folder_edit.setReadOnly(True)
        self.folder_button = QPushButton(_("Browse…"))
        self.folder_button.clicked.connect(self.choose_folder)
        row.addWidget(self.folder_edit, 1)
        row.addWidget(self.folder_button)
        form.addRow(_("Empty folder"), row)
        self.folder_info = QLabel()
        self.folder_info.setObjectName("Hint")
        self.folder_info.setWordWrap(True)
        form.addRow("", self.folder_info)
        layout.addLayout(form)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.use_button = QPushButton(_("Use this folder from the next start"))
        self.use_button.setObjectName("Primary")
        self.use_button.clicked.connect(self.use_folder)
        self.use_button.hide()
        self.restore_button = QPushButton(_("Restore"))
        self.restore_button.setObjectName("Primary")
        self.restore_button.clicked.connect(self.restore)
        self.close_button = QPushButton(_("Cancel"))
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.restore_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self._folder_ok = False
        self._update()

    def _encrypted(self) -> bool:
        return bool(self.manifest and (self.manifest.get("encryption") or {}).get("kdf"))

    def _update(self) -> None:
        self.restore_button.setEnabled(
            self.manifest is not None
            and self._folder_ok
            and self.restored_dir is None
            and (not self._encrypted() or bool(self.passphrase_edit.text()))
        )

    def _error(self, label: QLabel, message: str) -> None:
        label.setObjectName("Error")
        label.setText(message)
        label.style().unpolish(label)
        label.style().polish(label)

    def _hint(self, label: QLabel, message: str) -> None:
        label.setObjectName("Hint")
        label.setText(message)
        label.style().unpolish(label)
        label.style().polish(label)

    def _ask_backup(self) -> str:
        docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(
            Path.home()
        )
        path, _f = QFileDialog.getOpenFileName(
            self, _("Choose the backup"), docs, _("AccountDesk backups (*.adbackup *.zip);;All files (*)")
        )
        return path

    def _ask_folder(self) -> str:
        return QFileDialog.getExistingDirectory(
            self, _("Choose an empty folder for the restored profile"), str(self._current.parent)
        )

    def choose_backup(self) -> None:
        path = self.ask_backup()
        if not path:
            return
        self.backup_edit.setText(path)
        self.manifest = None
        self._update()

        def work() -> dict[str, Any]:
            from ...io.backup import read_manifest

            return read_manifest(path)

        self._hint(self.backup_info, _("Checking the backup…"))
        self._tasks.run(
            work,
            on_result=self._manifest_read,
            on_error=lambda exc: self._error(self.backup_info, error_text(exc)),
            name="read-backup",
        )

    def _manifest_read(self, manifest: dict[str, Any]) -> None:
        self.manifest = manifest
        tables = manifest.get("tables", {})
        self._hint(
            self.backup_info,
            _("Backup of {date} from AccountDesk {version}: {clients} clients, {contacts} contacts.").format(
                date=_short(manifest.get("created_at")),
                version=manifest.get("app_version", "?"),
                clients=tables.get("clients", 0),
                contacts=tables.get("contacts", 0),
            )
            + (
                " " + _("It is encrypted: enter the passphrase it was made with.")
                if self._encrypted()
                else ""
            ),
        )
        self.passphrase_label.setVisible(self._encrypted())
        self.passphrase_edit.setVisible(self._encrypted())
        self._update()

    def choose_folder(self) -> None:
        folder = self.ask_folder()
        if not folder:
            return
        self.folder_edit.setText(folder)
        from ...io.backup import profile_is_empty

        path = Path(folder)
        if path.resolve() == self._current.resolve():
            self._folder_ok = False
            self._error(self.folder_info, _("This is the data folder in use; choose a new, empty folder."))
        elif not profile_is_empty(path):
            self._folder_ok = False
            self._error(
                self.folder_info,
                _("This folder already holds a profile with client data; choose an empty folder."),
            )
        else:
            self._folder_ok = True
            self._hint(self.folder_info, _("The profile will be restored into this folder."))
        self._update()

    def restore(self) -> None:
        backup, folder = self.backup_edit.text(), self.folder_edit.text()
        passphrase = self.passphrase_edit.text() if self._encrypted() else None

        def work() -> dict[str, Any]:
            from ...io.backup import restore_backup
            from ...services import security

            if passphrase:  # where there is no system keyring, the restored profile keeps this passphrase
                security.use_passphrase(passphrase)
            return restore_backup(backup, folder, passphrase=passphrase)

        self.restore_button.setEnabled(False)
        self.progress.show()
        self._tasks.run(
            work, on_result=lambda _m: self._restored(folder), on_error=self._failed, name="restore"
        )

    def _restored(self, folder: str) -> None:
        self.progress.hide()
        self.restored_dir = folder
        self.result_label.setText(
            _(
                "Restored into {folder}. To work with it, use this folder from the next start "
                "(Settings › Data folder) and restart AccountDesk."
            ).format(folder=folder)
        )
        self.result_label.show()
        self.use_button.show()
        self.close_button.setText(_("Close"))
        self.restored.emit(folder)
        self._update()

    def _failed(self, exc: BaseException) -> None:
        self.progress.hide()
        field = exc.field if isinstance(exc, ValidationError) else ""
        self._error(self.backup_info if field == "file" else self.folder_info, error_text(exc))
        self._update()

    def use_folder(self) -> None:
        if self.restored_dir is None:
            return
        if self._settings is not None:
            self._settings.set("data_dir", self.restored_dir)
        self.use_button.setEnabled(False)
        self.result_label.setText(
            _(
                "From the next start AccountDesk opens {folder}. Restart AccountDesk now to "
                "work with the restored profile."
            ).format(folder=self.restored_dir)
        )


def _short(value: object) -> str:
    import datetime as dt

    try:
        return (
            dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            .astimezone()
            .strftime("%Y-%m-%d %H:%M")
        )
    except ValueError:
        return str(value or "?")
