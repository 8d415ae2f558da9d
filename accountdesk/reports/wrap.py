"""Line breaking for mixed Chinese and Latin text.

ReportLab's ``wordWrap='CJK'`` breaks a line at whatever character overflows it, looking back
only half a line for a better place: English words, numbers and e-mail addresses end up split
in the middle ("seve / rity", "¥157,253,00 / 0"). :class:`Paragraph` keeps ReportLab's CJK mode
(Chinese breaks between any two characters) but never breaks inside a run of Latin letters,
digits and their punctuation; it breaks at spaces, next to a Chinese character, or — only when
a run is longer than the whole line — after "@", "/" or a hyphen between letters, and as a last
resort between two characters. Chinese punctuation follows the usual rules (no "，" or "）" at
the start of a line, no "（" at its end).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Any

from reportlab.lib.textsplit import ALL_CANNOT_END, ALL_CANNOT_START
from reportlab.platypus import paragraph as _rl_paragraph

CANNOT_START = frozenset(ALL_CANNOT_START + "，；：！？…·—”’》〉」』】）%％")
CANNOT_END = frozenset(ALL_CANNOT_END.replace("@", "") + "“‘《〈（¥")
_FUZZ = 1e-6

GOOD, FALLBACK, NO = 2, 1, 0


def _space(ch: str) -> bool:
    return ch in (" ", "\t", "\u00a0", "\u3000") or (ch != "" and unicodedata.category(ch) == "Zs")


def _wide(ch: str) -> bool:
    """A character after or before which a line may break (CJK scripts, full-width forms)."""
    return ch != "" and ord(ch) >= 0x2E80


def break_quality(before: str, after: str) -> int:
    """How good a line break between ``before`` and ``after`` is: GOOD, FALLBACK or NO."""
    if before == "" or after == "":  # images and line breaks: frags without text
        return GOOD
    if _space(after):
        return NO  # spaces stay at the end of the line
    if _space(before):
        return GOOD
    if after in CANNOT_START or before in CANNOT_END:
        return NO
    if _wide(before) or _wide(after):
        return GOOD
    if before in "–—…":
        return GOOD
    if (
        before == "@"
        or (before in "/-" and after.isalpha())
        or (before == "." and after.isalpha() and not after.isupper())
    ):
        return FALLBACK
    return NO


def _width(u: Any) -> Any:  # u: a cjkU; a float, or ReportLab's normalized width
    return u.width


def split_frags(frags: Sequence[Any], max_widths: Sequence[float], calc_bounds: bool) -> Any:
    """Lines of ``frags`` (ReportLab's ``cjkFragSplit`` contract) broken as described above."""
    units: list[Any] = []  # ReportLab cjkU characters (no stubs: Any)
    for f in frags:
        value = f.text
        if isinstance(value, bytes):
            value = value.decode("utf8")
        if value:
            units.extend(_rl_paragraph.cjkU(ch, f, "utf8") for ch in value)
        else:
            units.append(_rl_paragraph.cjkU(value, f, "utf8"))
    lines: list[Any] = []
    n = len(units)

    def max_width() -> float:
        return max_widths[len(lines)] if len(lines) < len(max_widths) else max_widths[-1]

    def emit(start: int, stop: int, line_break: bool) -> None:
        end = stop
        while end > start and _space(units[end - 1]) and not hasattr(units[end - 1].frag, "lineBreak"):
            end -= 1
        chunk = units[start:end] if end > start else units[start:stop]
        used = sum(_width(u) for u in chunk)
        mw = max_width()
        lines.append(_rl_paragraph.makeCJKParaLine(chunk, mw, used, mw - used, line_break, calc_bounds))

    start = i = 0
    used = 0.0
    best = fallback = -1
    while i < n:
        u = units[i]
        if i > start:
            q = break_quality(units[i - 1], u)
            if q == GOOD:
                best = i
            elif q == FALLBACK:
                fallback = i
        w = _width(u)
        if hasattr(w, "normalizedValue"):
            w._normalizer = max_width()
            w = w.normalizedValue(max_width())
        if hasattr(u.frag, "lineBreak"):
            emit(start, i + 1, True)
            start = i = i + 1
            used, best, fallback = 0.0, -1, -1
            continue
        if used + w > max_width() + _FUZZ and i > start and not _space(u):
            k = best if best > start else fallback if fallback > start else i
            if k == i and u in CANNOT_START and i - start > 1:
                k = i - 1  # keep the closing mark with the character before it
            emit(start, k, False)
            start = k
            while start < n and _space(units[start]) and not hasattr(units[start].frag, "lineBreak"):
                start += 1
            i = max(i, start)
            used = sum(_width(units[j]) for j in range(start, i))
            best = fallback = -1
            for j in range(start + 1, i):
                q = break_quality(units[j - 1], units[j])
                if q == GOOD:
                    best = j
                elif q == FALLBACK:
                    fallback = j
            if i > start:
                continue  # look at the overflowing character again, on the new line
        used += w
        i += 1
    if start < n:
        emit(start, n, False)
    return _rl_paragraph.ParaLines(kind=1, lines=lines)


class Paragraph(_rl_paragraph.Paragraph):  # type: ignore[misc]  # ReportLab has no type stubs: Any
    """A ReportLab paragraph whose CJK line breaking keeps Latin words and numbers whole."""

    def breakLinesCJK(self, maxWidths: float | list[float] | tuple[float, ...]) -> Any:  # noqa: N802, N803 - ReportLab's names
        if not isinstance(maxWidths, (list, tuple)):
            maxWidths = [maxWidths]
        if hasattr(self, "blPara") and getattr(self, "_splitpara", False):
            return self.blPara
        style = self.style
        self.height = 0
        _rl_paragraph._handleBulletWidth(self.bulletText, style, maxWidths)
        frags = self.frags
        if not frags:
            return _rl_paragraph.ParaLines(
                kind=0,
                fontSize=style.fontSize,
                fontName=style.fontName,
                textColor=style.textColor,
                lines=[],
                ascent=style.fontSize,
                descent=-0.2 * style.fontSize,
            )
        auto_leading = getattr(self, "autoLeading", getattr(style, "autoLeading", ""))
        return split_frags(frags, maxWidths, auto_leading not in ("", "off"))
