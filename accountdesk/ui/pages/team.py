"""Team (supervisors and admins): account managers and their clients, clients needing a new owner,
deactivated users; reassignment through a handover."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, TypedDict

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from .. import icons
from ..item_models.clients import ClientTableModel
from ..item_models.roles import ID_ROLE
from ..item_models.team import OwnerRow, OwnersModel
from ..widgets.badges import BadgeDelegate

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ...services.turnover import ResignationResult
    from ..tasks import TaskManager
    from .resign_dialog import ResignationDialog

log = logging.getLogger(__name__)

#: Columns of the two client tables on this screen (an owner's clients; clients needing an owner).
OWNER_CLIENT_COLUMNS = ("name", "tier", "status", "region")
NEEDING_COLUMNS = ("name", "tier", "status", "owner")


class TeamData(TypedDict):
    """What the Team screen shows, read on the database lane."""

    owners: list[OwnerRow]
    inactive: list[OwnerRow]
    needing: int
    handovers: list[dict[str, Any]]


def load_team(ctx: AppContext) -> TeamData:
    from ...services.search import ClientFilter, count_clients
    from ...services.users import list_users

    users = list_users(ctx, include_inactive=True)
    owners: list[OwnerRow] = []
    inactive: list[OwnerRow] = []
    for u in users:
        n = count_clients(ctx, filters=ClientFilter(owner_ids=(u["id"],)))
        row = OwnerRow(
            u["id"],
            u.get("display_name") or u["username"],
            u.get("role") or "",
            u.get("team") or "",
            bool(u.get("active", True)),
            n,
        )
        (owners if row.active else inactive).append(row)
    needing = count_clients(ctx, filters=ClientFilter(needs_owner=True))
    from ...services.handover import recent_handovers

    return {
        "owners": owners,
        "inactive": inactive,
        "needing": needing,
        "handovers": recent_handovers(ctx, 30),
    }


def _client_table(model: ClientTableModel, columns: tuple[str, ...]) -> QTableView:
    from ..item_models.clients import COLUMNS

    view = QTableView()
    view.setModel(model)
    view.setItemDelegate(BadgeDelegate(view))
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(
        QAbstractItemView.SelectionMode.ExtendedSelection
    )  # shift/ctrl-click: several clients
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setShowGrid(False)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(32)
    view.horizontalHeader().setStretchLastSection(True)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    for i, c in enumerate(COLUMNS):
        view.setColumnHidden(i, c.key not in columns)
        if c.width is not None:
            view.setColumnWidth(i, c.width)
    view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    view.horizontalHeader().setStretchLastSection(False)
    return view


class TeamPage(QWidget):
    client_open_requested = Signal(str)
    loaded = Signal()
    #: The dialog opened last (resignation or handover; tests answer it).
    _dialog: QDialog

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._owners: list[OwnerRow] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 20, 24, 12)
        outer.setSpacing(12)
        head = QHBoxLayout()
        self.title = QLabel(_("Team"))
        self.title.setObjectName("PageTitle")
        head.addWidget(self.title)
        head.addStretch(1)
        self.handover_button = QPushButton(icons.icon("handover"), _("Hand over…"))
        self.handover_button.clicked.connect(self.hand_over_selected)
        head.addWidget(self.handover_button)
        self.resign_button = QPushButton(icons.icon("handover"), _("Resignation…"))
        self.resign_button.setObjectName("resign")
        self.resign_button.setToolTip(
            _("Everything the selected user holds, handed over to one or several successors")
        )
        self.resign_button.clicked.connect(self.resign_selected)
        head.addWidget(self.resign_button)
        outer.addLayout(head)
        self.result_label = QLabel("")
        self.result_label.setObjectName("result")
        self.result_label.setWordWrap(True)
        self.result_label.hide()
        outer.addWidget(self.result_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 8, 0)
        heading = QLabel(_("Account managers"))
        heading.setObjectName("SectionTitle")
        lv.addWidget(heading)
        self.owners_model = OwnersModel(self)
        self.owners_view = QTableView()
        self.owners_view.setModel(self.owners_model)
        self.owners_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.owners_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.owners_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.owners_view.setShowGrid(False)
        self.owners_view.verticalHeader().setVisible(False)
        self.owners_view.verticalHeader().setDefaultSectionSize(32)
        self.owners_view.setWordWrap(False)
        oh = self.owners_view.horizontalHeader()
        oh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            oh.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.owners_view.horizontalHeader().setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        self.owners_view.selectionModel().currentRowChanged.connect(self._owner_selected)
        lv.addWidget(self.owners_view, 2)
        heading = QLabel(_("Deactivated users"))
        heading.setObjectName("SectionTitle")
        lv.addWidget(heading)
        self.inactive_list = QListWidget()
        self.inactive_list.currentRowChanged.connect(self._update_handover)
        lv.addWidget(self.inactive_list, 1)
        heading = QLabel(_("Recent handovers"))
        heading.setObjectName("SectionTitle")
        lv.addWidget(heading)
        self.handovers_list = QListWidget()
        self.handovers_list.setObjectName("handovers")
        lv.addWidget(self.handovers_list, 1)
        splitter.addWidget(left)

        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(8, 0, 0, 0)
        self.owner_clients_title = QLabel(_("Clients of the selected account manager"))
        self.owner_clients_title.setObjectName("SectionTitle")
        rv.addWidget(self.owner_clients_title)
        self.owner_clients = ClientTableModel(ctx, tasks, self)
        self.owner_clients_view = _client_table(self.owner_clients, OWNER_CLIENT_COLUMNS)
        self.owner_clients_view.doubleClicked.connect(self._open)
        rv.addWidget(self.owner_clients_view, 3)
        self.needing_title = QLabel()
        self.needing_title.setObjectName("SectionTitle")
        rv.addWidget(self.needing_title)
        self.needing = ClientTableModel(ctx, tasks, self)
        self.needing_view = _client_table(self.needing, NEEDING_COLUMNS)
        self.needing_view.doubleClicked.connect(self._open)
        rv.addWidget(self.needing_view, 2)
        splitter.addWidget(right)
        splitter.setSizes([470, 610])
        outer.addWidget(splitter, 1)

        for view in (self.owner_clients_view, self.needing_view):
            view.selectionModel().selectionChanged.connect(self._update_handover)
            view.model().modelReset.connect(self._update_handover)
        self._update_handover()
        self.refresh()

    def _update_handover(self, *_args: object) -> None:
        chosen = bool(self.selected_clients())
        self.handover_button.setEnabled(chosen)
        self.handover_button.setToolTip(
            _("Reassign the selected clients to another account manager")
            if chosen
            else _("Select a client in one of the lists first (shift-click: several).")
        )
        if hasattr(self, "resign_button"):
            self.resign_button.setEnabled(self.selected_user() is not None)

    def refresh(self) -> None:
        from ...services.search import ClientFilter

        ctx = self._ctx
        self._tasks.run_db(lambda: load_team(ctx), on_result=self._show, name="team")
        self.needing.set_query(filters=ClientFilter(needs_owner=True))

    def _show(self, data: TeamData) -> None:
        # those who own clients first (most clients first), then the others by name
        self._owners = sorted(data["owners"], key=lambda o: (-o.clients, o.name))
        self.owners_model.set_rows(self._owners)
        self.inactive_list.clear()
        for u in data["inactive"]:
            text = (
                (
                    _("{name} — still owns {n} client")
                    if u.clients == 1
                    else _("{name} — still owns {n} clients")
                ).format(name=u.name, n=u.clients)
                if u.clients
                else u.name
            )
            self.inactive_list.addItem(text)
            self.inactive_list.item(self.inactive_list.count() - 1).setData(
                Qt.ItemDataRole.UserRole, u.user_id
            )
        if not data["inactive"]:
            self.inactive_list.addItem(_("Nobody has been deactivated."))
        self.handovers_list.clear()
        for h in data.get("handovers", []):
            state = (
                _("acknowledged by the successor")
                if h["acknowledged"]
                else _("waiting for the successor's acknowledgement")
            )
            self.handovers_list.addItem(
                f"{h['at'].astimezone().strftime('%Y-%m-%d')}  {h['client_name']}: "
                f"{h['from_name'] or '—'} → {h['to_name']} · {state}"
            )
        if not data.get("handovers"):
            self.handovers_list.addItem(_("No handover yet."))
        self.needing_title.setText(_("Clients needing a new owner · {n}").format(n=data["needing"]))
        if self._owners and not self.owners_view.currentIndex().isValid():
            self.owners_view.selectRow(0)
        self.loaded.emit()

    def _owner_selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        from ...services.search import ClientFilter

        user_id = current.data(ID_ROLE) if current.isValid() else None
        row = self.owners_model.row_at(current.row()) if current.isValid() else None
        if row is not None:
            self.owner_clients_title.setText(_("Clients of {name}").format(name=row.name))
        self.owner_clients.set_query(filters=ClientFilter(owner_ids=(user_id,) if user_id else ("-",)))
        self._update_handover()

    def _open(self, index: QModelIndex) -> None:
        client_id = index.data(ID_ROLE)
        if client_id:
            self.client_open_requested.emit(client_id)

    def selected_clients(self) -> list[tuple[str, str]]:
        """The clients selected in the list the user is in (several with shift- or ctrl-click)."""
        views = ((self.needing_view, self.needing), (self.owner_clients_view, self.owner_clients))
        ordered = sorted(views, key=lambda v: not v[0].hasFocus())  # the list the user is in first
        for view, model in ordered:
            rows = sorted(i.row() for i in view.selectionModel().selectedRows())
            clients = [model.client_at(r) for r in rows]
            found = [(c.id, c.name) for c in clients if c is not None]
            if found:
                return found
        return []

    def selected_client(self) -> tuple[str, str] | None:
        chosen = self.selected_clients()
        return chosen[0] if chosen else None

    def selected_user(self) -> str | None:
        """The user chosen for a resignation: the selected account manager, or a deactivated user
        selected in their list (they may still hold clients)."""
        item = self.inactive_list.currentItem()
        if item is not None and self.inactive_list.hasFocus() and item.data(Qt.ItemDataRole.UserRole):
            inactive_id: str = item.data(Qt.ItemDataRole.UserRole)
            return inactive_id
        index = self.owners_view.currentIndex()
        if index.isValid():
            owner_id: str | None = index.data(ID_ROLE)
            return owner_id
        user_id: str | None = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return user_id

    def resign_selected(self, user_id: str | None = None) -> ResignationDialog | None:
        from .resign_dialog import ResignationDialog

        user_id = user_id or self.selected_user()
        if not user_id:
            return None
        dialog = ResignationDialog(self._ctx, self._tasks, user_id, self)
        dialog.resigned.connect(self._resigned)
        dialog.open()
        self._dialog = dialog
        return dialog

    def _resigned(self, result: ResignationResult) -> None:
        from .resign_dialog import result_text

        names = {o.user_id: o.name for o in self._owners}
        self.result_label.setText(result_text(result, names))
        self.result_label.show()
        self.refresh()

    def hand_over_selected(self) -> None:
        several = self.selected_clients()
        if len(several) > 1:
            from .resign_dialog import BulkHandoverDialog

            dialog = BulkHandoverDialog(self._ctx, self._tasks, several, self)
            dialog.accepted.connect(self.refresh)
            dialog.open()
            self._dialog = dialog
            return
        chosen = self.selected_client()
        if chosen is None:
            return
        from ..workspace import HandoverDialog  # the workspace's dialog, with the checklist

        handover = HandoverDialog(self._ctx, chosen[0], self)
        handover.accepted.connect(self.refresh)
        handover.open()
        self._dialog = handover
