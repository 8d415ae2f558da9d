"""Review the edits that lost a merge: both values, who and when, keep either."""

from __future__ import annotations

import datetime as dt
import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ...domain.schema import SCHEMAS
from ...domain.validation import format_phone
from ...errors import AccountDeskError
from ...i18n import _
from ...labels import label
from ...models import model_for
from ...services import workspace as ws
from ...sync.clock import HLC
from .. import style
from ..forms.fmt import fmt_datetime, fmt_value
from ..item_models.columns import Column
from ..item_models.records import RecordTableModel
from ..lane_reads import LaneReads, error_text
from ..widgets.tables import make_table
from .base import entity_name

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ..tasks import TaskManager


def hlc_time(hlc: str | None) -> dt.datetime | None:
    if not hlc:
        return None
    try:
        return dt.datetime.fromtimestamp(HLC.decode(hlc).wall_ms / 1000, dt.UTC)
    except (ValueError, TypeError):
        return None


def field_title(entity: str, field: str | None) -> str:
    if field is None:
        return _("(deleted record)")
    s = SCHEMAS.get(entity, {}).get(field)
    return s.title if s is not None else field


def value_text(entity: str, field: str | None, value: Any, names: dict[str, str]) -> str:
    s = SCHEMAS.get(entity, {}).get(field or "")
    if s is not None and value is not None:
        if s.kind == "enum" and s.enum is not None:
            return label(s.enum, value)
        if s.kind == "user":
            return str(names.get(value, value))
        if s.kind == "users":
            return ", ".join(names.get(v, v) for v in value)
        if s.kind in ("mobile", "phone"):
            return format_phone(value)
    if isinstance(value, dict):
        return "; ".join(f"{field_title(entity, k)}: {fmt_value(v)}" for k, v in value.items())
    return fmt_value(value)


class ValueBox(QFrame):
    keep = Signal()

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("valuebox")
        self.setStyleSheet(style.VALUE_BOX_CSS)
        lay = QVBoxLayout(self)
        self.title = QLabel(f"<b>{html.escape(title)}</b>", self)
        self.value = QLabel("", self)
        self.value.setWordWrap(True)
        self.value.setStyleSheet(style.CONFLICT_VALUE_CSS)
        self.who = QLabel("", self)
        self.who.setStyleSheet(style.MUTED_FLAT_CSS)
        self.button = QPushButton(_("Keep this value"), self)
        for w in (self.title, self.value, self.who):
            lay.addWidget(w)
        lay.addStretch(1)
        lay.addWidget(self.button)
        self.button.clicked.connect(self.keep)


