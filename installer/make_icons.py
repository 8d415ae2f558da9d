"""Render the app icon (resources/app-icon.svg) to the raster files the installers need.

    .venv/bin/python installer/make_icons.py

Writes resources/icons/app-icon-<N>.png (16 … 512), resources/accountdesk.ico (Windows: 16–256)
and resources/accountdesk.icns (macOS). Qt's SVG renderer draws, Pillow packs and optimises.
Run it again after changing the SVG; the outputs are committed so that a build needs neither.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
SVG = RESOURCES / "app-icon.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(size: int):
    from PIL import Image
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(QByteArray(SVG.read_bytes()))
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    buf = QBuffer()
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buf, "PNG")
    return Image.open(io.BytesIO(bytes(buf.data()))).convert("RGBA")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out = RESOURCES / "icons"
    out.mkdir(parents=True, exist_ok=True)
    images = {size: render(size) for size in PNG_SIZES}
    for size, im in images.items():
        im.save(out / f"app-icon-{size}.png", optimize=True)
    images[256].save(RESOURCES / "accountdesk.ico", sizes=[(s, s) for s in ICO_SIZES])
    images[512].save(RESOURCES / "accountdesk.icns")
    for p in sorted([*out.glob("*.png"), RESOURCES / "accountdesk.ico", RESOURCES / "accountdesk.icns"]):
        print(f"{p.relative_to(ROOT)}  {p.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
