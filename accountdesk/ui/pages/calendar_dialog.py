"""Plan a new visit from the calendar: the visit form with a client chosen in it."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QHBoxLayout, QLabel, QVBoxLayout

from ...i18n import _
from ...models.enums import VisitChannel, VisitKind
from ...services import workspace as ws
from .. import style
from ..forms import Lookups, RecordDialog
from .calendar_look import NEW_VISIT_FIELDS

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext


class NewVisitDialog(RecordDialog):
    """Plan a visit on a chosen day, for a client chosen here."""

    def __init__(
        self,
        ctx: AppContext,
        start: dt.datetime,
        *,
        client_id: str | None = None,
        clients: list[tuple[str, str]] | None = None,
        lookups: Lookups | None = None,
        parent: QWidget | None = None,
    ):
        """``clients`` (id, name) and ``lookups`` as the calendar read them on the database lane;
        without them they are read here."""
        self._clients = clients if clients is not None else ws.list_client_choices(ctx)
        super().__init__(
            ctx,
            "visit",
            client_id=client_id,
            fields=NEW_VISIT_FIELDS,
            lookups=lookups or Lookups(ctx),
            parent=parent,
            defaults={
                "planned_start": start,
                "kind": VisitKind.RETURN_VISIT.value,
                "channel": VisitChannel.ONSITE.value,
                "owner_id": ctx.actor.id,
            },
            title=_("New visit"),
        )
        row = QHBoxLayout()
        lab = QLabel(_("Client") + " *", self)
        self.client_combo = QComboBox(self)
        self.client_combo.setObjectName("client")
        self.client_combo.setEditable(True)
        self.client_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        if (line := self.client_combo.lineEdit()) is not None:  # editable: it has one
            line.setPlaceholderText(_("Type to search"))
        for cid, name in self._clients:
            self.client_combo.addItem(name, cid)
        completer = self.client_combo.completer()
        if completer is not None:  # an editable combo box has one
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.client_combo.setCurrentIndex(self.client_combo.findData(client_id) if client_id else -1)
        row.addWidget(lab)
        row.addWidget(self.client_combo, 1)
        outer = self.layout()
        assert isinstance(outer, QVBoxLayout)  # RecordDialog's own
        outer.insertLayout(1, row)
        self.client_error = QLabel("", self)
        self.client_error.setStyleSheet(style.FIELD_ERROR_CSS)
        self.client_error.hide()
        outer.insertWidget(2, self.client_error)

    def choose_client(self, client_id: str) -> None:
        self.client_combo.setCurrentIndex(self.client_combo.findData(client_id))

    def save(self) -> bool:
        idx = self.client_combo.currentIndex()
        cid = (
            self.client_combo.itemData(idx)
            if idx >= 0 and self.client_combo.currentText() == self.client_combo.itemText(idx)
            else None
        )
        self.client_error.setVisible(cid is None)
        if cid is None:
            self.client_error.setText(_("Choose a client."))
            return False
        self.client_id = cid
        return super().save()
