"""Files dropped onto a row of a workspace list (a visit, complaint, instrument, SLA commitment or
value-added service) are attached to that record, on the database lane."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractProxyModel, QEvent, QObject
from PySide6.QtGui import QDropEvent

from ...i18n import _
from ...permissions import may_write
from .attachments import TARGETS, Added, attach_work

if TYPE_CHECKING:
    from PySide6.QtCore import QPoint

    from .common import RecordPanel

#: entity of a workspace list -> the attachment field naming one of its rows
PARENT_FIELDS = {entity: field for field, entity in TARGETS}


class _FileDrop(QObject):
    """Files dropped onto a row of a visit, complaint, instrument, SLA or value-added service
    list are attached to that record."""

    def __init__(self, panel: RecordPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.field = PARENT_FIELDS[panel.entity]

    def _row_at(self, pos: QPoint) -> dict[str, Any] | None:
        index = self.panel.view.indexAt(pos)
        if not index.isValid():
            return None
        model = index.model()
        source = model.mapToSource(index) if isinstance(model, QAbstractProxyModel) else index
        rows = self.panel.model.rows
        return rows[source.row()] if 0 <= source.row() < len(rows) else None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(event, QDropEvent):  # drag enter and move are drop events too
            return False
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            mime = event.mimeData()
            if mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
                pos = event.position().toPoint()
                if kind == QEvent.Type.DragEnter or self._row_at(pos) is not None:
                    event.acceptProposedAction()
                    return True
            return False
        if kind == QEvent.Type.Drop:
            row = self._row_at(event.position().toPoint())
            if row is None:
                return False
            paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
            event.acceptProposedAction()
            panel = self.panel
            work = attach_work(panel.ctx, panel.client_id, paths, (self.field, row["id"]))
            if panel.tasks is None:  # a list used on its own (no lanes): at once
                self._attached(work(lambda *_a: None))
            else:  # hashing and storing large files must not freeze the window
                panel.title.setToolTip(_("Attaching…"))
                panel.tasks.run_db(work, on_result=self._attached, name="attach dropped files", owner=panel)
            return True
        return False

    def _attached(self, result: Added) -> None:
        made, problems, _skipped = result
        if made:
            self.panel.changed.emit("attachment")
        self.panel.setToolTip("\n".join(problems))
        self.panel.title.setToolTip(
            _("{n} file(s) attached.").format(n=len(made)) + ("\n" + "\n".join(problems) if problems else "")
        )
        self.last = (made, problems)


def accept_file_drops(panel: RecordPanel) -> bool:
    """Let files be dropped onto the rows of ``panel`` (a workspace list) when its records can
    hold attachments; returns whether it does."""
    if getattr(panel, "entity", None) not in PARENT_FIELDS or not may_write(
        panel.ctx.actor.role, "attachment", "create"
    ):
        return False
    drop = _FileDrop(panel)
    panel.file_drop = drop
    panel.view.setAcceptDrops(True)
    panel.view.viewport().setAcceptDrops(True)
    panel.view.viewport().installEventFilter(drop)
    return True
