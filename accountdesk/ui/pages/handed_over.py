""" "Handed over to you" (shown on Today): each client the acting user received in a handover and
has not acknowledged yet, with its checklist to go through and an Acknowledge button. The
acknowledgement is recorded on the handover (it syncs; the supervisor sees it on the Team
screen)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...i18n import _
from ...labels import label
from ...models.enums import HandoverStatus

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ..tasks import TaskManager


class HandedOverPanel(QWidget):
    loaded = Signal()
    acknowledged = Signal(str)  # handover id
    client_open_requested = Signal(str)

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.rows: list[dict[str, Any]] = []
        self.cards: dict[str, tuple[QFrame, list[QCheckBox], QPushButton]] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.heading = QLabel("", self)
        self.heading.setObjectName("SectionTitle")
        layout.addWidget(self.heading)
        self.body = QVBoxLayout()
        layout.addLayout(self.body)
        self.hide()

    def refresh(self) -> None:
        ctx = self._ctx

        def work() -> list[dict[str, Any]]:
            from ...services.handover import handovers_to_acknowledge

            return handovers_to_acknowledge(ctx)

        self._tasks.run_db(work, on_result=self._show, name="handed-over")

    def _show(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        while self.body.count():
            item = self.body.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.cards = {}
        self.heading.setText(_("Handed over to you · {n}").format(n=len(rows)))
        for h in rows:
            self.body.addWidget(self._card(h))
        self.setVisible(bool(rows))
        self.loaded.emit()

    def _card(self, h: dict[str, Any]) -> QFrame:
        card = QFrame(self)
        card.setObjectName("Card")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        box = QVBoxLayout(card)
        box.setContentsMargins(12, 8, 12, 8)
        head = QHBoxLayout()
        title = QLabel(
            f"<b>{h['client_name']}</b> — "
            + _("from {name}").format(name=h.get("from_name") or "—")
            + (f" · {h['reason']}" if h.get("reason") else "")
            + f" · {label(HandoverStatus, h['status'])}",
            card,
        )
        title.setWordWrap(True)
        head.addWidget(title, 1)
        open_button = QPushButton(_("Open client"), card)
        open_button.clicked.connect(lambda _c=False, cid=h["client_id"]: self.client_open_requested.emit(cid))
        head.addWidget(open_button)
        box.addLayout(head)
        if h.get("notes"):
            notes = QLabel(h["notes"], card)
            notes.setWordWrap(True)
            box.addWidget(notes)
        checks = []
        for item in h.get("checklist") or []:
            if not isinstance(item, dict):
                continue
            check = QCheckBox(
                f"{_(item.get('label') or item.get('key') or '')} ({item.get('count', 0)})", card
            )
            check.setChecked(bool(item.get("done")))
            check.setProperty("key", item.get("key"))
            detail = item.get("detail")
            if isinstance(detail, list) and detail:
                check.setToolTip("\n".join(map(str, detail)))
            box.addWidget(check)
            checks.append(check)
        ack = QPushButton(_("Acknowledge the handover"), card)
        ack.setObjectName("Primary")
        ack.clicked.connect(lambda _c=False, hid=h["id"]: self.acknowledge(hid))
        box.addWidget(ack)
        self.cards[h["id"]] = (card, checks, ack)
        return card

    def acknowledge(self, handover_id: str) -> None:
        _card, checks, button = self.cards[handover_id]
        done = [c.property("key") for c in checks if c.isChecked()]
        button.setEnabled(False)
        ctx = self._ctx

        def work() -> dict[str, Any]:
            from ...services.handover import acknowledge_handover

            return acknowledge_handover(ctx, handover_id, done)

        def finished(_result: object) -> None:
            self.acknowledged.emit(handover_id)
            self.refresh()

        self._tasks.run_db(
            work, on_result=finished, on_error=lambda _e: button.setEnabled(True), name="acknowledge"
        )