class ConflictsDialog(QDialog):
    """Lists unresolved conflicts (of one client, or all); each is resolved by keeping a value."""

    resolved = Signal(str)  # conflict id

    loaded = Signal()

    def __init__(
        self,
        ctx: AppContext,
        client_id: str | None = None,
        parent: QWidget | None = None,
        *,
        tasks: TaskManager | None = None,
    ):
        """Given ``tasks``, the conflicts are read on the database lane ("Loading…" until then)."""
        super().__init__(parent)
        self.ctx = ctx
        self.client_id = client_id
        self.names: dict[str, str] = {}
        self.reads = LaneReads(self, "conflicts")
        self.reads.tasks = tasks
        self.setWindowTitle(_("Conflicts to review"))
        self.resize(860, 520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 14, 16, 12)
        intro = QLabel(
            _(
                "The same field was changed on two devices. The newer change was kept; "
                "check it, and keep the other value if that one is right."
            ),
            self,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.model = RecordTableModel(
            [
                Column(
                    "created_at",
                    _("Found"),
                    lambda r: fmt_datetime(r["created_at"]),
                    sort=lambda r: r["created_at"],
                    width=125,
                ),
                Column("client_name", _("Client"), width=120),
                Column("entity", _("Record"), lambda r: entity_name(r["entity"]), width=70),
                Column("field", _("Field"), lambda r: field_title(r["entity"], r["field"])),
            ],
            self,
        )
        self.view = make_table(self.model, self)
        self.view.setObjectName("conflicts")
        split = QSplitter(self)
        split.addWidget(self.view)
        detail = QWidget(self)
        dl = QHBoxLayout(detail)
        dl.setContentsMargins(8, 0, 0, 0)
        self.kept_box = ValueBox(_("Current value"), detail)
        self.lost_box = ValueBox(_("Other value"), detail)
        self.kept_box.setObjectName("kept")
        self.lost_box.setObjectName("lost")
        dl.addWidget(self.kept_box)
        dl.addWidget(self.lost_box)
        split.addWidget(detail)
        split.setSizes([420, 440])
        layout.addWidget(split, 1)
        self.empty = QLabel(_("No conflicts to review. Everything is in sync."), self)
        self.empty.setStyleSheet(style.SUCCESS_NOTE_CSS)
        layout.addWidget(self.empty)
        self.message = QLabel("", self)
        self.message.setStyleSheet(style.ERROR_CSS)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(_("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.view.selectionModel().selectionChanged.connect(self._show)
        self.kept_box.keep.connect(lambda: self.keep("kept"))
        self.lost_box.keep.connect(lambda: self.keep("lost"))
        self.reload()

    @property
    def loading(self) -> bool:
        return self.reads.loading

    def reload(self) -> None:
        ctx, client_id = self.ctx, self.client_id
        if not self.model.rows:
            self.empty.setText(_("Loading…"))

        def fetch() -> tuple[dict[str, str], list[dict[str, Any]]]:
            names = ws.user_names(ctx)
            return names, [vars(c) | {"id": c.id} for c in ws.list_conflicts(ctx, client_id=client_id)]

        self.reads.read(fetch, self._landed, lambda exc: self.message.setText(error_text(exc)))

    def _landed(self, data: tuple[dict[str, str], list[dict[str, Any]]]) -> None:
        self.names, rows = data
        self.empty.setText(_("No conflicts to review. Everything is in sync."))
        self.model.set_rows(rows)
        self.empty.setVisible(not rows)
        if rows:
            self.view.selectRow(0)
        self._show()
        self.loaded.emit()

    def current(self) -> dict[str, Any] | None:
        sel = self.view.selectionModel().selectedRows()
        return self.model.rows[sel[0].row()] if sel else None

    def _side(
        self,
        box: ValueBox,
        value: Any,
        user: str,
        hlc: str | None,
        mine: bool,
        entity: str,
        field: str | None,
    ) -> None:
        box.value.setText(html.escape(value_text(entity, field, value, self.names)))
        when = hlc_time(hlc)
        box.who.setText(
            _("{who}, {when}").format(who=user or _("unknown"), when=fmt_datetime(when) if when else "—")
        )
        box.button.setText(_("Keep mine") if mine else _("Keep theirs"))

    def _show(self, *_a: object) -> None:
        c = self.current()
        for box in (self.kept_box, self.lost_box):
            box.setEnabled(c is not None)
        if c is None:
            for box in (self.kept_box, self.lost_box):
                box.value.setText("")
                box.who.setText("")
            return
        me = self.names.get(self.ctx.actor.id, "")
        kept_mine = c["kept_by"] == me and c["lost_by"] != me
        self._side(
            self.kept_box, c["kept_value"], c["kept_by"], c["kept_hlc"], kept_mine, c["entity"], c["field"]
        )
        self._side(
            self.lost_box,
            c["lost_value"],
            c["lost_by"],
            c["lost_hlc"],
            not kept_mine and c["lost_by"] == me,
            c["entity"],
            c["field"],
        )
        if c["kept_by"] != me and c["lost_by"] != me:
            self.kept_box.button.setText(_("Keep this value"))
            self.lost_box.button.setText(_("Keep this value"))
        try:
            model_for(c["entity"])
        except KeyError:
            self.lost_box.setEnabled(False)

    def keep(self, which: str) -> bool:
        c = self.current()
        if c is None:
            return False
        self.message.setText("")
        try:
            ws.resolve_conflict(self.ctx, c["id"], which)
        except AccountDeskError as exc:
            self.message.setText("; ".join(m for _f, m in getattr(exc, "errors", [(None, exc.message)])))
            return False
        self.resolved.emit(c["id"])
        self.reload()
        return True
