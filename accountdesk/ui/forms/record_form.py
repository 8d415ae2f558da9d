"""A form built from the FieldSpecs of an entity, and the dialog that saves it through the services.

Nothing is written until the services accept the whole form: a ValidationError's
``errors [(field, message)]`` are shown under each field and the dialog stays open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import SIGNAL, QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...domain.schema import SCHEMAS, FieldSpec
from ...errors import AccountDeskError, ValidationError
from ...i18n import _
from ...services import records
from .. import style
from .editors import ChoiceEditor, Editor, MultiChoiceEditor, PickListEditor, make_editor, pick_list
from .lookups import Lookups

if TYPE_CHECKING:
    from ...services.context import AppContext

ERROR_STYLE = style.FIELD_ERROR_CSS
#: (entity, user field) -> the users field whose members may not be chosen (recusal).
RECUSAL = {("feedback", "handler_id"): "involved_user_ids"}


def visible_fields(ctx: AppContext, entity: str, fields: Iterable[str] | None = None) -> list[FieldSpec]:
    """The fields of an entity a user may see in a form (no confidential ones for field staff)."""
    schema = SCHEMAS[entity]
    names = list(fields) if fields is not None else list(schema)
    sees = ctx.actor.sees_confidential
    out = []
    for name in names:
        s = schema[name]
        if s.confidential and not sees and not _flag_confidential(entity, name):
            continue
        out.append(s)
    return out


def _flag_confidential(entity: str, name: str) -> bool:
    """Service-note text is confidential only when the note is marked confidential."""
    return entity == "service_note" and name == "text"


class RecordForm(QWidget):
    """Editors for some fields of ``entity``; ``values()`` gives raw input for the services.
    Right-clicking a field's label offers its history (``history_requested``)."""

    changed = Signal()
    history_requested = Signal(str)  # field

    def __init__(
        self,
        ctx: AppContext,
        entity: str,
        *,
        client_id: str | None = None,
        fields: Iterable[str] | None = None,
        lookups: Lookups | None = None,
        columns: int | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ctx = ctx
        self.entity = entity
        self.lookups = lookups or Lookups(ctx, client_id)
        self.specs = visible_fields(ctx, entity, fields)
        self.editors: dict[str, Editor] = {}
        self.labels: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        if columns is None:
            columns = 2 if len(self.specs) > 9 else 1
        self.columns = columns
        row = 0
        col = 0
        for s in self.specs:
            users = self.lookups.users() if s.kind in ("user", "users") else []
            refs = self.lookups.refs(s.ref) if s.kind in ("ref", "refs") and s.ref else None
            choices = pick_list(entity, s.name) if s.kind == "str" else None
            editor = (
                PickListEditor(s, choices) if choices is not None else make_editor(s, users=users, refs=refs)
            )
            editor.changed.connect(self.changed)
            # A corrected field loses its error at once, not at the next Save.
            editor.changed.connect(lambda name=s.name: self._clear_error(name))
            if s.kind == "user" and isinstance(editor, ChoiceEditor):
                editor.describe = self.lookups.user_name
            text = s.title + (" *" if s.required else "")
            lab = QLabel(text, self)
            lab.setObjectName(f"label_{s.name}")
            lab.setBuddy(editor.focus_widget())
            lab.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            lab.setContentsMargins(0, 5, 0, 0)
            lab.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            lab.customContextMenuRequested.connect(lambda pos, n=s.name, w=lab: self._label_menu(n, w, pos))
            err = QLabel("", self)
            err.setObjectName(f"error_{s.name}")
            err.setStyleSheet(ERROR_STYLE)
            err.setWordWrap(True)
            err.hide()
            wide = s.kind in ("text", "users", "refs") and columns > 1
            if wide and col:
                row += 2
                col = 0
            grid.addWidget(lab, row, col * 2)
            span = 3 if wide else 1
            grid.addWidget(editor, row, col * 2 + 1, 1, span)
            grid.addWidget(err, row + 1, col * 2 + 1, 1, span)
            self.editors[s.name] = editor
            self.labels[s.name] = lab
            if (
                entity == "client"
                and s.name == "city"
                and isinstance(self.editors.get("province"), PickListEditor)
            ):
                self.editors["province"].changed.connect(self._province_changed)
            self.errors[s.name] = err
            if wide or col + 1 >= columns:
                row += 2
                col = 0
            else:
                col += 1
        for c in range(columns):
            grid.setColumnStretch(c * 2 + 1, 1)
        grid.setRowStretch(row + 2, 1)
        for (ent, field), source in RECUSAL.items():
            if ent == entity and field in self.editors and source in self.editors:
                self._wire_recusal(field, source)

    def _label_menu(self, name: str, widget: QLabel, pos: QPoint) -> None:
        if not self.receivers(SIGNAL("history_requested(QString)")):
            return
        menu = QMenu(self)
        menu.addAction(_("History of this field…"), lambda: self.history_requested.emit(name))
        menu.popup(widget.mapToGlobal(pos))

    # -- recusal -------------------------------------------------------------------------------
    def _wire_recusal(self, field: str, source: str) -> None:
        target = self.editors[field]
        involved = self.editors[source]
        assert isinstance(target, ChoiceEditor) and isinstance(involved, MultiChoiceEditor)

        def update() -> None:
            target.exclude(set(involved.value()))

        involved.changed.connect(update)
        update()

    # -- values --------------------------------------------------------------------------------
    def set_values(self, values: dict[str, Any]) -> None:
        # references and lists first, so that recusal sees the involved staff before the handler
        order = sorted(self.editors, key=lambda n: 0 if isinstance(self.editors[n], MultiChoiceEditor) else 1)
        for name in order:
            if name in values:
                self.editors[name].set_value(values[name])
        for editor in self.editors.values():
            editor.mark_clean()

    def values(self, *, only_modified: bool = False) -> dict[str, Any]:
        return {
            name: editor.value()
            for name, editor in self.editors.items()
            if not only_modified or editor.is_modified()
        }

    def editor(self, name: str) -> Editor:
        return self.editors[name]

    # -- errors --------------------------------------------------------------------------------
    def _province_changed(self) -> None:
        """The city list offers the cities of the chosen province (any city without one)."""
        from ...domain.catalogues import cities

        city = self.editors.get("city")
        if isinstance(city, PickListEditor):
            province = self.editors["province"].value()
            listed = cities(province) or cities()
            city.set_choices([(c.name, c.name) for c in listed])

    def _clear_error(self, name: str) -> None:
        err = self.errors.get(name)
        if err is not None and not err.isHidden():
            err.hide()
            err.setText("")

    def clear_errors(self) -> None:
        for name, lab in self.errors.items():
            lab.hide()
            lab.setText("")
            self.editors[name].set_invalid(False)

    def show_errors(self, errors: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Show each message under its field; returns the ones that belong to no field here."""
        self.clear_errors()
        rest = []
        first = None
        for field, message in errors:
            lab = self.errors.get(field)
            if lab is None:
                rest.append((field, message))
                continue
            lab.setText(message if not lab.text() else lab.text() + "\n" + message)
            lab.show()
            self.editors[field].set_invalid(True)
            first = first or field
        if first:
            self.editors[first].focus_widget().setFocus()
        return rest

    def error_text(self, field: str) -> str:
        lab = self.errors.get(field)
        return lab.text() if lab is not None and not lab.isHidden() else ""


class RecordDialog(QDialog):
    """Create or edit one record. ``saved`` carries the row id once the services accepted it."""

    saved = Signal(str)
    field_history_requested = Signal(str)  # field (edit mode only)

    def __init__(
        self,
        ctx: AppContext,
        entity: str,
        *,
        client_id: str | None = None,
        row_id: str | None = None,
        fields: Iterable[str] | None = None,
        defaults: dict[str, Any] | None = None,
        title: str | None = None,
        lookups: Lookups | None = None,
        before_save: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        original: dict[str, Any] | None = None,
        parent: QWidget | None = None,
    ):
        """``original``: the record as the caller read it (a workspace tab's row: the dialog
        then reads nothing on the GUI thread); without it an edited record is read here."""
        super().__init__(parent)
        self.ctx = ctx
        self.entity = entity
        self.client_id = client_id
        self.row_id = row_id
        self.saved_id: str | None = None
        self._before_save = before_save
        self.setObjectName(f"RecordDialog_{entity}")
        self.setWindowTitle(title or (_("Edit") if row_id else _("New")))
        self.setModal(True)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(18, 16, 18, 12)
        outer.setSpacing(10)
        self.general_error = QLabel("", self)
        self.general_error.setObjectName("general_error")
        self.general_error.setWordWrap(True)
        self.general_error.setStyleSheet(style.ERROR_BANNER_CSS)
        self.general_error.hide()
        outer.addWidget(self.general_error)
        self.form = RecordForm(ctx, entity, client_id=client_id, fields=fields, lookups=lookups)
        self.original: dict[str, Any] = {}
        if row_id:
            self.original = (
                dict(original) if original is not None else records.get_record(ctx, entity, row_id)
            )
            self.form.set_values(self.original)
            self.form.history_requested.connect(self.field_history_requested)
        elif defaults:
            self.form.set_values(defaults)
            for name in defaults:  # defaults are to be saved even if untouched
                if name in self.form.editors:
                    self.form.editors[name]._initial = object()
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        holder = QWidget()
        hl = QVBoxLayout(holder)
        hl.setContentsMargins(0, 0, 8, 0)
        hl.addWidget(self.form)
        scroll.setWidget(holder)
        outer.addWidget(scroll, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(_("Save"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        hint = self.form.sizeHint()
        wide = 720 if self.form.columns > 1 else 460
        self.resize(max(wide, min(hint.width() + 60, 980)), max(240, min(hint.height() + 120, 720)))

    @property
    def save_button(self) -> QPushButton:
        button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        assert button is not None  # the dialog's button box has Save
        return button

    def save(self) -> bool:
        """Validate and write; on any problem show it and write nothing."""
        self.general_error.hide()
        self.form.clear_errors()
        values = self.form.values(only_modified=bool(self.row_id))
        if self._before_save is not None:
            values = self._before_save(values)
        try:
            if self.row_id:
                if values:
                    records.update_record(self.ctx, self.entity, self.row_id, values)
                self.saved_id = self.row_id
            else:
                self.saved_id = records.create_record(self.ctx, self.entity, values, client_id=self.client_id)
        except ValidationError as exc:
            rest = self.form.show_errors(exc.errors)
            if rest:
                self._general("\n".join(m for _f, m in rest))
            return False
        except AccountDeskError as exc:
            self._general(exc.message)
            return False
        self.saved.emit(self.saved_id)
        self.accept()
        return True

    def _general(self, text: str) -> None:
        self.general_error.setText(text)
        self.general_error.show()


def confirm_delete(parent: QWidget, what: str) -> bool:
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(_("Delete"))
    box.setText(_("Delete “{what}”?").format(what=what))
    box.setInformativeText(_("It disappears from every device after the next sync."))
    yes = box.addButton(_("Delete"), QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(_("Cancel"), QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is yes
