"""The org chart of a client's contacts, drawn as a tree (who reports to whom).

Each box shows the name, job title, buying role and attitude (the colour of its left edge);
contacts who left the company are greyed out. A manager whose reports are all leaves lists them
in a column under it, which keeps wide departments on the page; a forest wider than the page is
scaled down, or split into one drawing per top-level person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from ..i18n import _
from ..labels import label
from ..models.enums import Attitude, BuyingRole
from ..services.dossier import ContactInfo
from .fonts import FONT, FONT_BOLD
from .styles import ATTITUDE_COLOURS, CONTENT_WIDTH, GREY_OUT, MUTED, NAVY, RULE, SLATE, WHITE

BOX_W, BOX_H = 118.0, 48.0
H_GAP, V_GAP, COL_GAP, INDENT = 12.0, 22.0, 8.0, 14.0
#: A drawing is never shrunk below this (the smallest text stays above 6.5 pt): a department too
#: wide for the page is listed in a column under its head instead, and a forest too wide is split.
MIN_SCALE = 0.9
NAME_SIZE, TEXT_SIZE = 9.0, 7.5


@dataclass
class _Node:
    contact: ContactInfo
    children: list[_Node] = field(default_factory=list)
    column: bool = False
    continued: bool = False  # the head repeated above the rest of its reports, on a next drawing
    width: float = 0.0
    height: float = 0.0


def build_forest(contacts: Sequence[ContactInfo], *, max_width: float = CONTENT_WIDTH) -> list[_Node]:
    nodes = {c.id: _Node(c) for c in contacts}
    roots: list[_Node] = []
    for c in contacts:
        parent = nodes.get(c.reports_to_id) if c.reports_to_id else None
        # guard against cycles: a node may not hang under its own descendant
        if parent is not None and not _is_descendant(nodes, parent.contact, c.id):
            parent.children.append(nodes[c.id])
        else:
            roots.append(nodes[c.id])

    def key(n: _Node) -> tuple[bool, int, str]:
        return (n.contact.has_left, -(n.contact.influence or 0), n.contact.name)

    for n in nodes.values():
        n.children.sort(key=key)
    roots.sort(key=lambda n: (-_size(n), *key(n)))
    for r in roots:
        _measure(r, max_width / MIN_SCALE)
    return roots


def _is_descendant(nodes: dict[str, _Node], start: ContactInfo, ancestor_id: str) -> bool:
    seen: set[str] = set()
    cur: ContactInfo | None = start
    while cur is not None and cur.id not in seen:
        if cur.id == ancestor_id:
            return True
        seen.add(cur.id)
        parent = nodes.get(cur.reports_to_id) if cur.reports_to_id else None
        cur = parent.contact if parent else None
    return False


def _size(n: _Node) -> int:
    return 1 + sum(_size(c) for c in n.children)


def _measure(n: _Node, limit: float = float("inf")) -> None:
    """Size the subtree of ``n``: children side by side under it, or — when they are all leaves,
    or side by side they would be wider than ``limit`` — in an indented column under it."""
    for c in n.children:
        _measure(c, limit)
    if not n.children:
        n.width, n.height = BOX_W, BOX_H
        return
    span = sum(c.width for c in n.children) + H_GAP * (len(n.children) - 1)
    if (len(n.children) >= 2 and all(not c.children for c in n.children)) or span > limit:
        n.column = True
        n.width = max(BOX_W, INDENT + max(c.width for c in n.children))
        n.height = BOX_H + sum(COL_GAP + c.height for c in n.children)
    else:
        n.width = max(BOX_W, span)
        n.height = BOX_H + V_GAP + max(c.height for c in n.children)


def _fit(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _box(d: Drawing, x: float, y_top: float, c: ContactInfo, continued: bool = False) -> None:
    y = y_top - BOX_H
    left = c.has_left
    edge = GREY_OUT if left else ATTITUDE_COLOURS.get(c.attitude or "", colors.HexColor("#C9D1DB"))
    d.add(
        Rect(
            x,
            y,
            BOX_W,
            BOX_H,
            rx=3,
            ry=3,
            fillColor=colors.HexColor("#F1F2F4") if left else WHITE,
            strokeColor=NAVY if c.is_primary and not left else RULE,
            strokeWidth=1.0 if c.is_primary else 0.6,
        )
    )
    d.add(Rect(x, y, 4, BOX_H, fillColor=edge, strokeWidth=0, strokeColor=None))
    inner = BOX_W - 12
    name = c.name + ("  " + _("(left)") if left else "")
    if continued:
        name = _("{name} (continued)").format(name=name)
    d.add(
        String(
            x + 9,
            y + BOX_H - 14,
            _fit(name, FONT_BOLD, NAME_SIZE, inner),
            fontName=FONT_BOLD,
            fontSize=NAME_SIZE,
            fillColor=GREY_OUT if left else NAVY,
        )
    )
    title = " · ".join(p for p in (c.title, c.department) if p) or "—"
    d.add(
        String(
            x + 9,
            y + BOX_H - 27,
            _fit(title, FONT, TEXT_SIZE, inner),
            fontName=FONT,
            fontSize=TEXT_SIZE,
            fillColor=GREY_OUT if left else SLATE,
        )
    )
    role = label(BuyingRole, c.buying_role) or "—"
    att = label(Attitude, c.attitude)
    line = f"{role} · {att}" if att else role
    d.add(
        String(
            x + 9,
            y + 7,
            _fit(line, FONT, TEXT_SIZE, inner),
            fontName=FONT,
            fontSize=TEXT_SIZE,
            fillColor=GREY_OUT if left else edge if c.attitude else MUTED,
        )
    )


def _place(d: Drawing, n: _Node, x: float, y_top: float) -> float:
    """Draw the subtree of ``n`` with its left edge at ``x``; returns the centre of n's box."""
    if n.column:
        _box(d, x, y_top, n.contact, n.continued)
        trunk_x = x + INDENT / 2
        last_mid = y_top
        child_top = y_top - BOX_H - COL_GAP
        for child in n.children:
            centre = _place(d, child, x + INDENT, child_top)
            mid = child_top - BOX_H / 2
            d.add(Line(trunk_x, mid, centre - BOX_W / 2, mid, strokeColor=RULE, strokeWidth=0.8))
            last_mid = mid
            child_top -= child.height + COL_GAP
        d.add(Line(trunk_x, y_top - BOX_H, trunk_x, last_mid, strokeColor=RULE, strokeWidth=0.8))
        return x + BOX_W / 2
    if not n.children:
        _box(d, x, y_top, n.contact)
        return x + BOX_W / 2
    span = sum(c.width for c in n.children) + H_GAP * (len(n.children) - 1)
    cx = x + (n.width - span) / 2
    centres = []
    child_top = y_top - BOX_H - V_GAP
    for child in n.children:
        centres.append(_place(d, child, cx, child_top))
        cx += child.width + H_GAP
    centre = (centres[0] + centres[-1]) / 2
    centre = min(max(centre, x + BOX_W / 2), x + n.width - BOX_W / 2)
    _box(d, centre - BOX_W / 2, y_top, n.contact)
    bus_y = y_top - BOX_H - V_GAP / 2
    d.add(Line(centre, y_top - BOX_H, centre, bus_y, strokeColor=RULE, strokeWidth=0.8))
    d.add(
        Line(
            min(centres[0], centre), bus_y, max(centres[-1], centre), bus_y, strokeColor=RULE, strokeWidth=0.8
        )
    )
    for c in centres:
        d.add(Line(c, bus_y, c, child_top, strokeColor=RULE, strokeWidth=0.8))
    return centre


