"""Line icons drawn for AccountDesk (``accountdesk/resources/icons/*.svg``, 24×24, 1.8 px strokes in
``currentColor``). ``icon("clients")`` tints them with the palette's text colour; a second colour
can be given for the selected/active state."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from ..paths import RESOURCES_DIR
from . import style

ICON_DIR = RESOURCES_DIR / "icons"
SIZES = (16, 20, 24, 32, 48)


@lru_cache(maxsize=64)
def _svg(name: str) -> str:
    return (ICON_DIR / f"{name}.svg").read_text(encoding="utf-8")


def names() -> list[str]:
    return sorted(p.stem for p in ICON_DIR.glob("*.svg"))


def pixmap(name: str, size: int = 24, color: str = style.ICON_COLOUR, dpr: float = 1.0) -> QPixmap:
    data = _svg(name).replace("currentColor", color)
    renderer = QSvgRenderer(QByteArray(data.encode("utf-8")))
    px = int(size * dpr)
    image = QPixmap(px, px)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, px, px))
    painter.end()
    image.setDevicePixelRatio(dpr)
    return image


@lru_cache(maxsize=256)
def icon(name: str, color: str = style.ICON_COLOUR, active: str | None = None) -> QIcon:
    """A QIcon in several sizes; ``active`` colours the Selected/On states (sidebar)."""
    result = QIcon()
    for size in SIZES:
        result.addPixmap(pixmap(name, size, color), QIcon.Mode.Normal, QIcon.State.Off)
        result.addPixmap(pixmap(name, size, QColor(color).lighter(180).name()), QIcon.Mode.Disabled)
        if active:
            result.addPixmap(pixmap(name, size, active), QIcon.Mode.Selected, QIcon.State.Off)
            result.addPixmap(pixmap(name, size, active), QIcon.Mode.Normal, QIcon.State.On)
    return result


def icon_or_blank(name: str) -> QIcon:
    """:func:`icon`, or no icon when the file is missing or unreadable (never an error on screen)."""
    try:
        return icon(name)
    except (OSError, ValueError):
        return QIcon()


def app_icon() -> QIcon:
    result = QIcon()
    data = _svg("app")
    for size in (16, 24, 32, 48, 64, 128, 256):
        renderer = QSvgRenderer(QByteArray(data.encode("utf-8")))
        image = QPixmap(QSize(size, size))
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        result.addPixmap(image)
    return result
