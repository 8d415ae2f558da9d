"""The Attachments tab of a client: photos, certificates, signed agreements, e-mails kept with
the client or one of its records (issue 18).

Drop files or a folder onto the tab, paste an image (Ctrl+V), add files or import a folder of
phone photos; "Attach to" chooses the record (the client itself, a visit, a complaint, an
instrument, an SLA commitment, a value-added service). Thumbnails of photos and of PDF first
pages are made off the GUI thread. Open (double-click) hands a copy to the system's
application. Files not on this computer yet are fetched by the next sync ("Fetch now" starts
one); "Keep offline" decides whether this client's files stay on this computer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QSize,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QDesktopServices,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QImage,
    QKeySequence,
    QPixmap,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
)

from ...errors import AccountDeskError
from ...i18n import _
from ...labels import label
from ...models.enums import AttachmentKind
from ...permissions import may_write
from ...services import attachments as A
from ...services.attachments_offline import keeps_offline, request_file, set_keep_offline, transfer_errors
from .. import style
from ..forms import confirm_delete
from .base import Tab
from .common import icon

if TYPE_CHECKING:
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext
    from ..forms import Lookups
    from ..forms.lookups import LookupData

THUMB = 96
#: "Attach to" choices: field, entity, label msgid
TARGETS = (
    ("visit_id", "visit"),
    ("feedback_id", "feedback"),
    ("equipment_id", "equipment"),
    ("commitment_id", "service_commitment"),
    ("client_service_id", "client_service"),
)


def _target_prefix(entity: str) -> str:
    return {
        "visit": _("Visit"),
        "feedback": _("Feedback"),
        "equipment": _("Equipment"),
        "service_commitment": _("SLA commitment"),
        "client_service": _("Value-added service"),
    }[entity]


#: What a reload reads: lookups, the offline flag, the attachments, transfer errors by SHA-256.
_Read: TypeAlias = "tuple[LookupData, bool, list[dict[str, Any]], dict[str, str]]"


#: What attaching files gives: the new attachments' ids, problems (one line per file), files skipped.
Added: TypeAlias = "tuple[list[str], list[str], int]"


def attach_work(
    ctx: AppContext, client_id: str, paths: list[Path], to: tuple[str, str] | None
) -> Callable[[Callable[[int, int, str], None]], Added]:
    """The work of attaching ``paths`` (folders imported) to ``to``, for the database lane: no widget
    is touched; ``progress(done, total, file name)`` before each file."""

    def work(progress: Callable[[int, int, str], None]) -> Added:
        made: list[str] = []
        problems: list[str] = []
        skipped = 0
        for done, path in enumerate(paths):
            try:
                if path.is_dir():
                    result = A.import_folder(ctx, client_id, path, to=to, progress=progress)
                    made += result["added"]
                    skipped += result["skipped"]
                    problems += [f"{name}: {why}" for name, why in result["refused"]]
                else:
                    progress(done, len(paths), path.name)
                    made.append(A.add_file(ctx, client_id, path, to=to))
            except AccountDeskError as exc:
                problems.append(f"{path.name}: {exc.message}")
            except OSError as exc:  # gone or unreadable since it was chosen
                problems.append(f"{path.name}: {exc.strerror or exc}")
        return made, problems, skipped

    return work


class AttachmentsTab(Tab):
    """Every file kept with the client (see the module docstring)."""

    files_added = Signal(int)

    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)
        self.adding = False  # files being attached on the lane (add_paths)
        self.last_added: list[str] = []  # what the last add_paths attached
        self.tasks = None  # set by the workspace: reads on its database lane, thumbnails on its pool
        self.rows: list[dict[str, Any]] = []
        self._thumbs: dict[str, QIcon] = {}
        self._pending_thumbs: set[str] = set()
        self.setAcceptDrops(True)
        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(QLabel(_("Attach to:"), self))
        self.target = QComboBox(self)
        self.target.setObjectName("attachment_target")
        self.target.setMinimumWidth(220)
        bar.addWidget(self.target)
        self.add_button = QPushButton(icon("add"), _("Add files…"), self)
        self.add_button.setObjectName("attachment_add")
        self.add_button.clicked.connect(self.choose_files)
        self.folder_button = QPushButton(icon("folder"), _("Import a folder…"), self)
        self.folder_button.setObjectName("attachment_import_folder")
        self.folder_button.setToolTip(
            _("Attach the photos and scans of a folder, e.g. a phone's photos copied to this computer")
        )
        self.folder_button.clicked.connect(self.choose_folder)
        self.paste_button = QPushButton(_("Paste image"), self)
        self.paste_button.setObjectName("attachment_paste")
        self.paste_button.setToolTip(_("Attach the image on the clipboard (Ctrl+V)"))
        self.paste_button.clicked.connect(self.paste_image)
        for b in (self.add_button, self.folder_button, self.paste_button):
            bar.addWidget(b)
        bar.addStretch(1)
        self.keep = QCheckBox(_("Keep this client's files on this computer"), self)
        self.keep.setObjectName("attachment_keep_offline")
        self.keep.setToolTip(_("Off: the files are fetched from the server when you open them"))
        self.keep.toggled.connect(self._keep_toggled)
        bar.addWidget(self.keep)
        self.layout_.addLayout(bar)
        self.list = QListWidget(self)
        self.list.setObjectName("attachment_list")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 64, THUMB + 56))
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setAcceptDrops(True)
        self.list.itemDoubleClicked.connect(lambda _item: self.open_selected())
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.setStyleSheet(style.ATTACHMENT_LIST_CSS)
        self.layout_.addWidget(self.list, 1)
        self.hint = QLabel(_("Drop files or a folder here, or paste an image (Ctrl+V)."), self)
        self.hint.setObjectName("attachment_hint")
        self.hint.setStyleSheet(style.MUTED_CSS)
        self.layout_.addWidget(self.hint)
        actions = QHBoxLayout()
        self.open_button = QPushButton(_("Open file"), self)
        self.open_button.setObjectName("attachment_open")
        self.open_button.clicked.connect(self.open_selected)
        self.save_button = QPushButton(_("Save as…"), self)
        self.save_button.setObjectName("attachment_save")
        self.save_button.clicked.connect(self.save_selected)
        self.fetch_button = QPushButton(icon("sync"), _("Fetch now"), self)
        self.fetch_button.setObjectName("attachment_fetch")
        self.fetch_button.setToolTip(_("Fetch the selected files from the server (a sync)"))
        self.fetch_button.clicked.connect(self.fetch_selected)
        self.delete_button = QPushButton(_("Delete"), self)
        self.delete_button.setObjectName("attachment_delete")
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        for b in (self.open_button, self.save_button, self.fetch_button, self.delete_button):
            actions.addWidget(b)
        actions.addStretch(1)
        self.message = QLabel("", self)
        self.message.setObjectName("attachment_message")
        self.message.setWordWrap(True)
        actions.addWidget(self.message, 2)
        self.layout_.addLayout(actions)
        QShortcut(QKeySequence.StandardKey.Paste, self, lambda: self.paste_image())
        may_add = may_write(ctx.actor.role, "attachment", "create")
        for b in (self.add_button, self.folder_button, self.paste_button):
            b.setEnabled(may_add)
        self._update_buttons()

    # -- data ---------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the files, the records they may be attached to (those made in other tabs since
        included), and the offline flag on the database lane."""
        ctx, client_id, lookups = self.ctx, self.client_id, self.lookups
        refs = sorted({entity for _field, entity in TARGETS})

        def fetch() -> _Read:
            return (
                lookups.read(refs),
                keeps_offline(ctx, client_id),
                A.list_attachments(ctx, client_id),
                transfer_errors(ctx),
            )

        self.read(fetch, self._show)

    def _show(self, data: _Read) -> None:
        lookup_data, keeps, rows, errors = data
        self.lookups.apply(lookup_data)
        current = self.target.currentData()
        self.target.blockSignals(True)
        self.target.clear()
        self.target.addItem(_("The client itself"), "")
        for field, entity in TARGETS:
            for row_id, text in self.lookups.refs(entity):
                self.target.addItem(f"{_target_prefix(entity)}: {text}", f"{field}:{row_id}")
        index = self.target.findData(current) if current else 0
        self.target.setCurrentIndex(max(index, 0))
        self.target.blockSignals(False)
        self.keep.blockSignals(True)
        self.keep.setChecked(keeps)
        self.keep.blockSignals(False)
        self.rows = rows
        selected = {i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems()}
        self.list.clear()
        generic = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        for r in self.rows:
            title = r["title"] or _("(confidential)")
            item = QListWidgetItem(
                self._thumbs.get(r["sha256"] or "", generic), f"{title}\n{A.human_size(r['size'])}"
            )
            item.setData(Qt.ItemDataRole.UserRole, r["id"])
            tip = [r["file_name"] or "", label(AttachmentKind, r["kind"])]
            if r["attached_to"]:
                tip.append(_("Attached to: {record}").format(record=r["attached_to"]["label"]))
            if not r["available"]:
                item.setForeground(Qt.GlobalColor.gray)
                tip.append(_("Not on this computer yet"))
            if r["sha256"] and r["sha256"] in errors:
                tip.append(errors[r["sha256"]])
            if r["confidential"]:
                tip.append(_("Confidential"))
            item.setToolTip("\n".join(t for t in tip if t))
            self.list.addItem(item)
            if r["id"] in selected:
                item.setSelected(True)
        self.hint.setVisible(True)
        self._make_thumbnails()
        self._update_buttons()

    def _make_thumbnails(self) -> None:
        from ...reports.previews import can_preview

        todo = [
            r
            for r in self.rows
            if r["available"]
            and r["sha256"]
            and can_preview(r["media_type"])
            and r["sha256"] not in self._thumbs
            and r["sha256"] not in self._pending_thumbs
        ]
        for r in todo:
            self._pending_thumbs.add(r["sha256"])
            ctx, row_id, media, sha = self.ctx, r["id"], r["media_type"], r["sha256"]

            def work(ctx: AppContext = ctx, row_id: str = row_id, media: str = media) -> bytes | None:
                from ...reports.previews import thumbnail_png

                return thumbnail_png(A.read_bytes(ctx, row_id), media, THUMB * 2)

            def done(png: bytes | None, sha: str = sha) -> None:
                self._pending_thumbs.discard(sha)
                if png:
                    pixmap = QPixmap()
                    pixmap.loadFromData(png, "PNG")
                    self._thumbs[sha] = QIcon(pixmap)
                    self._apply_thumb(sha)

            if self.tasks is None:
                try:
                    done(work())
                except AccountDeskError:
                    self._pending_thumbs.discard(sha)
            else:
                self.tasks.run(
                    work,
                    on_result=done,
                    on_error=partial(self._thumb_failed, sha),
                    name="thumbnail",
                )

    def _thumb_failed(self, sha: str, _exc: BaseException) -> None:
        self._pending_thumbs.discard(sha)

    def _apply_thumb(self, sha: str) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            row = self._row(item.data(Qt.ItemDataRole.UserRole))
            if row is not None and row["sha256"] == sha:
                item.setIcon(self._thumbs[sha])

    def has_thumbnail(self, attachment_id: str) -> bool:
        row = self._row(attachment_id)
        return row is not None and (row["sha256"] or "") in self._thumbs

    def _row(self, attachment_id: str | None) -> dict[str, Any] | None:
        return next((r for r in self.rows if r["id"] == attachment_id), None)

    def selected_rows(self) -> list[dict[str, Any]]:
        ids = [i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems()]
        return [r for r in (self._row(i) for i in ids) if r is not None]

    def select(self, attachment_id: str) -> bool:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == attachment_id:
                self.list.clearSelection()
                item.setSelected(True)
                self.list.setCurrentItem(item)
                return True
        return False

    def _select(self, row_id: str | None) -> bool:
        return bool(row_id) and row_id is not None and self.select(row_id)

    def current_target(self) -> tuple[str, str] | None:
        """(field, record id) the next files are attached to; None: the client itself."""
        data = self.target.currentData()
        if not data:
            return None
        field, _sep, row_id = str(data).partition(":")
        return field, row_id

    def set_target(self, field: str, row_id: str) -> bool:
        index = self.target.findData(f"{field}:{row_id}")
        if index >= 0:
            self.target.setCurrentIndex(index)
        return index >= 0

    def _update_buttons(self) -> None:
        rows = self.selected_rows()
        self.open_button.setEnabled(len(rows) == 1)
        self.save_button.setEnabled(len(rows) == 1 and rows[0]["available"])
        self.fetch_button.setEnabled(any(not r["available"] and r["sha256"] for r in rows))
        self.delete_button.setEnabled(bool(rows) and may_write(self.ctx.actor.role, "attachment", "delete"))

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(style.DANGER_CSS if error else style.SUCCESS_CSS)
        self.message.setText(text)

    # -- adding -------------------------------------------------------------------------------
    def add_paths(self, paths: Sequence[str | Path]) -> None:
        """Attach files (folders are imported) on the database lane: hashing and storing a large
        file or a folder of phone photos must not freeze the window. Progress shows beside the
        list, then what was attached (:attr:`last_added`, :attr:`files_added`); :attr:`adding`
        is true meanwhile."""
        work = attach_work(self.ctx, self.client_id, [Path(p) for p in paths], self.current_target())
        self.adding = True
        if self.tasks is None:  # a tab used on its own (no lanes): at once
            self._added(work(lambda *_a: None))
            return
        self._say(_("Attaching…"))
        self.tasks.run_db(
            work,
            on_result=self._added,
            on_error=self._add_failed,
            on_progress=self._adding_progress,
            name="attach files",
            owner=self,
        )

    def _adding_progress(self, done: int, total: int, name: str) -> None:
        self._say(_("Attaching {name} ({done} of {total})…").format(name=name, done=done + 1, total=total))

    def _added(self, result: Added) -> None:
        made, problems, skipped = result
        self.adding = False
        self.last_added = made
        self._finish_adding(made, problems, skipped)

    def _add_failed(self, exc: BaseException) -> None:
        self.adding = False
        self.last_added = []
        # (what a file can be refused for is listed per file by the work; this is the unexpected)
        message = exc.message if isinstance(exc, AccountDeskError) else str(exc) or type(exc).__name__
        self._finish_adding([], [_("The files could not be attached: {message}").format(message=message)])

    def _finish_adding(self, made: list[str], problems: list[str], skipped: int = 0) -> None:
        if made:
            self.changed.emit("attachment")
            self.files_added.emit(len(made))
        self.reload()
        if made:

            def select_last() -> None:
                self.select(made[-1])

            self.then(select_last)
        parts = []
        if made:
            parts.append(_("{n} file(s) attached.").format(n=len(made)))
        if skipped:
            parts.append(_("{n} already attached.").format(n=skipped))
        parts += problems
        self._say("  ".join(parts), error=bool(problems))

    def choose_files(self) -> None:
        from ..file_dialogs import open_files

        paths = open_files(self, _("Attach files"))
        if paths:
            self.add_paths(paths)

    def choose_folder(self) -> None:
        from ..file_dialogs import choose_folder

        folder = choose_folder(self, _("Import the photos of a folder"))
        if folder:
            self.add_paths([folder])

    def paste_image(self, image: QImage | None = None) -> str | None:
        """Attach the clipboard's image (a screenshot, a photo copied from a chat) as a PNG."""
        if image is None:
            mime = QGuiApplication.clipboard().mimeData()
            if mime is not None and mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
                self.add_paths([u.toLocalFile() for u in mime.urls() if u.isLocalFile()])
                return None  # files copied in a file manager: attached on the lane
            image = QGuiApplication.clipboard().image()
        if image is None or image.isNull():
            self._say(_("The clipboard holds no image."), error=True)
            return None
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stub says bytes; PySide6 wants str
        buffer.close()
        name = _("Pasted image {stamp}.png").format(
            stamp=self.ctx.now().astimezone().strftime("%Y-%m-%d %H%M%S")
        )
        try:
            attachment_id = A.add_bytes(
                self.ctx,
                self.client_id,
                bytes(data.data()),
                name,
                to=self.current_target(),
                kind=AttachmentKind.PHOTO.value,
            )
        except AccountDeskError as exc:
            self._finish_adding([], [exc.message])
            return None
        self._finish_adding([attachment_id], [])
        return attachment_id

    # -- drag and drop ------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        mime = event.mimeData()
        if mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()) or mime.hasImage():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        if mime.hasUrls():
            self.add_paths([u.toLocalFile() for u in mime.urls() if u.isLocalFile()])
        elif mime.hasImage():
            self.paste_image(QImage(mime.imageData()))
        event.acceptProposedAction()

    # -- using the files ----------------------------------------------------------------------
    def open_selected(self) -> Path | None:
        """Hand the selected file to the system's application (a copy in the profile's folder)."""
        rows = self.selected_rows()
        if len(rows) != 1:
            return None
        try:
            path = A.open_copy(self.ctx, rows[0]["id"])
        except A.NotAvailable:
            self.fetch_selected()
            return None
        except AccountDeskError as exc:
            self._say(exc.message, error=True)
            return None
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        return path

    def save_selected(self, target: str | None = None) -> Path | None:
        rows = self.selected_rows()
        if len(rows) != 1:
            return None
        if target is None:
            from ..file_dialogs import save_file

            target = save_file(self, _("Save the file"), rows[0]["file_name"] or "")
            if not target:
                return None
        try:
            out = A.export_attachment(self.ctx, rows[0]["id"], target)
        except AccountDeskError as exc:
            self._say(exc.message, error=True)
            return None
        self._say(_("Saved {path}").format(path=str(out)))
        return out

    def fetch_selected(self) -> int:
        """Ask for the selected files and start a sync (rows, then files) when the window can."""
        asked = 0
        for r in self.selected_rows():
            if not r["available"] and r["sha256"]:
                try:
                    asked += int(request_file(self.ctx, r["id"]))
                except AccountDeskError as exc:
                    self._say(exc.message, error=True)
                    return asked
        window = self.window()
        if asked and hasattr(window, "sync_now"):
            window.sync_now()
            self._say(_("Fetching the file from the server…"))
        elif asked:
            self._say(_("The file is fetched at the next sync."))
        return asked

    def delete_selected(self, confirm: bool = True) -> int:
        rows = self.selected_rows()
        if not rows:
            return 0
        what = (
            rows[0]["title"] or rows[0]["file_name"] or ""
            if len(rows) == 1
            else _("{n} files").format(n=len(rows))
        )
        if confirm and not confirm_delete(self, what):
            return 0
        done = 0
        for r in rows:
            try:
                done += int(A.delete_attachment(self.ctx, r["id"]))
            except AccountDeskError as exc:
                self._say(exc.message, error=True)
        if done:
            self.changed.emit("attachment")
        self.reload()
        return done

    def _keep_toggled(self, on: bool) -> None:
        dropped = set_keep_offline(self.ctx, self.client_id, on)
        if on:
            self._say(
                _("This client's files are kept on this computer; missing ones come with the next sync.")
            )
        else:
            self._say(
                _("This client's files are fetched when opened ({n} removed from this computer).").format(
                    n=dropped
                )
            )
        self.reload()
