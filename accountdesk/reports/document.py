"""The page frame every report shares: cover band, running header and footer, "n / N" page numbers
per document, a table of contents on the cover, PDF bookmarks — all in one layout pass.

Pages are kept back until the end (the canvasmaker pattern): when the whole story is laid out,
:class:`ReportCanvas` knows where each document (one client's dossier in a batch) begins and
ends and on which page each section landed, and draws the numbers, headers and the contents
then. A batch PDF numbers each client's dossier on its own ("3 / 9"), as a printed dossier would.
"""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from .. import __version__
from ..i18n import _
from .fonts import FONT, FONT_BOLD
from .styles import (
    ACCENT,
    BAD,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    MUTED,
    NAVY,
    PAGE,
    RULE,
    SLATE,
    WHITE,
    Story,
)

#: A dossier of more pages than this gets a table of contents on its cover.
TOC_MIN_PAGES = 3
COVER_BAND = 34 * mm


@dataclass(frozen=True)
class ReportMeta:
    kind: str  # "Client dossier" (translated), shown in the band and the header
    marking: str  # the confidentiality marking printed on every page
    generated: str  # "Generated 2026-03-16 09:00 by Li Na"
    title: str = ""  # PDF document title
    author: str = ""


@dataclass
class _Doc:
    key: str
    title: str
    first: int  # page index
    last: int = -1


def pseudo_bold(
    canvas: Canvas,
    x: float,
    y: float,
    value: str,
    font: str,
    size: float,
    colour: Color,
    *,
    right: bool = False,
    centre: bool = False,
) -> None:
    """Draw a string a little heavier (fill and stroke): the shipped CJK font has one weight."""
    width = stringWidth(value, font, size)
    if right:
        x -= width
    elif centre:
        x -= width / 2
    t = canvas.beginText(x, y)
    t.setFont(font, size)
    t.setTextRenderMode(2)
    canvas.setStrokeColor(colour)
    canvas.setFillColor(colour)
    canvas.setLineWidth(size * 0.028)
    t.textOut(value)
    t.setTextRenderMode(0)  # the text render mode outlives ET: reset it for whatever follows
    canvas.drawText(t)


