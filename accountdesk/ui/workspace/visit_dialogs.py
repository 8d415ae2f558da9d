"""The visit forms of the Visits tab: the visit (with its survey), the quick "Record visit" dialog
and the offer to turn a report's next steps into tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from ...models.enums import VisitChannel, VisitKind, VisitStatus
from ...services import records
from .. import style
from ..forms import Lookups, RecordDialog
from ..forms.record_form import RecordForm

if TYPE_CHECKING:
    from ...services.context import AppContext

QUICK_FIELDS = ["kind", "planned_start", "channel", "outcome"]
REPORT_FIELDS = [
    "done_at",
    "attendee_contact_ids",
    "attendee_user_ids",
    "outcome",
    "client_requests",
    "follow_ups",
    "next_steps",
]


SURVEY_FIELDS = [
    "respondent_contact_id",
    "score_service_quality",
    "score_responsiveness",
    "score_professionalism",
    "score_relationship",
    "score_overall",
    "comments",
]


class VisitDialog(RecordDialog):
    """A visit's form that records what the visit was for: a satisfaction-survey visit asks for the
    survey (scores per dimension, comments), saved with it through the visit services."""

    def __init__(
        self,
        ctx: AppContext,
        client_id: str,
        *,
        row_id: str | None = None,
        lookups: Lookups | None = None,
        fields: Iterable[str] | None = None,
        defaults: dict[str, Any] | None = None,
        title: str | None = None,
        before_save: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        original: dict[str, Any] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """``original``: the visit as the tab read it, its survey (if any) under ``_survey``
        (nothing is read here then)."""
        super().__init__(
            ctx,
            "visit",
            client_id=client_id,
            row_id=row_id,
            fields=fields,
            defaults=defaults,
            title=title,
            lookups=lookups,
            before_save=before_save,
            original=original,
            parent=parent,
        )
        self.survey_box = QGroupBox(_("Satisfaction survey"), self)
        self.survey_box.setObjectName("survey_box")
        box = QVBoxLayout(self.survey_box)
        self.survey_form = RecordForm(
            ctx, "survey", client_id=client_id, fields=SURVEY_FIELDS, lookups=lookups, columns=2
        )
        box.addWidget(self.survey_form)
        holder = self.form.parentWidget()
        holder_layout = holder.layout() if holder is not None else None
        assert holder_layout is not None  # RecordDialog puts its form in a laid-out holder
        holder_layout.addWidget(self.survey_box)
        self._survey_id = None
        if row_id:
            if original is not None:
                existing = [original["_survey"]] if original.get("_survey") else []
            else:
                existing = [
                    r for r in records.list_records(ctx, "survey", client_id) if r.get("visit_id") == row_id
                ]
            if existing:
                self._survey_id = existing[0]["id"]
                self.survey_form.set_values(existing[0])
        kind_editor = self.form.editors.get("kind")
        if kind_editor is not None:
            kind_editor.changed.connect(self._kind_changed)
        self._kind_changed()
        if self.is_survey():
            self.resize(max(self.width(), 720), min(self.height() + 260, 760))

    def kind(self) -> str | None:
        editor = self.form.editors.get("kind")
        kind: str | None = editor.value() if editor is not None else self.original.get("kind")
        return kind

    def is_survey(self) -> bool:
        return self.kind() == VisitKind.SATISFACTION_SURVEY.value

    def _kind_changed(self) -> None:
        self.survey_box.setVisible(self.is_survey())

    def save(self) -> bool:
        from ...errors import AccountDeskError, ValidationError
        from ...services import visits

        self.general_error.hide()
        self.form.clear_errors()
        self.survey_form.clear_errors()
        values = self.form.values(only_modified=bool(self.row_id))
        if self._before_save is not None:
            values = self._before_save(values)
        survey = None
        if self.is_survey() and values.get("status", self.original.get("status")) == VisitStatus.DONE.value:
            survey = {k: v for k, v in self.survey_form.values().items() if v not in (None, "", [])}
        try:
            if self.row_id:
                if survey is not None or values.get("status") == VisitStatus.DONE.value:
                    values.pop("status", None)
                    self.saved_id = self.row_id
                    visits.complete_visit(self.ctx, self.row_id, survey=survey, **values)
                else:
                    if values:
                        records.update_record(self.ctx, "visit", self.row_id, values)
                    self.saved_id = self.row_id
            else:
                rest = dict(values)
                kind = rest.pop("kind", None)
                at = rest.pop("planned_start", None)
                if kind is None or at is None:
                    raise ValidationError(
                        "kind" if kind is None else "planned_start",
                        _("{label} is required.").format(label=_("Kind") if kind is None else _("Start")),
                    )
                assert self.client_id is not None  # a visit's form is always for a client
                self.saved_id = visits.record_visit(self.ctx, self.client_id, kind, at, survey=survey, **rest)
        except ValidationError as exc:
            rest_errors = self.form.show_errors(exc.errors)
            rest_errors = self.survey_form.show_errors(rest_errors) if rest_errors else []
            if rest_errors:
                self._general("\n".join(m for _f, m in rest_errors))
            return False
        except AccountDeskError as exc:
            self._general(exc.message)
            return False
        self.saved.emit(self.saved_id)
        self.accept()
        return True


class NextStepsDialog(QDialog):
    """The next steps written in a visit report, each offered as a task (owner, due date)."""

    def __init__(
        self, ctx: AppContext, visit: dict[str, Any], lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        from ...services.tasks import DEFAULT_DUE_DAYS, next_step_lines

        self.ctx = ctx
        self.visit = visit
        self.created: list[str] = []
        self.setObjectName("NextStepsDialog")
        self.setWindowTitle(_("Next steps as tasks"))
        layout = QVBoxLayout(self)
        intro = QLabel(_("Each next step becomes a task on Today and in the calendar."), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        grid = QGridLayout()
        grid.addWidget(QLabel(_("Task"), self), 0, 0)
        grid.addWidget(QLabel(_("Owner"), self), 0, 1)
        grid.addWidget(QLabel(_("Due"), self), 0, 2)
        held = (visit.get("done_at") or visit["planned_start"]).astimezone().date()
        due = held + dt.timedelta(days=DEFAULT_DUE_DAYS)
        users = lookups.users()
        self.rows: list[tuple[QCheckBox, QLineEdit, QComboBox, QDateEdit]] = []
        for i, line in enumerate(next_step_lines(visit.get("next_steps")), start=1):
            check = QCheckBox(self)
            check.setChecked(True)
            title = QLineEdit(line, self)
            title.setMaxLength(200)
            owner = QComboBox(self)
            for uid, name in users:
                owner.addItem(name, uid)
            at = owner.findData(visit.get("owner_id") or ctx.actor.id)
            owner.setCurrentIndex(max(at, 0))
            when = QDateEdit(QDate(due.year, due.month, due.day), self)
            when.setCalendarPopup(True)
            when.setDisplayFormat("yyyy-MM-dd")
            row = QHBoxLayout()
            row.addWidget(check)
            row.addWidget(title, 1)
            grid.addLayout(row, i, 0)
            grid.addWidget(owner, i, 1)
            grid.addWidget(when, i, 2)
            self.rows.append((check, title, owner, when))
        grid.setColumnStretch(0, 1)
        layout.addLayout(grid)
        self.error = QLabel("", self)
        self.error.setStyleSheet(style.ERROR_CSS)
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Create tasks"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(_("Not now"))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(720, min(160 + 40 * len(self.rows), 600))

    def steps(self) -> list[dict[str, Any]]:
        return [
            {"title": title.text(), "owner_id": owner.currentData(), "due_on": when.date().toPython()}
            for check, title, owner, when in self.rows
            if check.isChecked() and title.text().strip()
        ]

    def save(self) -> bool:
        from ...errors import AccountDeskError
        from ...services.tasks import tasks_from_visit

        try:
            self.created = tasks_from_visit(self.ctx, self.visit["id"], self.steps())
        except AccountDeskError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return False
        self.accept()
        return True


def record_visit_dialog(
    ctx: AppContext,
    client_id: str,
    lookups: Lookups | None = None,
    parent: QWidget | None = None,
    *,
    kind: str | None = None,
    purpose: str | None = None,
) -> RecordDialog:
    """Four fields, sensible defaults: a held visit recorded in seconds (of ``kind``: the kind of
    the plan it was made for)."""

    def done(values: dict[str, Any]) -> dict[str, Any]:
        values = dict(values)
        values["status"] = VisitStatus.DONE.value
        values.setdefault("owner_id", ctx.actor.id)
        if purpose:
            values.setdefault("purpose", purpose)
        return values

    now = ctx.now().replace(second=0, microsecond=0)
    return VisitDialog(
        ctx,
        client_id,
        fields=QUICK_FIELDS,
        lookups=lookups,
        parent=parent,
        defaults={
            "kind": kind or VisitKind.RETURN_VISIT.value,
            "planned_start": now,
            "channel": VisitChannel.ONSITE.value,
            **({"purpose": purpose} if purpose else {}),
        },
        title=_("Record visit"),
        before_save=done,
    )
