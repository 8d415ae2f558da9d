"""The font of every report: a TrueType CJK font that ships with the application and is embedded
(subset) in each PDF, so Chinese prints on a machine without any Chinese font.

ReportLab's built-in CID fonts (STSong-Light) are never embedded, and ReportLab cannot embed
CFF-flavoured OpenType, so the font must be a TrueType-outline TTF/TTC. The first one found wins:

1. ``ACCOUNTDESK_REPORT_FONT`` (a path; ``path.ttc#N`` picks a face of a collection);
2. WenQuanYi Micro Hei (Apache-2.0), shipped in ``accountdesk/resources/fonts/`` with its licence
   (see the README there: source, version, checksum);
3. a system copy of WenQuanYi Micro Hei / Zen Hei (Debian's ``fonts-wqy-microhei``), Microsoft YaHei or SimSun.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from reportlab import rl_config
from reportlab.graphics import shapes
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from ..errors import AccountDeskError
from ..i18n import _

#: The names the report styles use.
FONT = "AccountDeskSans"
FONT_BOLD = "AccountDeskSans-Bold"

_SYSTEM_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simsun.ttc",
)
_lock = threading.Lock()
_registered: tuple[Path, int] | None = None


#: The font that ships with the application (package data).
PACKAGED_FONT = Path(__file__).resolve().parent.parent / "resources" / "fonts" / "wqy-microhei.ttc"


def _packaged_font() -> Path | None:
    return PACKAGED_FONT if PACKAGED_FONT.is_file() else None


def candidates() -> list[tuple[Path, int]]:
    """Font files to try, in order, as ``(path, face index)``."""
    out: list[tuple[Path, int]] = []
    env = os.environ.get("ACCOUNTDESK_REPORT_FONT")
    if env:
        path, _sep, index = env.partition("#")
        out.append((Path(path).expanduser(), int(index or 0)))
    packaged = _packaged_font()
    if packaged is not None:
        out.append((packaged, 0))
    out.extend((Path(p), 0) for p in _SYSTEM_CANDIDATES)
    return out


def register_fonts() -> tuple[Path, int]:
    """Register the report font (once per process) and return the file used."""
    global _registered
    with _lock:
        if _registered is not None:
            return _registered
        errors = []
        for path, index in candidates():
            if not path.is_file():
                continue
            try:
                regular = TTFont(FONT, str(path), subfontIndex=index)
                bold = TTFont(FONT_BOLD, str(path), subfontIndex=index)
            except Exception as exc:  # noqa: BLE001 - a CFF or broken file: try the next one
                errors.append(f"{path}: {exc}")
                continue
            pdfmetrics.registerFont(regular)
            pdfmetrics.registerFont(bold)
            # <b> and <i> in paragraphs must stay in the embedded font, never fall back to Helvetica.
            pdfmetrics.registerFontFamily(
                FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD
            )
            pdfmetrics.registerFontFamily(
                FONT_BOLD, normal=FONT_BOLD, bold=FONT_BOLD, italic=FONT_BOLD, boldItalic=FONT_BOLD
            )
            # every ReportLab default (canvas, graphics, tables) to the embedded font: a stray
            # Helvetica would be a font the PDF does not embed
            rl_config.canvas_basefontname = FONT
            shapes.STATE_DEFAULTS["fontName"] = FONT
            _registered = (path, index)
            return _registered
        detail = "; ".join(errors) if errors else _("none of the known font files exists")
        raise AccountDeskError(
            _(
                "No font for Chinese text was found for the PDF reports ({detail}). Reinstall AccountDesk or set "
                "ACCOUNTDESK_REPORT_FONT to a TrueType font file."
            ).format(detail=detail)
        )