class ReportCanvas(Canvas):  # type: ignore[misc]  # ReportLab has no type stubs: Any
    """Keeps pages until ``save`` to number them per document and draw the contents."""

    def __init__(self, *args: Any, meta: ReportMeta, **kwargs: Any) -> None:
        # never Helvetica: it would be a font the PDF does not embed
        kwargs["initialFontName"] = kwargs.get("initialFontName") or FONT
        kwargs["initialFontSize"] = kwargs.get("initialFontSize") or 9
        super().__init__(*args, **kwargs)
        self._meta = meta
        self._pages: list[dict[str, Any]] = []  # the canvas state of each deferred page
        self._docs: list[_Doc] = []
        self._anchors: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
        self._sections: dict[str, list[tuple[str, int, int, str]]] = defaultdict(list)
        self._toc_areas: dict[str, tuple[int, float, float, float, float]] = {}
        self._ad_cover = False
        self._ad_doc: str | None = None
        self._anchor_seq = 0
        self.setTitle(meta.title or meta.kind)
        self.setAuthor(meta.author)
        self.setCreator(f"AccountDesk {__version__}")
        self.setSubject(meta.kind)

    # -- called by flowables while the story is laid out ------------------------------------------
    @property
    def page_index(self) -> int:
        return len(self._pages)

    def ad_begin(self, key: str, title: str, *, cover: bool) -> None:
        if self._docs and self._docs[-1].last < 0:
            self._docs[-1].last = self.page_index - 1
        self._docs.append(_Doc(key, title, self.page_index))
        self._ad_doc = key
        self._ad_cover = cover
        self._add_anchor(title, 0)

    def ad_section(self, title: str, level: int = 1) -> None:
        name = self._add_anchor(title, level)
        if self._ad_doc is not None:
            self._sections[self._ad_doc].append((title, level, self.page_index, name))

    def ad_toc_area(self, x: float, y: float, width: float, height: float) -> None:
        if self._ad_doc is not None:
            self._toc_areas[self._ad_doc] = (self.page_index, x, y, width, height)

    def _add_anchor(self, title: str, level: int) -> str:
        self._anchor_seq += 1
        name = f"a{self._anchor_seq}"
        self._anchors[self.page_index].append((title, level, name))
        return name

    # -- deferred pages -------------------------------------------------------------------------
    def showPage(self) -> None:  # noqa: N802 - ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._ad_cover = False
        self._startPage()

    def save(self) -> None:
        if self._docs and self._docs[-1].last < 0:
            self._docs[-1].last = len(self._pages) - 1
        doc_of_page: list[_Doc | None] = []
        for i in range(len(self._pages)):
            doc_of_page.append(next((d for d in reversed(self._docs) if d.first <= i), None))
        annotations = getattr(self, "_annotationCount", 0)
        for index, state in enumerate(self._pages):
            self.__dict__.update(state)
            # a counter that must keep counting across the replayed pages (annotation names)
            self._annotationCount = annotations
            doc = doc_of_page[index]
            for title, level, name in self._anchors.get(index, []):
                self.bookmarkPage(name)
                self.addOutlineEntry(title, name, level, closed=level == 0 and len(self._docs) > 1)
            self._decorate(index, doc, state.get("_ad_cover", False))
            annotations = self._annotationCount
            Canvas.showPage(self)
        Canvas.save(self)

    def _decorate(self, index: int, doc: _Doc | None, cover: bool) -> None:
        width, height = PAGE
        n = index - doc.first + 1 if doc else index + 1
        total = doc.last - doc.first + 1 if doc else len(self._pages)
        self.saveState()
        if cover:
            self.setFillColor(NAVY)
            self.rect(0, height - COVER_BAND, width, COVER_BAND, stroke=0, fill=1)
            self.setFillColor(ACCENT)
            self.rect(0, height - COVER_BAND - 1.2 * mm, width, 1.2 * mm, stroke=0, fill=1)
            self.setFillColor(WHITE)
            self.setFont(FONT, 9)
            self.drawString(MARGIN_X, height - 12 * mm, _("AccountDesk · key-account management"))
            pseudo_bold(self, MARGIN_X, height - 24 * mm, self._meta.kind, FONT_BOLD, 20, WHITE)
            if doc is not None and total >= TOC_MIN_PAGES:
                self._draw_toc(doc)
        else:
            self.setFont(FONT, 8)
            self.setFillColor(MUTED)
            self.drawString(
                MARGIN_X, height - 12 * mm, _clip(doc.title if doc else self._meta.kind, FONT, 8, width / 2)
            )
            self.drawRightString(width - MARGIN_X, height - 12 * mm, self._meta.kind)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(MARGIN_X, height - 14 * mm, width - MARGIN_X, height - 14 * mm)
        # footer on every page
        y = 10 * mm
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN_X, y + 4 * mm, width - MARGIN_X, y + 4 * mm)
        self.setFont(FONT, 7.5)
        self.setFillColor(BAD)
        self.drawString(MARGIN_X, y, self._meta.marking)
        self.setFillColor(MUTED)
        self.drawCentredString(width / 2, y, _clip(self._meta.generated, FONT, 7.5, width * 0.45))
        self.setFillColor(SLATE)
        self.setFont(FONT, 8)
        self.drawRightString(width - MARGIN_X, y, f"{n} / {total}")
        self.restoreState()

    def _draw_toc(self, doc: _Doc) -> None:
        area = self._toc_areas.get(doc.key)
        sections = self._sections.get(doc.key, [])
        if area is None or not sections:
            return
        _page, x, top, width, height = area
        y = top
        pseudo_bold(self, x, y - 12, _("Contents"), FONT_BOLD, 11, NAVY)
        y -= 22
        self.setStrokeColor(NAVY)
        self.setLineWidth(0.8)
        self.line(x, y + 6, x + width, y + 6)
        line_h = 15
        for title, level, page, name in sections:
            if y - line_h < top - height:
                break
            number = str(page - doc.first + 1)
            indent = 12 if level > 1 else 0
            size = 9.5 if level <= 1 else 8.5
            self.setFont(FONT, size)
            self.setFillColor(SLATE if level <= 1 else MUTED)
            label = _clip(title, FONT, size, width * 0.8)
            self.drawString(x + indent, y - 10, label)
            self.drawRightString(x + width, y - 10, number)
            start = x + indent + stringWidth(label, FONT, size) + 4
            end = x + width - stringWidth(number, FONT, size) - 4
            if end > start:
                self.setStrokeColor(RULE)
                self.setLineWidth(0.5)
                self.setDash(1, 2)
                self.line(start, y - 10, end, y - 10)
                self.setDash()
            self.linkRect("", name, (x, y - 13, x + width, y + 1), relative=0, thickness=0)
            y -= line_h


