"""The look of every report: one restrained palette, paragraph styles, table styles, formatting.

Every text style uses the embedded report font (see :mod:`.fonts`) and wraps CJK text
(``wordWrap='CJK'``), so long Chinese lines break inside table cells.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence, Set
from typing import Any, TypeAlias
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Table, TableStyle

from .fonts import FONT, FONT_BOLD, register_fonts
from .wrap import Paragraph

#: A list of ReportLab flowables, what the report builders return (ReportLab has no stubs: Any).
Story: TypeAlias = "list[Flowable]"
#: The body of a data_table: rows of cells, each text, a Paragraph or None.
Rows: TypeAlias = list[list[Any]]
#: One command of a ReportLab TableStyle: ("FONTNAME", (col, row), (col, row), value, ...).
TableCommand: TypeAlias = tuple[Any, ...]

register_fonts()

PAGE = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 18 * mm
CONTENT_WIDTH = PAGE[0] - 2 * MARGIN_X

# -- palette: navy and slate, one warm accent, muted signal colours ----------------------------
NAVY = colors.HexColor("#1F3A5F")
NAVY_LIGHT = colors.HexColor("#E9EEF5")
SLATE = colors.HexColor("#33404F")
MUTED = colors.HexColor("#6B7785")
RULE = colors.HexColor("#C9D1DB")
ZEBRA = colors.HexColor("#F5F7FA")
ACCENT = colors.HexColor("#B08D57")
GOOD = colors.HexColor("#3C7A55")
WARN = colors.HexColor("#C08A2E")
BAD = colors.HexColor("#A93F46")
GREY_OUT = colors.HexColor("#B5BCC4")
WHITE = colors.white
#: Series colours for charts, in order.
SERIES = [NAVY, ACCENT, colors.HexColor("#5B8DB8"), colors.HexColor("#7E9C6D"), colors.HexColor("#9A7FA8")]

ATTITUDE_COLOURS = {"supporter": GOOD, "neutral": colors.HexColor("#8C96A3"), "detractor": BAD}
TIER_COLOURS = {"strategic": NAVY, "key": colors.HexColor("#4F7199"), "standard": colors.HexColor("#A9BBD1")}
SEVERITY_COLOURS = {"low": MUTED, "medium": WARN, "high": BAD, "critical": BAD}


def _style(name: str, **kw: Any) -> ParagraphStyle:
    base = {
        "fontName": FONT,
        "fontSize": 9,
        "leading": 13,
        "textColor": SLATE,
        "wordWrap": "CJK",
        "alignment": TA_LEFT,
    }
    base.update(kw)
    return ParagraphStyle(name, **base)


BODY = _style("body")
BODY_SMALL = _style("body_small", fontSize=8, leading=11)
MUTED_SMALL = _style("muted_small", fontSize=7.5, leading=10, textColor=MUTED)
CELL = _style("cell", fontSize=8, leading=10.5)
CELL_RIGHT = _style("cell_right", fontSize=8, leading=10.5, alignment=TA_RIGHT)
CELL_HEAD = _style("cell_head", fontName=FONT_BOLD, fontSize=8, leading=10.5, textColor=NAVY)
CELL_HEAD_RIGHT = _style(
    "cell_head_right", fontName=FONT_BOLD, fontSize=8, leading=10.5, textColor=NAVY, alignment=TA_RIGHT
)
LABEL = _style("label", fontSize=8, leading=10.5, textColor=MUTED)
H2 = _style("h2", fontName=FONT_BOLD, fontSize=10.5, leading=15, textColor=NAVY, spaceBefore=6, spaceAfter=3)
NOTE = _style("note", fontSize=8, leading=11, textColor=MUTED, spaceBefore=2, spaceAfter=2)
EMPTY = _style("empty", fontSize=8.5, leading=12, textColor=MUTED, spaceBefore=1, spaceAfter=6)
COVER_TITLE = _style("cover_title", fontName=FONT_BOLD, fontSize=24, leading=32, textColor=NAVY)
COVER_SUB = _style("cover_sub", fontSize=12, leading=18, textColor=MUTED)
KPI_VALUE = _style("kpi_value", fontName=FONT_BOLD, fontSize=16, leading=20, textColor=NAVY)
KPI_VALUE_SMALL = _style("kpi_value_small", fontName=FONT_BOLD, fontSize=12, leading=20, textColor=NAVY)
KPI_LABEL = _style("kpi_label", fontSize=7.5, leading=10, textColor=MUTED)
NOTE_CELL = _style("note_cell", fontSize=7.5, leading=10, textColor=MUTED)


def text(value: object) -> str:
    """Markup-safe text for a Paragraph (newlines kept as line breaks)."""
    if value is None:
        return ""
    return escape(str(value)).replace("\n", "<br/>")


def para(value: object, style: ParagraphStyle = CELL) -> Paragraph:
    return Paragraph(text(value), style)


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        value = value.astimezone().date()
    return value.isoformat()


def fmt_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def fmt_money(value: int | float | None) -> str:
    if value is None:
        return "—"
    return f"¥{value:,.0f}"


def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def or_dash(value: object) -> str:
    return "—" if value in (None, "", ()) else str(value)


PAD = 4


def fits(value: str, width: float, size: float = 8) -> bool:
    """Does this text fit on one line of a cell ``width`` wide (so it needs no Paragraph)?"""
    return "\n" not in value and stringWidth(value, FONT, size) <= width - 2 * PAD - 0.5


def cell(value: Any, width: float, style: ParagraphStyle = CELL) -> Any:
    """A table cell: plain text when it fits on one line (fast), else a wrapping Paragraph."""
    if value is None or value == "":
        value = "—"
    if not isinstance(value, str):
        return value
    if fits(value, width, style.fontSize):
        return value
    return Paragraph(text(value), word_fit_style(value, width, style, BODY_MIN_SIZE))


def table_style(*, header: bool = True, zebra: bool = True, rows: int = 0) -> list[TableCommand]:
    cmds = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 10.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), SLATE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
    ]
    if header:
        cmds += [
            ("BACKGROUND", (0, 0), (-1, 0), NAVY_LIGHT),
            ("LINEABOVE", (0, 0), (-1, 0), 0.9, NAVY),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, NAVY),
        ]
    if zebra:
        start = 1 if header else 0
        for r in range(start + 1, rows, 2):
            cmds.append(("BACKGROUND", (0, r), (-1, r), ZEBRA))
    return cmds


def longest_word(value: str, font: str = FONT, size: float = 8) -> float:
    """The width of the longest run of text a line may not break (a Latin word or number)."""
    words = re.findall(r"[^\s\u2e80-\uffff]+", value)
    return max((stringWidth(w, font, size) for w in words), default=0.0)


#: The smallest size a cell's text may shrink to so that its longest word (an e-mail address, a
#: code) stays on one line; below it the word is broken after "@", "/" or "-".
BODY_MIN_SIZE = 6.5


def word_fit_style(value: str, width: float, style: ParagraphStyle, min_size: float = 6) -> ParagraphStyle:
    """``style``, a little smaller when a word of ``value`` would not fit ``width`` (a column
    header or an e-mail address is not split inside a word)."""
    room = width - 2 * PAD - 0.5
    size = style.fontSize
    while size > min_size and longest_word(value, style.fontName, size) > room:
        size -= 0.5
    if size == style.fontSize:
        return style
    return ParagraphStyle(
        f"{style.name}_{size}", parent=style, fontSize=size, leading=max(size * 1.3, style.leading - 1)
    )


def head_style(value: str, width: float, style: ParagraphStyle) -> ParagraphStyle:
    return word_fit_style(value, width, style, 6)


#: The smallest size a header may shrink to before its column is widened.
HEAD_MIN_SIZE = 7


def fit_header_words(
    headers: list[str], widths: Sequence[float], total: float = CONTENT_WIDTH
) -> list[float]:
    """Scale ``widths`` to ``total`` and widen any column too narrow for the longest word of its
    header (at :data:`HEAD_MIN_SIZE`), taking the room from the widest columns."""
    fitted = [w * total / sum(widths) for w in widths]
    need = [longest_word(h, FONT_BOLD, HEAD_MIN_SIZE) + 2 * PAD + 1 for h in headers]
    for i in range(len(fitted)):
        short = need[i] - fitted[i]
        if short <= 0:
            continue
        fitted[i] = need[i]
        while short > 0.01:
            donors = [j for j in range(len(fitted)) if j != i and fitted[j] - need[j] > 1]
            if not donors:
                break
            j = max(donors, key=lambda k: fitted[k] - need[k])
            take = min(short, fitted[j] - need[j] - 1)
            fitted[j] -= take
            short -= take
    return fitted


def data_table(
    headers: list[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    right: Set[int] = frozenset(),
    extra: Iterable[TableCommand] = (),
    more: str | None = None,
) -> Table:
    """A table with a repeated header row. Text that fits on one line stays plain text (fast);
    longer text becomes a wrapping Paragraph (CJK line breaking that keeps words whole).

    ``more`` ("… and 36 more."): a last row across the table, kept on the page of the row above
    it, so that it never stands alone at the top of a page."""
    widths = fit_header_words(headers, widths)
    head = []
    for i, h in enumerate(headers):
        base = CELL_HEAD_RIGHT if i in right else CELL_HEAD
        style = head_style(h, widths[i], base)
        head.append(Paragraph(text(h), style) if style is not base else cell(h, widths[i], base))
    body = [
        [cell(value, widths[i], CELL_RIGHT if i in right else CELL) for i, value in enumerate(row)]
        for row in rows
    ]
    for row in body:  # a coloured figure (a Paragraph) in a right-aligned column is right-aligned too
        for i in right:
            value = row[i] if i < len(row) else None
            if isinstance(value, Paragraph) and value.style.alignment == TA_LEFT:
                value.style = ParagraphStyle(
                    f"{value.style.name}_right", parent=value.style, alignment=TA_RIGHT
                )
    if more:
        body.append([Paragraph(text(more), NOTE_CELL)] + [""] * (len(headers) - 1))
    table = Table([head, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    cmds = table_style(rows=len(body) + (0 if more else 1))
    cmds += [("FONTNAME", (0, 0), (-1, 0), FONT_BOLD), ("TEXTCOLOR", (0, 0), (-1, 0), NAVY)]
    cmds += [("ALIGN", (i, 0), (i, -1), "RIGHT") for i in right]
    if more:
        cmds += [("SPAN", (0, -1), (-1, -1)), ("BACKGROUND", (0, -1), (-1, -1), WHITE)]
        if rows:
            cmds.append(("NOSPLIT", (0, -2), (-1, -1)))
    table.setStyle(TableStyle(cmds + list(extra)))
    return table


def key_value_table(pairs: Sequence[tuple[str, object]], *, columns: int = 2) -> Table:
    """Label/value pairs laid out in ``columns`` pairs per row."""
    unit = CONTENT_WIDTH / columns
    cells, row = [], []
    for label_text, value in pairs:
        row += [cell(label_text, unit * 0.34, LABEL), cell(value, unit * 0.66, CELL)]
        if len(row) == 2 * columns:
            cells.append(row)
            row = []
    if row:
        row += [""] * (2 * columns - len(row))
        cells.append(row)
    widths = [unit * 0.34, unit * 0.66] * columns
    table = Table(cells, colWidths=widths, hAlign="LEFT")
    cmds = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("LEADING", (0, 0), (-1, -1), 10.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), SLATE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    cmds += [("TEXTCOLOR", (c, 0), (c, -1), MUTED) for c in range(0, 2 * columns, 2)]
    table.setStyle(TableStyle(cmds))
    return table


KPI_PAD = 8


def kpi_style(value: str, width: float) -> ParagraphStyle:
    """The style of a tile's figure: as large as fits on one line of the tile (a figure is never
    broken across lines, whatever its length or the language)."""
    room = width - 2 * KPI_PAD - 1
    size = KPI_VALUE.fontSize
    while size > 7 and stringWidth(value, KPI_VALUE.fontName, size) > room:
        size -= 0.5
    if size == KPI_VALUE.fontSize:
        return KPI_VALUE
    return ParagraphStyle(f"kpi_value_{size}", parent=KPI_VALUE, fontSize=size, leading=KPI_VALUE.leading)
