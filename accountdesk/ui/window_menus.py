"""The main window's menu bar: File (import, exports, backup and restore, sync, quit), Tools
(find duplicates) and Help (about). Plain functions on the window: the actions are kept on it
(``window.import_action``, ``window.export_actions``, …) and trigger its file actions
(:class:`.window_io.FileActions`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox, QProgressBar

from ..i18n import _
from ..paths import APP_NAME
from . import icons
from .window_io import BACKUP, EXPORTS

if TYPE_CHECKING:
    from .main_window import MainWindow


def build_menus(window: MainWindow) -> None:
    """The menus and the status bar's progress bar of file work (texts set by :func:`retranslate`)."""
    #: Tests replace this: ``(title, suggested path, filter) -> path`` ("" for cancel).
    window.ask_save_path = window._ask_save_path
    window.ask_backup_passphrase = window._ask_backup_passphrase  # tests put the person's answer here
    window.io_message = None
    window._io_handle = None
    bar = window.menuBar()
    window.file_menu = bar.addMenu("")
    window.import_action = QAction(window)
    window.import_action.setShortcut(QKeySequence("Ctrl+I"))
    window.import_action.triggered.connect(lambda: window.import_file())
    window.file_menu.addAction(window.import_action)
    window.export_menu = window.file_menu.addMenu("")
    window.export_actions = {}
    for i, entry in enumerate(EXPORTS):
        if i and entry.what != EXPORTS[i - 1].what:
            window.export_menu.addSeparator()
        action = window.export_menu.addAction("")
        action.triggered.connect(lambda _checked=False, e=entry: window.export(e))
        window.export_actions[entry.key] = action
    window.file_menu.addSeparator()
    window.backup_action = window.file_menu.addAction("")
    window.backup_action.triggered.connect(lambda: window.export(BACKUP))
    window.restore_action = window.file_menu.addAction("")
    window.restore_action.triggered.connect(window.restore_backup)
    window.file_menu.addSeparator()
    window.file_menu.addAction(window.sync_action)
    window.file_menu.addSeparator()
    window.file_menu.addAction(window.quit_action)
    window.tools_menu = bar.addMenu("")
    window.duplicates_action = window.tools_menu.addAction("")
    window.duplicates_action.triggered.connect(window.find_duplicates)
    window.help_menu = bar.addMenu("")
    window.about_action = window.help_menu.addAction("")
    window.about_action.triggered.connect(window.about)
    window.io_progress = QProgressBar()
    window.io_progress.setRange(0, 0)
    window.io_progress.setMaximumWidth(140)
    window.io_progress.hide()
    window.statusBar().addPermanentWidget(window.io_progress)


def retranslate(window: MainWindow) -> None:
    window.sync_action.setText(_("Sync now"))
    window.quit_action.setText(_("Quit"))
    window.file_menu.setTitle(_("&File"))
    window.import_action.setText(_("Import…"))
    window.export_menu.setTitle(_("Export"))
    for entry in EXPORTS:
        window.export_actions[entry.key].setText(_(entry.title))
    window.backup_action.setText(_(BACKUP.title))
    window.restore_action.setText(_("Restore from backup…"))
    window.tools_menu.setTitle(_("&Tools"))
    window.duplicates_action.setText(_("Find duplicates…"))
    window.help_menu.setTitle(_("&Help"))
    window.about_action.setText(_("About AccountDesk"))
    for action in (
        window.import_action,
        window.export_menu.menuAction(),
        window.backup_action,
        window.duplicates_action,
    ):
        action.setEnabled(window.ctx is not None)


def show_about(window: MainWindow) -> None:
    """Help → About: the version, what the program is for and how the profile is protected."""
    from .. import __version__
    from ..services import security

    box = QMessageBox(
        QMessageBox.Icon.NoIcon, _("About AccountDesk"), "", QMessageBox.StandardButton.Ok, window
    )
    box.setIconPixmap(icons.app_icon().pixmap(64, 64))
    box.setText(f"<b>{APP_NAME}</b> {__version__}")
    state = security.status(window.ctx)["text"] if window.ctx is not None else ""
    box.setInformativeText(
        _(
            "A workstation for key-account managers: clients, contacts, visits, service and "
            "feedback, offline on this computer and synced with your team's server."
        )
        + ("\n\n" + state if state else "")
    )
    window.io_message = box
    box.open()