def _clip(value: str, font: str, size: float, width: float) -> str:
    if stringWidth(value, font, size) <= width:
        return value
    while value and stringWidth(value + "…", font, size) > width:
        value = value[:-1]
    return value + "…"


# -- flowables ---------------------------------------------------------------------------------------
class DocStart(Flowable):  # type: ignore[misc]  # ReportLab has no type stubs: Any
    """Marks where one document (one client's dossier) begins; zero size."""

    def __init__(self, key: str, title: str, *, cover: bool = True):
        super().__init__()
        self.key, self.title, self.cover = key, title, cover
        self.width = self.height = 0

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv.ad_begin(self.key, self.title, cover=self.cover)


class SectionHeading(Flowable):  # type: ignore[misc]  # ReportLab has no type stubs: Any
    """A numbered section title with a rule under it; an entry of the contents and the bookmarks."""

    def __init__(self, title: str, *, number: str | None = None, level: int = 1):
        super().__init__()
        self.title, self.number, self.level = title, number, level
        self.keepWithNext = True
        self.spaceBefore = 10 if level == 1 else 6
        self.spaceAfter = 5 if level == 1 else 3

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self.width = aw
        self.height = 24 if self.level == 1 else 17
        return self.width, self.height

    def draw(self) -> None:
        c = self.canv
        label = f"{self.number}  {self.title}" if self.number else self.title
        if self.level == 1:
            pseudo_bold(c, 0, 9, label, FONT_BOLD, 13, NAVY)
            c.setStrokeColor(ACCENT)
            c.setLineWidth(1.4)
            c.line(0, 3, 28, 3)
            c.setStrokeColor(RULE)
            c.setLineWidth(0.5)
            c.line(28, 3, self.width, 3)
        else:
            pseudo_bold(c, 0, 4, label, FONT_BOLD, 10, SLATE)
        if hasattr(c, "ad_section"):
            c.ad_section(label, self.level)


class TocPlaceholder(Flowable):  # type: ignore[misc]  # ReportLab has no type stubs: Any
    """Keeps room on the cover where the contents are drawn once the page numbers are known."""

    def __init__(self, height: float):
        super().__init__()
        self._h = height

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        self.width, self.height = aw, min(self._h, ah)
        return self.width, self.height

    def draw(self) -> None:
        x, y = self.canv.absolutePosition(0, self.height)
        self.canv.ad_toc_area(x, y, self.width, self.height)


# -- building ------------------------------------------------------------------------------------------
def build_pdf(out_path: Path | str, story: Story, meta: ReportMeta) -> int:
    """Lay out ``story`` into ``out_path`` (written atomically); returns the page count."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~", suffix=".pdf", dir=out_path.parent)
    os.close(fd)
    pages = {"n": 0}

    def maker(*args: Any, **kwargs: Any) -> ReportCanvas:
        canvas = ReportCanvas(*args, meta=meta, **kwargs)
        return canvas

    try:
        doc = BaseDocTemplate(
            tmp,
            pagesize=PAGE,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            title=meta.title or meta.kind,
            author=meta.author,
            creator=f"AccountDesk {__version__}",
        )
        frame = Frame(
            doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body", leftPadding=0, rightPadding=0
        )
        doc.addPageTemplates([PageTemplate(id="body", frames=[frame])])
        doc.build(story, canvasmaker=maker)
        pages["n"] = doc.page
        os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return pages["n"]


ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]