def _drawing(roots: list[_Node], max_width: float, max_height: float) -> Drawing:
    width = sum(r.width for r in roots) + H_GAP * (len(roots) - 1)
    height = max(r.height for r in roots)
    d = Drawing(width, height)
    x = 0.0
    for r in roots:
        _place(d, r, x, height)
        x += r.width + H_GAP
    scale = min(1.0, max_width / width, max_height / height)
    if scale < 1.0:
        d.scale(scale, scale)
        d.width, d.height = width * scale, height * scale
    return d


def _split_tall(root: _Node, max_height: float) -> list[_Node]:
    """A top-level person whose tree is taller than a page: the reports listed in a column under
    them, cut into parts that fit, the head repeated ("continued") above each further part."""
    if root.height <= max_height or not root.children:
        return [root]
    parts: list[list[_Node]] = [[]]
    height = BOX_H
    for child in root.children:
        step = COL_GAP + child.height
        if parts[-1] and height + step > max_height:
            parts.append([])
            height = BOX_H
        parts[-1].append(child)
        height += step
    out = []
    for i, kids in enumerate(parts):
        node = _Node(root.contact, kids, column=True, continued=i > 0)
        node.width = max(BOX_W, INDENT + max(c.width for c in kids))
        node.height = BOX_H + sum(COL_GAP + c.height for c in kids)
        out.append(node)
    return out


def org_chart(
    contacts: Sequence[ContactInfo], *, max_width: float = CONTENT_WIDTH, max_height: float = 560
) -> list[Drawing]:
    """Drawings of the org chart (usually one; several when the forest is too wide or too tall
    for a page). No drawing is shrunk below :data:`MIN_SCALE`, unless one department alone is
    taller than a page."""
    if not contacts:
        return []
    roots = [part for r in build_forest(contacts, max_width=max_width) for part in _split_tall(r, max_height)]
    drawings: list[Drawing] = []
    row: list[_Node] = []
    for r in roots:
        candidate = row + [r]
        w = sum(n.width for n in candidate) + H_GAP * (len(candidate) - 1)
        if row and (w * MIN_SCALE > max_width or r.continued or row[-1].continued):
            drawings.append(_drawing(row, max_width, max_height))
            row = [r]
        else:
            row = candidate
    if row:
        drawings.append(_drawing(row, max_width, max_height))
    return drawings


def legend() -> Drawing:
    """The key to the box colours."""
    items = [(ATTITUDE_COLOURS[a.value], label(Attitude, a.value)) for a in Attitude] + [
        (GREY_OUT, _("Left the company"))
    ]
    d = Drawing(CONTENT_WIDTH, 14)
    x = 0.0
    for colour, text in items:
        d.add(Rect(x, 3, 4, 9, fillColor=colour, strokeWidth=0, strokeColor=None))
        d.add(String(x + 8, 4, text, fontName=FONT, fontSize=7.5, fillColor=SLATE))
        x += 16 + stringWidth(text, FONT, 7.5)
    primary = _("Framed: primary contact")
    d.add(Rect(x, 3, 9, 9, fillColor=WHITE, strokeColor=NAVY, strokeWidth=1))
    d.add(String(x + 13, 4, primary, fontName=FONT, fontSize=7.5, fillColor=SLATE))
    return d
