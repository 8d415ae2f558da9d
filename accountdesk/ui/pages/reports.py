"""Reports: client dossiers for a selection of clients, the portfolio analysis, a handover report.

The PDFs are made by ``accountdesk.reports`` (ReportLab) in the background pool; while that
library is not installed the screen says so and its buttons stay disabled.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...domain.dates import add_months
from ...i18n import N_, _
from .. import icons, style
from ..item_models.clients import COLUMNS, ClientTableModel
from ..widgets.badges import BadgeDelegate
from ..widgets.search_box import SearchBox

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ..tasks import CancelToken, ProgressCallback, TaskManager

log = logging.getLogger(__name__)

#: report key -> (module, function names tried in order). The reports library's API:
#: render_dossiers(ctx, client_ids, out_path, *, progress, cancel), render_portfolio(ctx, out_path,
#: *, progress), render_handover(ctx, client_id, out_path).
REPORTS = ("dossier", "portfolio", "handover")


#: The periods offered for the portfolio report (the command line's --from/--to).
PERIODS = (
    ("12m", N_("Last 12 months")),
    ("year", N_("This year")),
    ("last_year", N_("Last year")),
    ("quarter", N_("This quarter")),
    ("last_quarter", N_("Last quarter")),
    ("custom", N_("Choose dates…")),
)


def period_dates(key: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of a preset period (``custom`` is not a preset)."""
    if key == "year":
        return today.replace(month=1, day=1), today
    if key == "last_year":
        return dt.date(today.year - 1, 1, 1), dt.date(today.year - 1, 12, 31)
    quarter_start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    if key == "quarter":
        return quarter_start, today
    if key == "last_quarter":
        end = quarter_start - dt.timedelta(days=1)
        return end.replace(month=(end.month - 1) // 3 * 3 + 1, day=1), end
    return add_months(today, -12) + dt.timedelta(days=1), today  # the last 12 months, the report's default


def render_report(
    key: str,
    ctx: AppContext,
    client_ids: list[str],
    path: str,
    token: CancelToken,
    progress: ProgressCallback,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    audience: str = "internal",
) -> None:
    """Make one report (runs in the background). ReportLab is imported here, not at start-up."""
    from ... import reports

    def report_progress(done: int, total: int = 0, *_rest: object) -> None:
        progress(int(done), int(total or 0), "")

    if key == "portfolio":
        reports.render_portfolio(ctx, path, date_from=date_from, date_to=date_to, progress=report_progress)
    elif key == "dossier":
        reports.render_dossiers(
            ctx, client_ids, path, progress=report_progress, cancel=token, audience=audience
        )
    else:
        reports.render_handover(ctx, client_ids[0], path)


def _card(icon: str, title: str, text: str, button: QPushButton, extra: QWidget | None = None) -> QFrame:
    card = QFrame()
    card.setObjectName("Card")
    layout = QHBoxLayout(card)
    layout.setContentsMargins(16, 12, 16, 12)
    layout.setSpacing(12)
    pic = QLabel()
    pic.setPixmap(icons.pixmap(icon, 28, style.ACCENT, card.devicePixelRatioF()))
    layout.addWidget(pic, 0, Qt.AlignmentFlag.AlignTop)
    texts = QVBoxLayout()
    head = QLabel(title)
    head.setObjectName("SectionTitle")
    body = QLabel(text)
    body.setObjectName("Hint")
    body.setWordWrap(True)
    texts.addWidget(head)
    texts.addWidget(body)
    if extra is not None:
        texts.addWidget(extra)
    layout.addLayout(texts, 1)
    layout.addWidget(button, 0, Qt.AlignmentFlag.AlignVCenter)
    return card


class ReportsPage(QWidget):
    report_saved = Signal(str)

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self.open_when_saved = True
        #: Tests set this to skip the file dialog: a function returning the path to write.
        self.ask_path = self._ask_path
        self._ctx = ctx
        self._tasks = tasks
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 12)
        outer.setSpacing(12)
        title = QLabel(_("Reports"))
        title.setObjectName("PageTitle")
        outer.addWidget(title)
        self.notice = QLabel(
            _("Reports are not available in this version: the PDF library is not installed.")
        )
        self.notice.setObjectName("Note")
        self.notice.setWordWrap(True)
        outer.addWidget(self.notice)

        self.portfolio_button = QPushButton(_("Create PDF…"))
        self.portfolio_button.clicked.connect(lambda: self.make("portfolio"))
        outer.addWidget(
            _card(
                "reports",
                _("Portfolio and business analysis"),
                _(
                    "Customer pyramid, segmentation, overdue visits, satisfaction and complaints "
                    "of all your clients."
                ),
                self.portfolio_button,
                self._period_row(),
            )
        )
        self.dossier_button = QPushButton(_("Create PDF…"))
        self.dossier_button.clicked.connect(lambda: self.make("dossier"))
        outer.addWidget(
            _card(
                "contract",
                _("Client dossiers"),
                _(
                    "Profile, contacts and org chart, SLA, services, visits, surveys, feedback, "
                    "risks and equipment — for the clients selected below."
                ),
                self.dossier_button,
                self._audience_row(),
            )
        )
        self.handover_button = QPushButton(_("Create PDF…"))
        self.handover_button.clicked.connect(lambda: self.make("handover"))
        outer.addWidget(
            _card(
                "handover",
                _("Handover report"),
                _(
                    "Open feedback, upcoming visits, open improvement items and key contacts of the "
                    "selected client, for the new account manager."
                ),
                self.handover_button,
            )
        )

        pick = QHBoxLayout()
        label = QLabel(_("Clients"))
        label.setObjectName("SectionTitle")
        pick.addWidget(label)
        pick.addStretch(1)
        self.search = SearchBox(_("Find clients…"))
        self.search.setMaximumWidth(320)
        pick.addWidget(self.search)
        outer.addLayout(pick)
        self.model = ClientTableModel(ctx, tasks, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(BadgeDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(32)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        for i, c in enumerate(COLUMNS):
            self.view.setColumnHidden(i, c.key not in ("name", "tier", "status", "owner"))
            if c.width is not None:
                self.view.setColumnWidth(i, c.width)
        outer.addWidget(self.view, 1)
        self.search.search_changed.connect(lambda text: self.model.set_query(search=text))
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.hide()
        outer.addWidget(self.progress)
        self.status = QLabel()
        self.status.setObjectName("Hint")
        outer.addWidget(self.status)

        self.available = dict.fromkeys(REPORTS, True)
        self.notice.setVisible(not any(self.available.values()))
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self._update_buttons()
        self.model.reload()

    # -- the period of the portfolio report and the audience of the dossiers -------------------------
    def _period_row(self) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 4, 0, 0)
        box.addWidget(QLabel(_("Period:")))
        self.period_combo = QComboBox()
        for key, text in PERIODS:
            self.period_combo.addItem(_(text), key)
        box.addWidget(self.period_combo)
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.period_dash = QLabel("–")
        box.addWidget(self.date_from)
        box.addWidget(self.period_dash)
        box.addWidget(self.date_to)
        box.addStretch(1)
        self.period_combo.currentIndexChanged.connect(self._period_changed)
        self._period_changed()
        return row

    def _period_changed(self, *_args: object) -> None:
        key = self.period_combo.currentData()
        custom = key == "custom"
        self.date_from.setEnabled(custom)
        self.date_to.setEnabled(custom)
        if not custom:
            start, end = period_dates(key, self._ctx.today())
            self.date_from.setDate(QDate(start.year, start.month, start.day))
            self.date_to.setDate(QDate(end.year, end.month, end.day))

    def period(self) -> tuple[dt.date, dt.date]:
        """The period the portfolio report covers, as chosen."""
        start, end = self.date_from.date(), self.date_to.date()
        return dt.date(start.year(), start.month(), start.day()), dt.date(end.year(), end.month(), end.day())

    def _audience_row(self) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 4, 0, 0)
        box.addWidget(QLabel(_("For:")))
        self.audience_combo = QComboBox()
        self.audience_combo.addItem(_("Account team (internal)"), "internal")
        self.audience_combo.addItem(
            _("Beyond the account team: without personal data (external)"), "external"
        )
        self.audience_combo.setToolTip(
            _(
                "The external copy leaves out contacts' private mobiles, WeChat ids and personal notes, "
                "and confidential figures, notes and files."
            )
        )
        box.addWidget(self.audience_combo)
        box.addStretch(1)
        return row

    def _update_buttons(self, *_args: object) -> None:
        """Dossiers need a selection, the handover report exactly one client."""
        count = len(self.view.selectionModel().selectedRows())
        needs = {
            "portfolio": (True, ""),
            "dossier": (count >= 1, _("Select one or more clients in the list below.")),
            "handover": (count == 1, _("Select one client in the list below.")),
        }
        for key, button in (
            ("portfolio", self.portfolio_button),
            ("dossier", self.dossier_button),
            ("handover", self.handover_button),
        ):
            ok, why = needs[key]
            if not self.available[key]:
                button.setEnabled(False)
                button.setToolTip(_("Not available in this version."))
            else:
                button.setEnabled(ok)
                button.setToolTip("" if ok else why)

    def refresh(self) -> None:
        self.model.reload()

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [row.id for r in rows if (row := self.model.client_at(r)) is not None]

    def make(self, key: str) -> None:
        ids = self.selected_ids()
        if key in ("dossier", "handover") and not ids:
            self.status.setText(_("Select one or more clients in the list first."))
            return
        options: dict[str, Any] = {}
        if key == "portfolio":
            start, end = self.period()
            if start > end:
                self.status.setText(_("The start of the period is after its end."))
                return
            options = {"date_from": start, "date_to": end}
        elif key == "dossier":
            options = {"audience": self.audience_combo.currentData()}
        path = self.ask_path(key)
        if not path:
            return
        ctx = self._ctx

        def work(token: CancelToken, progress: ProgressCallback) -> None:
            return render_report(key, ctx, ids, path, token, progress, **options)

        self.progress.show()
        self.status.setText(_("Creating the PDF…"))
        self.progress.setRange(0, 0)
        self._handle = self._tasks.run(
            work,
            on_result=lambda _r: self._saved(path),
            on_error=self._failed,
            on_progress=self._progress,
            name=f"report-{key}",
        )

    def _progress(self, done: int, total: int, _message: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)

    def _saved(self, path: str) -> None:
        self.progress.hide()
        self.status.setText(_("Saved: {path}").format(path=path))
        self.report_saved.emit(path)
        if self.open_when_saved:
            QDesktopServices.openUrl(QUrl.fromLocalFile(path))

    def _ask_path(self, key: str) -> str:
        from ..file_dialogs import save_file

        name = {"portfolio": _("portfolio"), "dossier": _("dossier"), "handover": _("handover")}[key]
        return save_file(self, _("Save the PDF"), f"{name}.pdf", "PDF (*.pdf)")

    def _failed(self, exc: BaseException) -> None:
        self.progress.hide()
        self.status.setText(_("The report failed: {error}").format(error=exc))
