"""Contacts: the list and the relationship map (关系图谱) drawn by reports-to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsObject,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from ...domain.validation import format_phone
from ...i18n import _
from ...labels import label
from ...models.enums import Attitude, BuyingRole, RelationshipRole
from ...services import records
from .. import style
from ..forms.fmt import fmt_date
from ..item_models.columns import Column
from ..style import GREY
from .base import Tab, split
from .common import section_title

if TYPE_CHECKING:
    from ...services.context import AppContext
    from ..dialogs.import_wizard import ImportWizard
    from ..forms import Lookups

NODE_W = 204
NODE_H = 70
GAP_X = 22
GAP_Y = 46

#: attitude -> (border, fill)
ATTITUDE_COLOURS = {
    "supporter": (style.BRIGHT_GREEN, style.GREEN_TINT),
    "neutral": (style.TEXT_MUTED, style.SURFACE_GREY),
    "detractor": (style.BRIGHT_RED, style.RED_TINT),
    None: (style.TEXT_FAINT, style.WHITE),
}


class ContactNode(QGraphicsObject):
    """One contact: name, title, buying role and influence; colour by attitude; greyed if left."""

    activated = Signal(str)

    def __init__(self, contact: dict[str, Any]):
        super().__init__()
        self.contact = contact
        self.contact_id = contact["id"]
        self.left = bool(contact.get("left_company_on"))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        role = label(BuyingRole, contact.get("buying_role")) or label(
            RelationshipRole, contact.get("relationship_role")
        )
        influence = contact.get("influence")
        bits = [role] if role else []
        if influence is not None:
            bits.append(_("Influence {n}").format(n=influence))
        self.line3 = " · ".join(bits)
        tip = [contact["name"]]
        if contact.get("title"):
            tip.append(contact["title"])
        if contact.get("attitude"):
            tip.append(_("Attitude: {a}").format(a=label(Attitude, contact["attitude"])))
        if self.left:
            tip.append(_("Left the company on {date}").format(date=fmt_date(contact["left_company_on"])))
        self.setToolTip("\n".join(tip))
        if self.left:
            self.setOpacity(0.55)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(-2, -2, NODE_W + 4, NODE_H + 4)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        border, fill = ATTITUDE_COLOURS.get(self.contact.get("attitude"), ATTITUDE_COLOURS[None])
        if self.left:
            border, fill = GREY, style.SURFACE_GREY
        rect = QRectF(0, 0, NODE_W, NODE_H)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(QColor(border), 2.4 if self.isSelected() else 1.4)
        if self.left:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(QBrush(QColor(fill)))
        painter.drawRoundedRect(rect, 8, 8)
        # attitude stripe
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(border))
        painter.drawRoundedRect(QRectF(0, 0, 6, NODE_H), 3, 3)
        font = QFont(painter.font())
        font.setBold(True)
        font.setPointSizeF(max(font.pointSizeF(), 9.5))
        painter.setFont(font)
        painter.setPen(QColor(style.TEXT))
        name = self.contact["name"]
        if self.contact.get("is_primary"):
            name = "★ " + name
        if self.left:
            name += " " + _("(left)")
        text_rect = QRectF(14, 6, NODE_W - 20, 22)
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, int(text_rect.width())),
        )
        font.setBold(False)
        font.setPointSizeF(font.pointSizeF() - 1)
        painter.setFont(font)
        painter.setPen(QColor(style.TEXT_SUBTLE))
        fm = painter.fontMetrics()
        title = " · ".join(x for x in (self.contact.get("title"), self.contact.get("department")) if x)
        painter.drawText(
            QRectF(14, 27, NODE_W - 20, 18),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(title, Qt.TextElideMode.ElideRight, NODE_W - 20),
        )
        painter.setPen(QColor(border))
        painter.drawText(
            QRectF(14, 46, NODE_W - 20, 18),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(self.line3, Qt.TextElideMode.ElideRight, NODE_W - 20),
        )

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self.activated.emit(self.contact_id)
        super().mouseDoubleClickEvent(event)


def layout_forest(
    contacts: list[dict[str, Any]],
) -> tuple[dict[str, tuple[float, float]], list[tuple[str, str]]]:
    """Positions of a top-down org chart and the (boss, report) edges; loops are broken."""
    by_id = {c["id"]: c for c in contacts}
    children: dict[str | None, list[str]] = {}
    edges: list[tuple[str, str]] = []
    for c in sorted(contacts, key=lambda c: (-(c.get("influence") or 0), c["name"])):
        boss = c.get("reports_to_id")
        if boss not in by_id or boss == c["id"]:
            boss = None
        children.setdefault(boss, []).append(c["id"])
        if boss is not None:
            edges.append((boss, c["id"]))
    pos: dict[str, tuple[float, float]] = {}
    next_x = [0.0]
    visiting: set[str] = set()

    def place(cid: str, depth: int) -> float:
        visiting.add(cid)
        kids = [k for k in children.get(cid, []) if k not in visiting and k not in pos]
        if not kids:
            x = next_x[0]
            next_x[0] += NODE_W + GAP_X
        else:
            xs = [place(k, depth + 1) for k in kids]
            x = (xs[0] + xs[-1]) / 2
        pos[cid] = (x, depth * (NODE_H + GAP_Y))
        return x

    for root in children.get(None, []):
        place(root, 0)
    for c in contacts:  # members of a reports-to loop (not reachable from a root)
        if c["id"] not in pos:
            place(c["id"], 0)
    edges = [(a, b) for a, b in edges if a in pos and b in pos]
    return pos, edges


class RelationshipMap(QGraphicsView):
    contact_activated = Signal(str)
    contact_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("relationship_map")
        self.scene_ = QGraphicsScene(self)
        self.setScene(self.scene_)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setBackgroundBrush(QColor(style.CANVAS))
        self.setMinimumHeight(200)
        self.nodes: dict[str, ContactNode] = {}
        self.edges: list[tuple[str, str]] = []
        self.scene_.selectionChanged.connect(self._selection_changed)

    def _selection_changed(self) -> None:
        items = [i for i in self.scene_.selectedItems() if isinstance(i, ContactNode)]
        if items:
            self.contact_selected.emit(items[0].contact_id)

    def set_contacts(self, contacts: list[dict[str, Any]]) -> None:
        self.scene_.clear()
        self.nodes = {}
        pos, self.edges = layout_forest(contacts)
        pen = QPen(QColor(style.TEXT_FAINT), 1.4)
        for boss, report in self.edges:
            bx, by = pos[boss]
            rx, ry = pos[report]
            start = QPointF(bx + NODE_W / 2, by + NODE_H)
            end = QPointF(rx + NODE_W / 2, ry)
            mid = (start.y() + end.y()) / 2
            path = QPainterPath(start)
            path.lineTo(start.x(), mid)
            path.lineTo(end.x(), mid)
            path.lineTo(end)
            item = QGraphicsPathItem(path)
            item.setPen(pen)
            item.setData(0, (boss, report))
            item.setZValue(-1)
            self.scene_.addItem(item)
        for c in contacts:
            node = ContactNode(c)
            x, y = pos[c["id"]]
            node.setPos(x, y)
            node.activated.connect(self.contact_activated)
            self.scene_.addItem(node)
            self.nodes[c["id"]] = node
        self.scene_.setSceneRect(self.scene_.itemsBoundingRect().adjusted(-20, -20, 20, 20))
        self.fit()

    def fit(self) -> None:
        """Show the whole chart when it fits at a readable size (never enlarged, at least 60 %)."""
        rect = self.scene_.sceneRect()
        view = self.viewport().size()
        if rect.isEmpty() or view.width() < 50 or view.height() < 50:
            return
        factor = min(1.0, view.width() / rect.width(), view.height() / rect.height())
        factor = max(factor, 0.6)
        self.resetTransform()
        self.scale(factor, factor)
        self.centerOn(rect.center().x(), rect.top() + min(rect.height(), view.height() / factor) / 2)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.fit()

    def select(self, contact_id: str) -> None:
        node = self.nodes.get(contact_id)
        if node is not None and node.isSelected():
            return
        self.scene_.blockSignals(True)
        self.scene_.clearSelection()
        if node is not None:
            node.setSelected(True)
            self.ensureVisible(node)
        self.scene_.blockSignals(False)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - ctrl+wheel zooms
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            factor = 1.15 if event.angleDelta().y() > 0 else 1 / 1.15
            self.scale(factor, factor)
        else:
            super().wheelEvent(event)


def _legend() -> QWidget:
    w = QWidget()
    row = QHBoxLayout(w)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(12)
    for value in ("supporter", "neutral", "detractor"):
        border, _fill = ATTITUDE_COLOURS[value]
        lab = QLabel(f"<span style='color:{border}; font-size:14px'>■</span> {label(Attitude, value)}")
        row.addWidget(lab)
    left = QLabel(f"<span style='color:{GREY}'>▭</span> " + _("Left the company"))
    row.addWidget(left)
    row.addStretch(1)
    return w


class ContactsTab(Tab):
    def __init__(
        self, ctx: AppContext, client_id: str, lookups: Lookups, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, client_id, lookups, parent)

        def reports_to(r: dict[str, Any]) -> str:
            return lookups.ref_label("contact", r.get("reports_to_id")).split(" · ")[0]

        self.contacts = self.panel(
            "contact",
            [
                Column(
                    "name", _("Name"), lambda r: ("★ " if r.get("is_primary") else "") + r["name"], width=130
                ),
                Column("title", _("Job title"), width=120),
                Column("department", _("Department"), width=100),
                Column(
                    "buying_role",
                    _("Buying role"),
                    lambda r: label(BuyingRole, r.get("buying_role")),
                    width=100,
                ),
                Column("influence", _("Influence"), width=70, align_right=True),
                Column(
                    "attitude",
                    _("Attitude"),
                    lambda r: label(Attitude, r.get("attitude")),
                    width=70,
                    color=lambda r: (
                        ATTITUDE_COLOURS.get(r.get("attitude"), (None,))[0] if r.get("attitude") else None
                    ),
                ),
                Column("reports_to_id", _("Reports to"), reports_to, width=100),
                Column("mobile", _("Mobile"), lambda r: format_phone(r.get("mobile")), width=130),
                Column("email", _("Email"), width=160),
                Column(
                    "left_company_on", _("Left on"), lambda r: fmt_date(r.get("left_company_on")), width=90
                ),
            ],
            title=_("Contacts"),
            empty=_("No contacts yet. Add the people you deal with, and who reports to whom."),
            load=lambda: sorted(
                records.list_records(ctx, "contact", client_id),
                key=lambda r: (bool(r.get("left_company_on")), not r.get("is_primary"), r["name"]),
            ),
            new_label=_("New contact"),
        )
        self.contacts.model.muted = lambda r: bool(r.get("left_company_on"))
        self.import_button = QPushButton(_("Import…"))
        self.import_button.setToolTip(_("Import contacts of this client from an Excel or CSV file"))
        self.import_button.clicked.connect(self.import_contacts)
        self.contacts.extra_bar.addWidget(self.import_button)
        self.map = RelationshipMap(self)
        holder = QWidget(self)
        box = QVBoxLayout(holder)
        box.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(section_title(_("Relationship map"), holder))
        head.addSpacing(16)
        head.addWidget(_legend(), 1)
        box.addLayout(head)
        box.addWidget(self.map, 1)
        self.layout_.addWidget(split(self.contacts, holder, sizes=[260, 380]))
        self.map.contact_activated.connect(self._edit_from_map)
        self.map.contact_selected.connect(self.contacts.select)
        self.contacts.loaded.connect(lambda: self.map.set_contacts(self.contacts.model.rows))
        self.contacts.selection_changed.connect(lambda r: self.map.select(r["id"]) if r else None)

    def import_contacts(self) -> ImportWizard | None:
        """The import wizard of the main window, for contacts of this client."""
        window = self.window()
        if not hasattr(window, "import_file"):
            return None
        wizard: ImportWizard | None = window.import_file(self.client_id)
        if wizard is not None:
            wizard.imported.connect(lambda _result: self.reload())
        return wizard

    def _edit_from_map(self, contact_id: str) -> None:
        self.contacts.select(contact_id)
        self.contacts.edit()

    def _select(self, row_id: str) -> bool:
        ok = super()._select(row_id)
        if ok and row_id:
            self.map.select(row_id)
        return ok
