"""Find duplicates: likely duplicate clients and contacts of the profile
(``services/duplicates.py``), merging a client into another and undoing merges
(``services/merge.py``). Merging is for supervisors and administrators; others see the list."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from ...permissions import may_write
from .. import style
from ..item_models.roles import CLIENT_ID_ROLE, ID_ROLE
from .import_common import error_text, reason_text

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ...services.duplicates import DuplicateReport
    from ..tasks import TaskManager


def _tree(headers: list[str]) -> QTreeWidget:
    tree = QTreeWidget()
    tree.setHeaderLabels(headers)
    tree.setAlternatingRowColors(True)
    tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    tree.setUniformRowHeights(True)
    tree.header().setStretchLastSection(True)
    tree.setColumnWidth(0, 380)
    tree.setStyleSheet(style.ROOMY_TREE_CSS)
    return tree


def _group_item(reason: str, key: str) -> QTreeWidgetItem:
    top = QTreeWidgetItem([_("{reason}: {key}").format(reason=reason_text(reason), key=key), ""])
    top.setFlags(Qt.ItemFlag.ItemIsEnabled)
    font = top.font(0)
    font.setBold(True)
    top.setFont(0, font)
    return top


class DuplicatesDialog(QDialog):
    #: A client to open in the workspace (double-click on a row).
    client_open_requested = Signal(str)
    #: Clients were merged or a merge undone: lists elsewhere are stale.
    changed = Signal()

    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None):
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.may_merge = may_write(ctx.actor.role, "client", "delete")
        self.confirm: QMessageBox | None = None
        self._message = ""
        self.setWindowTitle(_("Find duplicates"))
        self.setMinimumSize(760, 520)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 14)
        layout.setSpacing(10)
        intro = QLabel(
            _(
                "Clients with the same credit code or the same name (legal suffixes such as 有限公司 ignored), "
                "and contacts of a client with the same name, mobile or email."
            )
        )
        intro.setObjectName("Hint")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.role_note = QLabel(_("Only supervisors and administrators may merge clients or undo a merge."))
        self.role_note.setObjectName("Note")
        self.role_note.setWordWrap(True)
        self.role_note.setVisible(not self.may_merge)
        layout.addWidget(self.role_note)
        self.tabs = QTabWidget()

        clients_page = QWidget()
        cl = QVBoxLayout(clients_page)
        cl.setContentsMargins(8, 8, 8, 8)
        self.clients_tree = _tree([_("Client"), _("Credit code")])
        self.clients_tree.itemSelectionChanged.connect(self._update_buttons)
        self.clients_tree.itemDoubleClicked.connect(self._open_item)
        cl.addWidget(self.clients_tree, 1)
        bar = QHBoxLayout()
        self.merge_button = QPushButton(_("Keep this client, merge the others into it…"))
        self.merge_button.setObjectName("Primary")
        self.merge_button.clicked.connect(self.merge_selected)
        bar.addWidget(self.merge_button)
        bar.addStretch(1)
        cl.addLayout(bar)
        self.tabs.addTab(clients_page, "")

        contacts_page = QWidget()
        pl = QVBoxLayout(contacts_page)
        pl.setContentsMargins(8, 8, 8, 8)
        self.contacts_tree = _tree([_("Contact"), _("Client")])
        self.contacts_tree.itemDoubleClicked.connect(self._open_item)
        pl.addWidget(self.contacts_tree, 1)
        hint = QLabel(
            _("Double-click a contact to open its client, then edit or delete the duplicate there.")
        )
        hint.setObjectName("Hint")
        hint.setWordWrap(True)
        pl.addWidget(hint)
        self.tabs.addTab(contacts_page, "")

        merges_page = QWidget()
        ml = QVBoxLayout(merges_page)
        ml.setContentsMargins(8, 8, 8, 8)
        self.merges_tree = _tree([_("Merged client"), _("Into"), _("When"), _("Rows moved")])
        self.merges_tree.setRootIsDecorated(False)
        self.merges_tree.setColumnWidth(0, 220)
        self.merges_tree.setColumnWidth(1, 220)
        self.merges_tree.setColumnWidth(2, 140)
        self.merges_tree.itemSelectionChanged.connect(self._update_buttons)
        ml.addWidget(self.merges_tree, 1)
        bar = QHBoxLayout()
        self.undo_button = QPushButton(_("Undo this merge…"))
        self.undo_button.clicked.connect(self.undo_selected)
        bar.addWidget(self.undo_button)
        bar.addStretch(1)
        ml.addLayout(bar)
        self.tabs.addTab(merges_page, "")
        layout.addWidget(self.tabs, 1)

        self.status = QLabel()
        self.status.setObjectName("Hint")
        self.status.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("Error")
        self.error.setWordWrap(True)
        self.error.hide()
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        close = QPushButton(_("Close"))
        close.clicked.connect(self.accept)
        bottom.addWidget(close)
        layout.addWidget(self.error)
        layout.addLayout(bottom)
        self.loaded = False
        self._update_buttons()
        self.reload()

    # -- loading --------------------------------------------------------------------------------
    def reload(self) -> None:
        ctx = self._ctx
        self.loaded = False
        self.status.setText(_("Looking for duplicates…"))

        def work() -> tuple[DuplicateReport, list[dict[str, Any]], dict[str, str]]:
            from ...services.duplicates import find_duplicates
            from ...services.merge import list_merges
            from ...services.records import get_record

            report = find_duplicates(ctx)
            merges = list_merges(ctx)
            names: dict[str, str] = {}
            for group in report.clients:
                names.update(zip(group.ids, group.names, strict=True))
            for m in merges:
                if m["into_id"] not in names:
                    try:
                        names[m["into_id"]] = str(get_record(ctx, "client", m["into_id"]).get("name") or "")
                    except Exception:  # noqa: BLE001 - a client removed since: shown without a name
                        names[m["into_id"]] = ""
            client_ids = {c for g in report.contacts for c in g.client_ids if c}
            for cid in client_ids - names.keys():
                try:
                    names[cid] = str(get_record(ctx, "client", cid).get("name") or "")
                except Exception:  # noqa: BLE001
                    names[cid] = ""
            return report, merges, names

        self._tasks.run_db(work, on_result=self._show, on_error=self._failed, name="find-duplicates")

    def _show(self, payload: tuple[DuplicateReport, list[dict[str, Any]], dict[str, str]]) -> None:
        report, merges, names = payload
        self.report, self.merges = report, merges
        self.clients_tree.clear()
        for group in report.clients:
            top = _group_item(group.reason, group.key)
            for cid, name in zip(group.ids, group.names, strict=True):
                child = QTreeWidgetItem([name, group.key if group.reason == "uscc" else ""])
                child.setData(0, ID_ROLE, cid)
                child.setData(0, CLIENT_ID_ROLE, cid)
                top.addChild(child)
            self.clients_tree.addTopLevelItem(top)
            top.setExpanded(True)
        self.contacts_tree.clear()
        for group in report.contacts:
            top = _group_item(group.reason, group.key)
            for pid, name, client_id in zip(group.ids, group.names, group.client_ids, strict=True):
                child = QTreeWidgetItem([name, names.get(client_id or "", "")])
                child.setData(0, ID_ROLE, pid)
                child.setData(0, CLIENT_ID_ROLE, client_id)
                top.addChild(child)
            self.contacts_tree.addTopLevelItem(top)
            top.setExpanded(True)
        self.merges_tree.clear()
        for m in merges:
            item = QTreeWidgetItem(
                [
                    str(m["source_name"] or ""),
                    names.get(m["into_id"], ""),
                    _short_time(m["at"]),
                    str(m["moved"]),
                ]
            )
            item.setData(0, ID_ROLE, m["merge_id"])
            item.setData(0, CLIENT_ID_ROLE, m["into_id"])
            self.merges_tree.addTopLevelItem(item)
        self.tabs.setTabText(0, _("Clients ({n})").format(n=len(report.clients)))
        self.tabs.setTabText(1, _("Contacts ({n})").format(n=len(report.contacts)))
        self.tabs.setTabText(2, _("Merges ({n})").format(n=len(merges)))
        if not report.clients and not report.contacts:
            self.status.setText(_("No likely duplicates found."))
        else:
            self.status.setText(
                _("{clients} groups of clients and {contacts} groups of contacts may be duplicates.").format(
                    clients=len(report.clients), contacts=len(report.contacts)
                )
            )
        if self._message:
            self.status.setText(self._message)
            self._message = ""
        self.loaded = True
        self._update_buttons()

    def _failed(self, exc: BaseException) -> None:
        self.loaded = True
        self.status.setText("")
        self.error.setText(error_text(exc))
        self.error.show()
        self._update_buttons()

    def _update_buttons(self) -> None:
        item = self.clients_tree.currentItem()
        chosen = item is not None and item.parent() is not None and bool(item.isSelected())
        self.merge_button.setEnabled(self.may_merge and chosen)
        self.merge_button.setToolTip("" if self.may_merge else self.role_note.text())
        merge = self.merges_tree.currentItem()
        self.undo_button.setEnabled(self.may_merge and merge is not None and bool(merge.isSelected()))
        self.undo_button.setToolTip("" if self.may_merge else self.role_note.text())

    def _open_item(self, item: QTreeWidgetItem, _column: int) -> None:
        cid = item.data(0, CLIENT_ID_ROLE)
        if cid:
            self.client_open_requested.emit(cid)

    # -- merging -------------------------------------------------------------------------------
    def merge_selected(self) -> None:
        item = self.clients_tree.currentItem()
        group = item.parent() if item is not None else None
        if item is None or group is None:
            return
        keep = item.data(0, ID_ROLE)
        children = [c for i in range(group.childCount()) if (c := group.child(i)) is not None]
        others = [(c.data(0, ID_ROLE), c.text(0)) for c in children if c.data(0, ID_ROLE) != keep]
        text = _("Merge {others} into {keep}?").format(
            others="、".join(f"“{n}”" for _i, n in others), keep=f"“{item.text(0)}”"
        )
        info = _(
            "Their contacts, visits, feedback and every other record move to the client you keep; its empty "
            "fields are filled and differing values are kept in a service note. The merged clients are "
            "removed. You can undo a merge later under Merges."
        )
        self._ask(text, info, _("Merge"), lambda: self._merge(keep, [i for i, _n in others]))

    def _ask(self, text: str, info: str, yes: str, then: Callable[[], None]) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Question, _("Find duplicates"), text, QMessageBox.StandardButton.Cancel, self
        )
        box.setInformativeText(info)
        ok = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(lambda button: then() if button is ok else None)
        self.confirm = box
        box.open()

    def _merge(self, keep: str, others: list[str]) -> None:
        ctx = self._ctx

        def work() -> list[str]:
            from ...services.merge import merge_clients

            return [merge_clients(ctx, source, keep) for source in others]

        self.error.hide()
        self.status.setText(_("Merging…"))
        self._tasks.run_db(
            work,
            on_result=lambda ids: self._done(_("Merged {n} clients.").format(n=len(ids))),
            on_error=self._failed,
            name="merge-clients",
        )

    def undo_selected(self) -> None:
        item = self.merges_tree.currentItem()
        if item is None:
            return
        merge_id = item.data(0, ID_ROLE)
        text = _("Undo the merge of {name}?").format(name=f"“{item.text(0)}”")
        info = _(
            "The client comes back with its values and the records that came from it; edits made since are kept."
        )
        self._ask(text, info, _("Undo merge"), lambda: self._undo(merge_id))

    def _undo(self, merge_id: str) -> None:
        ctx = self._ctx

        def work() -> str:
            from ...services.merge import undo_merge

            return undo_merge(ctx, merge_id)

        self.error.hide()
        self.status.setText(_("Undoing the merge…"))
        self._tasks.run_db(
            work,
            on_result=lambda _id: self._done(_("The merge was undone; the client is back.")),
            on_error=self._failed,
            name="undo-merge",
        )

    def _done(self, message: str) -> None:
        self.changed.emit()
        self._message = message
        self.reload()


def _short_time(value: object) -> str:
    import datetime as dt

    try:
        return (
            dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            .astimezone()
            .strftime("%Y-%m-%d %H:%M")
        )
    except ValueError:
        return str(value)
