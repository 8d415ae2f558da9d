"""Feedback of a client: deadline with remaining time, the status workflow and recusal."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
)

from ...domain.feedback import OPEN_STATUSES
from ...errors import AccountDeskError, ValidationError
from ...i18n import _
from ...labels import label
from ...models.enums import FeedbackKind, FeedbackStatus, Severity
from ...services import feedback as fb
from .. import style
from ..forms.fmt import fmt_datetime, fmt_remaining
from ..item_models.columns import Column
from ..style import AMBER, GREEN, RED
from .base import Tab

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...services.context import AppContext
    from ..forms import Lookups

OPEN = OPEN_STATUSES  # the feedback service's open statuses


class TextPromptDialog(QDialog):
    """Ask for a text (the answer to the client, the reason to reopen); never empty."""

    submitted = Signal(str)

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None, text: str = ""):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(460, 260)
        layout = QVBoxLayout(self)
        lab = QLabel(prompt, self)
        lab.setWordWrap(True)
        layout.addWidget(lab)
        self.edit = QPlainTextEdit(self)
        self.edit.setPlainText(text)
        layout.addWidget(self.edit, 1)
        self.error = QLabel("", self)
        self.error.setStyleSheet(style.ERROR_CSS)
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Save"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Cancel"))
        buttons.accepted.connect(self._ok)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.handler: Callable[[str], object] | None = None  # may raise ValidationError

    def _ok(self) -> None:
        text = self.edit.toPlainText().strip()
        if self.handler is not None:
            try:
                self.handler(text)
            except ValidationError as exc:
                self.error.setText("\n".join(m for _f, m in exc.errors))
                return
            except AccountDeskError as exc:
                self.error.setText(exc.message)
                return
        self.submitted.emit(text)
        self.accept()


class FeedbackTab(Tab):
    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)

        def remaining(r: dict[str, Any]) -> str:
            due = r.get("effective_due") or r.get("due_at")
            if due is None:
                return ""
            if r.get("status") not in OPEN:
                return fmt_datetime(due)
            text = fmt_remaining(due - ctx.now())
            return text + (" · " + _("Paused") if r.get("paused_since") else "")

        def due_color(r: dict[str, Any]) -> str | None:
            due = r.get("effective_due") or r.get("due_at")
            if due is None or r.get("status") not in OPEN:
                return None
            left = (due - ctx.now()).total_seconds()
            return RED if left < 0 else AMBER if left < 24 * 3600 else GREEN

        self.feedback = self.panel(
            "feedback",
            [
                Column(
                    "received_at",
                    _("Received at"),
                    lambda r: fmt_datetime(r.get("received_at")),
                    sort=lambda r: r["received_at"],
                    width=130,
                ),
                Column("kind", _("Kind"), lambda r: label(FeedbackKind, r.get("kind")), width=80),
                Column(
                    "severity",
                    _("Severity"),
                    lambda r: label(Severity, r.get("severity")),
                    width=70,
                    color=lambda r: style.SEVERITY_COLOURS.get(r.get("severity") or ""),
                ),
                Column("subject", _("Subject"), width=240),
                Column("status", _("Status"), lambda r: label(FeedbackStatus, r.get("status")), width=90),
                Column(
                    "handler_id", _("Handler"), lambda r: lookups.user_name(r.get("handler_id")), width=100
                ),
                Column(
                    "due",
                    _("Deadline"),
                    remaining,
                    color=due_color,
                    width=150,
                    sort=lambda r: (r.get("effective_due") is None, str(r.get("effective_due") or "")),
                ),
                Column(
                    "escalation_level",
                    _("Escalation"),
                    lambda r: (
                        _("Level {n}").format(n=r["escalation_level"]) if r.get("escalation_level") else ""
                    ),
                    color=lambda r: RED if (r.get("escalation_level") or 0) >= 2 else AMBER,
                ),
            ],
            title=_("Feedback"),
            empty=_(
                "No feedback recorded. Record every piece of feedback, oral or written, positive or negative."
            ),
            load=lambda: fb.list_feedback(ctx, client_id),
            new_label=_("Record feedback"),
            create_fields=[
                "kind",
                "channel",
                "received_at",
                "severity",
                "subject",
                "description",
                "contact_id",
                "involved_user_ids",
                "handler_id",
                "due_at",
            ],
            describe=lambda r: r.get("subject", ""),
            defaults=lambda: {
                "received_at": ctx.now().replace(second=0, microsecond=0),
                "kind": FeedbackKind.COMPLAINT.value,
                "severity": Severity.MEDIUM.value,
                "channel": "phone",
            },
        )
        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(QLabel(_("Workflow:"), self))
        self.investigate_button = QPushButton(_("Start investigating"), self)
        self.resolve_button = QPushButton(_("Mark resolved"), self)
        self.answer_button = QPushButton(_("Answer the client…"), self)
        self.close_button = QPushButton(_("Close"), self)
        self.reopen_button = QPushButton(_("Reopen…"), self)
        self.pause_button = QPushButton(_("Pause the clock"), self)
        self.pause_button.setToolTip(_("Stop the deadline clock while waiting for the client"))
        for name, b in (
            ("investigate", self.investigate_button),
            ("resolve", self.resolve_button),
            ("answer", self.answer_button),
            ("close", self.close_button),
            ("reopen", self.reopen_button),
            ("pause", self.pause_button),
        ):
            b.setObjectName(name)
            bar.addWidget(b)
        bar.addStretch(1)
        self.message = QLabel("", self)
        self.message.setStyleSheet(style.ERROR_CSS)
        self.message.setWordWrap(True)
        # What the client said, and what was done and answered: visible, not only in the edit form.
        self.detail = QTextBrowser(self)
        self.detail.setObjectName("feedback_detail")
        self.detail.setOpenLinks(False)
        self.detail.setMaximumHeight(140)
        self.layout_.addWidget(self.feedback, 1)
        self.layout_.addLayout(bar)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(self.detail)
        # After a delete (or any write) the buttons follow what is selected now.
        self.feedback.loaded.connect(lambda: self._update(self.feedback.current_row()))
        self.investigate_button.clicked.connect(lambda: self._move(FeedbackStatus.INVESTIGATING.value))
        self.resolve_button.clicked.connect(lambda: self._move(FeedbackStatus.RESOLVED.value))
        self.close_button.clicked.connect(lambda: self._move(FeedbackStatus.CLOSED.value))
        self.answer_button.clicked.connect(self.answer)
        self.reopen_button.clicked.connect(self.reopen)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.feedback.selection_changed.connect(self._update)
        self._update(None)

    def reload(self) -> None:
        super().reload()
        self.then(lambda: self._update(self.feedback.current_row()))

    def _show_detail(self, row: dict[str, Any] | None) -> None:
        if not row:
            self.detail.setHtml(
                f"<p style='color:{style.TEXT_MUTED}'>{html.escape(_('Select a feedback to read it.'))}</p>"
            )
            return
        parts = []
        for key, title in (
            ("description", _("Description")),
            ("resolution", _("Resolution")),
            ("answer", _("Answer to the client")),
        ):
            text = row.get(key)
            if text:
                parts.append(
                    f"<p><b>{html.escape(title)}</b><br>{html.escape(text).replace(chr(10), '<br>')}</p>"
                )
        if not parts:
            parts.append(
                f"<p style='color:{style.TEXT_MUTED}'>{html.escape(_('No description written.'))}</p>"
            )
        self.detail.setHtml(f"<p><b>{html.escape(row.get('subject') or '')}</b></p>" + "".join(parts))

    def _update(self, row: dict[str, Any] | None) -> None:
        self._show_detail(row)
        status = row.get("status") if row else None
        can = self.feedback.can_edit and row is not None
        self.investigate_button.setEnabled(can and status == "received")
        self.resolve_button.setEnabled(can and status in ("received", "investigating"))
        self.answer_button.setEnabled(can and status in OPEN)
        self.close_button.setEnabled(
            can
            and row is not None
            and (status == "answered" or (status in OPEN and row.get("kind") not in ("complaint", "appeal")))
        )
        self.reopen_button.setEnabled(can and status in ("resolved", "answered", "closed"))
        self.pause_button.setEnabled(can and status in OPEN)
        paused = bool(row and row.get("paused_since"))
        self.pause_button.setText(_("Resume the clock") if paused else _("Pause the clock"))

    def _do(self, fn: Callable[[str], object]) -> bool:
        row_id = self.feedback.current_id()
        if not row_id:
            return False
        self.message.setText("")
        try:
            fn(row_id)
        except ValidationError as exc:
            self.message.setText("\n".join(m for _f, m in exc.errors))
            return False
        except AccountDeskError as exc:
            self.message.setText(exc.message)
            return False
        self.feedback.reload()
        self._update(self.feedback.current_row())
        self.changed.emit("feedback")
        return True

    def _move(self, status: str) -> bool:
        return self._do(lambda fid: fb.set_feedback_status(self.ctx, fid, status))

    def toggle_pause(self) -> bool:
        row = self.feedback.current_row()
        if row is None:
            return False
        if row.get("paused_since"):
            return self._do(lambda fid: fb.resume_feedback(self.ctx, fid))
        return self._do(lambda fid: fb.pause_feedback(self.ctx, fid))

    def answer(self) -> TextPromptDialog | None:
        row = self.feedback.current_row()
        if row is None:
            return None
        dlg = TextPromptDialog(
            _("Answer the client"), _("What was answered to the client?"), self, row.get("answer") or ""
        )
        dlg.handler = lambda text: fb.answer_feedback(self.ctx, row["id"], text)
        dlg.submitted.connect(self._submitted)
        dlg.open()
        return dlg

    def _submitted(self, _text: str) -> None:
        self.feedback.reload()
        self._update(self.feedback.current_row())
        self.changed.emit("feedback")

    def reopen(self) -> TextPromptDialog | None:
        row = self.feedback.current_row()
        if row is None:
            return None
        dlg = TextPromptDialog(_("Reopen"), _("Why is this feedback reopened?"), self)
        dlg.handler = lambda text: fb.reopen_feedback(self.ctx, row["id"], text)
        dlg.submitted.connect(self._submitted)
        dlg.open()
        return dlg
