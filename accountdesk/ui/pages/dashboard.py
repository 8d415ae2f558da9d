"""The dashboard: the supervisor's home, and "My portfolio" for an account manager.

The figures come from :func:`accountdesk.services.dashboard.load_dashboard` (the portfolio
report's definitions), computed on the database lane; the charts are drawn with QPainter
(:mod:`..widgets.charts`). Every chart clicks through to the client list filtered to the clients
behind the figure (``filter_requested``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ...i18n import N_, _
from ...labels import label
from ...models.enums import Severity, Tier
from ..widgets.charts import BarChart, ChartItem, GridChart, PyramidChart, TrendChart

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ...services.dashboard import Dashboard, Standing
    from ..dialogs.standards import StandardsDialog
    from ..tasks import TaskManager

PERIODS = (
    ("12m", N_("Last 12 months")),
    ("month", N_("This month")),
    ("quarter", N_("This quarter")),
    ("half", N_("This half-year")),
    ("year", N_("This year")),
)
PAYING = ("active", "at_risk", "dormant")


def _card(title: QLabel, chart: QWidget, hint: QLabel | None = None) -> QFrame:
    card = QFrame()
    card.setObjectName("Card")
    layout = QVBoxLayout(card)
    layout.setContentsMargins(14, 10, 14, 10)
    title.setObjectName("SectionTitle")
    title.setWordWrap(True)
    layout.addWidget(title)
    if hint is not None:
        hint.setObjectName("Hint")
        hint.setWordWrap(True)
        layout.addWidget(hint)
    layout.addWidget(chart, 1)
    return card


def _quarter_short(text: str) -> str:
    """The short form of a quarter label ``2025-Q4`` for a narrow chart ("Q4’25", "25Q4")."""
    year, _sep, quarter = text.partition("-Q")
    if not quarter or not year.isdigit():
        return text
    return _("Q{quarter}’{yy}").format(quarter=quarter, yy=year[-2:])


class DashboardPage(QWidget):
    #: The client list to show: (ClientFilter, a short description of it).
    filter_requested = Signal(object, str)
    #: Every figure arrived and the charts show them.
    loaded = Signal()

    def __init__(self, tasks: TaskManager, parent: QWidget | None = None, ctx: AppContext | None = None):
        super().__init__(parent)
        self._tasks = tasks
        self._ctx: AppContext | None = None
        self.board: Dashboard | None = None
        self._names: dict[str | None, str] = {}
        self._generation = 0
        self._board_generation = -1
        self._standing: Standing | None = None
        self._standing_key: tuple[dt.date, str | None] | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 12)
        head = QHBoxLayout()
        self.title = QLabel()
        self.title.setObjectName("PageTitle")
        self.summary = QLabel()
        self.summary.setObjectName("Count")
        self.scope_combo = QComboBox()
        self.period_combo = QComboBox()
        self.scope_combo.currentIndexChanged.connect(self.reload)
        self.period_combo.currentIndexChanged.connect(self.reload)
        head.addWidget(self.title)
        head.addSpacing(8)
        head.addWidget(self.summary, 0, Qt.AlignmentFlag.AlignBottom)
        head.addStretch(1)
        self.period_label = QLabel()
        head.addWidget(self.period_label)
        head.addWidget(self.period_combo)
        head.addWidget(self.scope_combo)
        self.standards_button = QPushButton()
        self.standards_button.clicked.connect(self.edit_standards)
        self.standards_button.setVisible(False)
        head.addWidget(self.standards_button)
        outer.addLayout(head)

        self.pyramid = PyramidChart()
        self.fees = BarChart()
        self.visits = BarChart()
        self.complaints = GridChart()
        self.satisfaction = TrendChart()
        self.renewals = BarChart()
        self.at_risk = BarChart()
        self.served = BarChart()
        self.served_by_manager = BarChart()
        self.titles = {
            name: QLabel()
            for name in (
                "pyramid",
                "fees",
                "visits",
                "complaints",
                "satisfaction",
                "renewals",
                "at_risk",
                "served",
                "served_by_manager",
            )
        }
        self.hints = {name: QLabel() for name in ("pyramid", "served")}
        grid = QGridLayout()
        grid.setSpacing(12)
        cells = [
            ("pyramid", self.pyramid),
            ("fees", self.fees),
            ("served", self.served),
            ("visits", self.visits),
            ("complaints", self.complaints),
            ("satisfaction", self.satisfaction),
            ("renewals", self.renewals),
            ("at_risk", self.at_risk),
            ("served_by_manager", self.served_by_manager),
        ]
        for i, (name, chart) in enumerate(cells):
            grid.addWidget(_card(self.titles[name], chart, self.hints.get(name)), i // 3, i % 3)
            chart.activated.connect(lambda key, n=name: self._activated(n, key))
        body = QWidget()
        body.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self.retranslate()
        if ctx is not None:
            self.attach(ctx)

    # -- life cycle --------------------------------------------------------------------------
    def attach(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._fill_scope()
        self.retranslate()
        self.refresh()

    def edit_standards(self) -> StandardsDialog | None:
        """The service standards per tier (supervisors and admins)."""
        from ..dialogs.standards import StandardsDialog

        if self._ctx is None:
            return None
        dlg = StandardsDialog(self._ctx, self, tasks=self._tasks)
        dlg.accepted.connect(self.refresh)
        dlg.open()
        self.standards_dialog = dlg
        return dlg

    def _fill_scope(self) -> None:
        self.scope_combo.blockSignals(True)
        self.scope_combo.clear()
        if self._ctx is not None and self._ctx.actor.sees_all_clients:
            self.scope_combo.addItem(_("All clients"), "all")
            self.scope_combo.addItem(_("My portfolio"), "mine")
            self.scope_combo.setVisible(True)
            self.standards_button.setVisible(True)
        else:
            self.scope_combo.addItem(_("My portfolio"), "mine")
            self.scope_combo.setVisible(False)
        self.scope_combo.blockSignals(False)

    def retranslate(self) -> None:
        mine = self._owner() is not None
        self.title.setText(_("My portfolio") if mine else _("Dashboard"))
        self.period_label.setText(_("Period:"))
        self.standards_button.setText(_("Service standards…"))
        self.standards_button.setToolTip(_("Which visit cadences every client of a tier gets"))
        current = self.period_combo.currentData()
        self.period_combo.blockSignals(True)
        self.period_combo.clear()
        for key, text in PERIODS:
            self.period_combo.addItem(_(text), key)
        self.period_combo.setCurrentIndex(max(0, self.period_combo.findData(current)))
        self.period_combo.blockSignals(False)
        texts = {
            "pyramid": _("Customer pyramid (paying clients per tier)"),
            "fees": _("Annual fees per tier"),
            "visits": _("Visits done against planned, by account manager"),
            "complaints": _("Open complaints by age and severity"),
            "satisfaction": _("Satisfaction trend (average score per quarter)"),
            "renewals": _("Renewals due (last month to three months ahead)"),
            "at_risk": _("At-risk clients (status or poor health)"),
            "served": _("Served to the tier's standard"),
            "served_by_manager": _("Served to standard, by account manager"),
        }
        for name, text in texts.items():
            self.titles[name].setText(text)
        self.hints["pyramid"].setText(_("Tier as assigned; prospects and lost clients are not counted."))
        self.hints["served"].setText(_("Every cadence of the tier's standard in place and none overdue."))
        if self.board is not None:
            self._show(self.board)

    def _owner(self) -> str | None:
        if self._ctx is None:
            return None
        if self.scope_combo.currentData() == "mine" or not self._ctx.actor.sees_all_clients:
            return self._ctx.actor.id
        return None

    def refresh(self) -> None:
        """Reload every figure (the data changed)."""
        self.invalidate()
        self.reload()

    def reload(self, *_args: object) -> None:
        """Reload the figures in the background (database lane); served to standard and the
        at-risk clients are kept from earlier today unless :meth:`invalidate` was called."""
        if self._ctx is None:
            return
        from ...services import dashboard

        ctx = self._ctx
        owner = self._owner()
        preset = self.period_combo.currentData() or "12m"
        self.title.setText(_("My portfolio") if owner is not None else _("Dashboard"))

        self._generation += 1
        generation = self._generation
        standing = self._standing if self._standing_key == (ctx.today(), owner) else None

        def work() -> tuple[Dashboard, dict[str | None, str]]:
            from ...services.users import list_users

            date_from, date_to = dashboard.period(preset, ctx.today())
            board = dashboard.load_dashboard(
                ctx, date_from=date_from, date_to=date_to, owner_id=owner, standing=standing or False
            )
            names: dict[str | None, str] = {
                u["id"]: u["display_name"] for u in list_users(ctx, include_inactive=True)
            }
            return board, names

        # Two steps at once: the period's figures on the database lane (shown as soon as they
        # come), and what needs every cadence and the health of every client (served to
        # standard, at-risk) on the pool, on a read connection of its own (reads only; SQLite
        # lets go of the GIL while it works, so on two cores both steps run side by side). That
        # second step is kept for the day so that another period does not compute it again.
        self._tasks.run_db(
            work, on_result=lambda r: self._arrived(generation, r), on_error=self._failed, name="dashboard"
        )
        if standing is None:
            self._standing = None
            self._standing_key = None

            def slow() -> Standing:
                return dashboard.load_standing(ctx, owner_id=owner)

            self._tasks.run(
                slow,
                on_result=lambda r: self._standing_arrived(generation, (ctx.today(), owner), r),
                on_error=self._failed,
                name="dashboard-standing",
            )

    def invalidate(self) -> None:
        """Forget the cached served-to-standard and at-risk figures (data changed)."""
        self._standing_key = None

    def _arrived(self, generation: int, result: tuple[Dashboard, dict[str | None, str]]) -> None:
        if generation != self._generation:
            return
        board, self._names = result
        self.board, self._board_generation = board, generation
        # the second step may have come first (it runs beside this one): only this day's and
        # this scope's
        if (
            self._standing is not None
            and not board.served.by_tier
            and self._standing_key == (board.as_of, board.owner_id)
        ):
            self.board = replace(board, served=self._standing.served, at_risk=self._standing.at_risk)
        self._show(self.board)
        if self.board.served.by_tier:
            self.loaded.emit()

    def _standing_arrived(self, generation: int, key: tuple[dt.date, str | None], standing: Standing) -> None:
        if generation != self._generation:
            return  # a reload since (another scope, or the data changed): its own step follows
        self._standing, self._standing_key = standing, key
        if self.board is None or self._board_generation != generation:
            return  # the period's figures are not here yet: they take it when they come
        self.board = replace(self.board, served=standing.served, at_risk=standing.at_risk)
        self._show(self.board)
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(_("The dashboard could not be loaded: {error}").format(error=exc))

    # -- charts ------------------------------------------------------------------------------
    def _show(self, board: Dashboard) -> None:
        tiers = [t.value for t in Tier]
        self.summary.setText(
            _("{n} clients · {start} to {end}").format(
                n=board.clients, start=board.date_from.isoformat(), end=board.date_to.isoformat()
            )
        )
        by_tier = {t.tier: t for t in board.pyramid}
        self.pyramid.set_items(
            [ChartItem(label(Tier, t), (by_tier[t].clients,), t) for t in tiers if t in by_tier]
        )
        if board.fees_visible:
            self.fees.set_items(
                [
                    ChartItem(label(Tier, t), (by_tier[t].fees or 0,), t, text=f"¥{by_tier[t].fees or 0:,}")
                    for t in tiers
                    if t in by_tier
                ]
            )
        else:
            self.fees.set_items([], empty=_("Fees are confidential for your role."))
        visits = [m for m in board.visits if m.planned or m.done]
        self.visits.set_items(
            [
                ChartItem(m.name, (m.planned, m.done), m.user_id or "", text=f"{m.done} / {m.planned}")
                for m in visits
            ],
            series=(_("Planned"), _("Done")),
            empty=_("No visits in this period."),
        )
        from ...services.dashboard import AGE_BUCKETS, SEVERITIES

        cells = {(c.age, c.severity): c for c in board.complaints}
        self.complaints.set_items(
            [
                ChartItem(_(text), tuple(cells[(i, s)].count for s in SEVERITIES), i)
                for i, (_u, text) in enumerate(AGE_BUCKETS)
            ],
            series=[label(Severity, s) for s in SEVERITIES],
        )
        self.satisfaction.set_items(
            [
                ChartItem(
                    q.label,
                    (None if q.average is None else round(q.average, 2),),
                    text=("–" if q.average is None else f"{q.average:.2f}") + f" ({q.surveys})",
                    short=_quarter_short(q.label),
                )
                for q in board.satisfaction
            ],
            empty=_("No surveys in this period."),
        )
        renew = {t: [m for m in board.renewals if m.tier == t] for t in tiers}
        self.renewals.set_items(
            [
                ChartItem(label(Tier, t), (len(renew[t]),), ("ids", tuple(m.client_id for m in renew[t])))
                for t in tiers
            ],
            empty=_("No renewals due."),
        )
        pending = not board.served.by_tier
        risk = {t: [m for m in board.at_risk if m.tier == t] for t in tiers}
        self.at_risk.set_items(
            []
            if pending
            else [
                ChartItem(label(Tier, t), (len(risk[t]),), ("ids", tuple(m.client_id for m in risk[t])))
                for t in tiers
            ],
            empty=_("Computing…"),
        )
        served = {f.key: f for f in board.served.by_tier}
        self.served.set_items(
            [
                ChartItem(
                    label(Tier, t), (served[t].served,), t, text=f"{served[t].served} / {served[t].clients}"
                )
                for t in tiers
                if t in served
            ],
            empty=_("Computing…"),
        )
        self.served_by_manager.set_items(
            [
                ChartItem(
                    self._names.get(f.key, "") if f.key else _("(no account manager)"),
                    (f.served,),
                    f.key or "",
                    text=f"{f.served} / {f.clients}",
                )
                for f in board.served.by_manager
            ],
            empty=_("Computing…") if pending else _("No clients."),
        )

    # -- click-through -----------------------------------------------------------------------
    def _activated(self, chart: str, key: Any) -> None:  # the chart item's key (ChartItem.key)
        from ...services.search import ClientFilter

        board = self.board
        if board is None:
            return
        owner = (board.owner_id,) if board.owner_id else ()
        title = self.titles[chart].text()
        if chart in ("pyramid", "fees"):
            f = ClientFilter(tiers=(key,), statuses=PAYING, owner_ids=owner)
            text = f"{title}: {label(Tier, key)}"
        elif chart == "visits":
            f = ClientFilter(owner_ids=(key,) if key else owner)
            text = f"{title}: {self._names.get(key, key)}"
        elif chart == "complaints":
            from ...services.dashboard import SEVERITIES

            age, column = key
            cell = next(c for c in board.complaints if c.age == age and c.severity == SEVERITIES[column])
            f = ClientFilter(ids=cell.client_ids, owner_ids=owner)
            text = title
        elif chart in ("renewals", "at_risk"):
            f = ClientFilter(ids=key[1], owner_ids=owner)
            text = title
        elif chart == "served":
            ids = tuple(sorted(board.served.not_served))
            f = ClientFilter(tiers=(key,), ids=ids, owner_ids=owner)
            text = _("Not served to standard: {tier}").format(tier=label(Tier, key))
        elif chart == "served_by_manager":
            ids = tuple(sorted(board.served.not_served))
            f = (
                ClientFilter(owner_ids=(key,), ids=ids)
                if key
                else ClientFilter(needs_owner=True, ids=ids, owner_ids=owner)
            )
            text = _("Not served to standard: {name}").format(name=self._names.get(key, key))
        else:
            return
        self.filter_requested.emit(f, text)


__all__ = ["DashboardPage", "PERIODS"]
