"""One editor per FieldSpec kind. Every editor gives back *raw* input (text, a choice, a list, a
date or None) and leaves validation to the services, so a form shows exactly the service's message.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QCalendarWidget,
    QCheckBox,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from ...domain.schema import FieldSpec
from ...i18n import _
from ...labels import choices
from .. import style
from .fmt import DATETIME_FMT, fmt_date, local

EMPTY = "—"


class Editor(QWidget):
    """Base: ``value()`` raw input, ``set_value()``, ``changed`` when the user edits."""

    changed = Signal()

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None):
        super().__init__(parent)
        self.spec = spec
        self._initial: Any = None
        #: the editor's own row (its layout), where subclasses put their widgets
        self.hbox = QHBoxLayout(self)
        self.hbox.setContentsMargins(0, 0, 0, 0)
        self.hbox.setSpacing(4)

    def value(self) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def set_value(self, value: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def mark_clean(self) -> None:
        self._initial = self.value()

    def is_modified(self) -> bool:
        return bool(self.value() != self._initial)

    def focus_widget(self) -> QWidget:
        return self

    def set_invalid(self, invalid: bool) -> None:
        w = self.focus_widget()
        w.setProperty("invalid", invalid)
        w.setStyleSheet(style.INVALID_EDITOR_CSS if invalid else "")


class LineEditor(Editor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None, placeholder: str = ""):
        super().__init__(spec, parent)
        self.edit = QLineEdit(self)
        self.edit.setObjectName(f"field_{spec.name}")
        if placeholder:
            self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.hbox.addWidget(self.edit)
        self.edit.textEdited.connect(self.changed)

    def value(self) -> Any:
        return self.edit.text()

    def set_value(self, value: Any) -> None:
        if value is None:
            text = ""
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        self.edit.setText(text)

    def focus_widget(self) -> QWidget:
        return self.edit


class PickListEditor(Editor):
    """A standard list to pick from that still takes free text (older data, a value not in the
    list): an editable combo box with completion. ``choices`` are ``(stored value, shown text)``."""

    def __init__(self, spec: FieldSpec, choices: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.combo = QComboBox(self)
        self.combo.setObjectName(f"field_{spec.name}")
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setMaxVisibleItems(20)
        completer = self.combo.completer()
        if completer is not None:  # an editable combo box has one
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.hbox.addWidget(self.combo)
        self.set_choices(choices)
        self.combo.editTextChanged.connect(lambda _t: self.changed.emit())
        self.combo.activated.connect(lambda _i: self.changed.emit())

    def set_choices(self, choices: list[tuple[str, str]]) -> None:
        text = self.combo.currentText()
        self.combo.blockSignals(True)
        self.combo.clear()
        for value, shown in choices:
            self.combo.addItem(shown, value)
        self.combo.setCurrentIndex(-1)
        self.combo.setEditText(text)
        self.combo.blockSignals(False)

    def value(self) -> Any:
        text = self.combo.currentText().strip()
        i = self.combo.findText(text, Qt.MatchFlag.MatchExactly)
        return self.combo.itemData(i) if i >= 0 else text

    def set_value(self, value: Any) -> None:
        i = self.combo.findData(value) if value else -1
        if i >= 0:
            self.combo.setCurrentIndex(i)
        else:
            self.combo.setCurrentIndex(-1)
            self.combo.setEditText("" if value is None else str(value))

    def focus_widget(self) -> QWidget:
        return self.combo


def pick_list(entity: str, name: str) -> list[tuple[str, str]] | None:
    """The standard choices of a free-text field, if it has some."""
    from ...domain import catalogues as cat
    from ...labels import SLA_METRICS

    if entity == "client" and name == "province":
        return [(p.name, p.name) for p in cat.provinces()]
    if entity == "client" and name == "city":
        return [(c.name, c.name) for c in cat.cities()]
    if entity == "client" and name == "industry":
        out = []
        for code, stored, letter in cat.industries():
            if code == letter:
                out.append((stored, f"{letter} {_(cat.INDUSTRY_SECTIONS[letter][1])}"))
            else:
                out.append((stored, f"{letter}{code} {stored}"))
        return out
    if entity == "service_commitment" and name == "metric":
        return [(code, _(text)) for code, text in SLA_METRICS.items()]
    return None


class TagsEditor(LineEditor):
    def value(self) -> Any:
        return [
            p.strip() for p in self.edit.text().replace("，", ",").replace("、", ",").split(",") if p.strip()
        ]

    def set_value(self, value: Any) -> None:
        self.edit.setText(", ".join(value or []))


class TextEditor(Editor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.edit = QPlainTextEdit(self)
        self.edit.setObjectName(f"field_{spec.name}")
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(64)
        self.hbox.addWidget(self.edit)
        self.edit.textChanged.connect(self.changed)

    def value(self) -> Any:
        return self.edit.toPlainText()

    def set_value(self, value: Any) -> None:
        self.edit.setPlainText(value or "")

    def focus_widget(self) -> QWidget:
        return self.edit


class BoolEditor(Editor):
    def __init__(self, spec: FieldSpec, parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.box = QCheckBox(self)
        self.box.setObjectName(f"field_{spec.name}")
        self.hbox.addWidget(self.box)
        self.hbox.addStretch(1)
        self.box.toggled.connect(self.changed)

    def value(self) -> Any:
        return self.box.isChecked()

    def set_value(self, value: Any) -> None:
        self.box.setChecked(bool(value))

    def focus_widget(self) -> QWidget:
        return self.box


class ChoiceEditor(Editor):
    """A combo of ``(value, label)``; an empty first entry unless the field is required."""

    def __init__(self, spec: FieldSpec, items: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.combo = QComboBox(self)
        self.combo.setObjectName(f"field_{spec.name}")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(12)
        self.hbox.addWidget(self.combo)
        self._hidden: set[str] = set()
        self._items = list(items)
        #: names a value that is no longer offered (a deactivated user, a deleted record)
        #: the text of a value not among the choices (a user id: their name)
        self.describe: Callable[[Any], str] = str
        self._fill()
        self.combo.currentIndexChanged.connect(lambda _i: self.changed.emit())

    def _fill(self) -> None:
        current = self.combo.currentData() if self.combo.count() else None
        self.combo.blockSignals(True)
        self.combo.clear()
        if not self.spec.required:
            self.combo.addItem(EMPTY, None)
        for value, text in self._items:
            if value not in self._hidden:
                self.combo.addItem(text, value)
        idx = self.combo.findData(current) if current is not None else -1
        self.combo.setCurrentIndex(max(idx, 0) if self.combo.count() else -1)
        self.combo.blockSignals(False)

    def set_items(self, items: list[tuple[str, str]]) -> None:
        self._items = list(items)
        self._fill()

    def exclude(self, values: set[str]) -> None:
        """Hide some choices (recusal: involved staff cannot handle the case)."""
        before = self.value()
        self._hidden = set(values)
        self._fill()
        if before != self.value():
            self.changed.emit()

    def values_offered(self) -> list[str]:
        return [
            self.combo.itemData(i) for i in range(self.combo.count()) if self.combo.itemData(i) is not None
        ]

    def value(self) -> Any:
        return self.combo.currentData()

    def set_value(self, value: Any) -> None:
        if value is not None and self.combo.findData(value) < 0:
            # a value no longer offered (a deactivated user, a deleted record): keep it visible
            self._items.append((value, self.describe(value) or str(value)))
            self._fill()
        idx = self.combo.findData(value)
        self.combo.setCurrentIndex(idx if idx >= 0 else 0)

    def focus_widget(self) -> QWidget:
        return self.combo


class MultiChoiceEditor(Editor):
    """A short checkable list (attendees, involved staff)."""

    def __init__(self, spec: FieldSpec, items: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(spec, parent)
        self.list = QListWidget(self)
        self.list.setObjectName(f"field_{spec.name}")
        self.list.setMaximumHeight(96)
        self.hbox.addWidget(self.list)
        self.set_items(items)
        self.list.itemChanged.connect(lambda _i: self.changed.emit())

    def set_items(self, items: list[tuple[str, str]]) -> None:
        checked = set(self.value()) if self.list.count() else set()
        self.list.blockSignals(True)
        self.list.clear()
        for value, text in items:
            item = QListWidgetItem(text, self.list)
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if value in checked else Qt.CheckState.Unchecked)
        if not items:
            self.list.setMaximumHeight(28)
        self.list.blockSignals(False)

    def value(self) -> Any:
        out = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def set_value(self, value: Any) -> None:
        wanted = set(value or [])
        self.list.blockSignals(True)
        for i in range(self.list.count()):
            item = self.list.item(i)
            on = item.data(Qt.ItemDataRole.UserRole) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.list.blockSignals(False)
        self.changed.emit()

    def set_checked(self, value: str, on: bool = True) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == value:
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def focus_widget(self) -> QWidget:
        return self.list


class DateEditor(LineEditor):
    """Free text (``2026-03-31``, ``2026年3月31日``) with a calendar button; empty is allowed."""

    with_time = False

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None):
        placeholder = "YYYY-MM-DD HH:MM" if self.with_time else "YYYY-MM-DD"
        super().__init__(spec, parent, placeholder)
        self.pick = QToolButton(self)
        from .. import icons

        cal = icons.icon_or_blank("calendar")
        if cal.isNull():
            self.pick.setText("▾")
        else:
            self.pick.setIcon(cal)
        self.pick.setStyleSheet(style.NO_MENU_INDICATOR_CSS)
        self.pick.setToolTip(_("Choose from a calendar"))
        self.pick.setAutoRaise(True)
        self.pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.pick)
        self.calendar = QCalendarWidget(menu)
        self.calendar.setGridVisible(False)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.calendar)
        menu.addAction(action)
        self.pick.setMenu(menu)
        menu.aboutToShow.connect(self._sync_calendar)
        self.calendar.clicked.connect(self._picked)
        self.hbox.addWidget(self.pick)
        self.edit.setMaximumWidth(180 if self.with_time else 140)
        self.hbox.addStretch(1)

    def _sync_calendar(self) -> None:
        text = self.edit.text().strip()[:10]
        try:
            d = dt.date.fromisoformat(text)
            self.calendar.setSelectedDate(QDate(d.year, d.month, d.day))
        except ValueError:
            self.calendar.setSelectedDate(QDate.currentDate())

    def _picked(self, qdate: QDate) -> None:
        text = qdate.toString("yyyy-MM-dd")
        if self.with_time:
            old = self.edit.text().strip()
            time_part = old[11:16] if len(old) >= 16 else "09:00"
            text = f"{text} {time_part}"
        self.edit.setText(text)
        self.pick.menu().hide()
        self.changed.emit()

    def set_value(self, value: Any) -> None:
        if isinstance(value, dt.datetime):
            self.edit.setText(local(value).strftime(DATETIME_FMT) if self.with_time else fmt_date(value))
        elif isinstance(value, dt.date):
            self.edit.setText(value.isoformat() + (" 09:00" if self.with_time else ""))
        else:
            self.edit.setText(value or "")


class DateTimeEditor(DateEditor):
    with_time = True


def make_editor(
    spec: FieldSpec, *, users: list[tuple[str, str]], refs: list[tuple[str, str]] | None = None
) -> Editor:
    k = spec.kind
    if k == "text":
        return TextEditor(spec)
    if k == "bool":
        return BoolEditor(spec)
    if k == "enum":
        assert spec.enum is not None
        return ChoiceEditor(spec, choices(spec.enum))
    if k == "user":
        return ChoiceEditor(spec, users)
    if k == "users":
        return MultiChoiceEditor(spec, users)
    if k == "ref":
        return ChoiceEditor(spec, refs or [])
    if k == "refs":
        return MultiChoiceEditor(spec, refs or [])
    if k == "date":
        return DateEditor(spec)
    if k == "datetime":
        return DateTimeEditor(spec)
    if k == "tags":
        return TagsEditor(spec, placeholder=_("Separate with commas"))
    if k == "uscc":
        return LineEditor(spec, placeholder=_("18 characters"))
    if k in ("int", "float"):
        editor = LineEditor(spec)
        editor.edit.setMaximumWidth(160)
        editor.edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        editor.hbox.addStretch(1)
        return editor
    return LineEditor(spec)
