"""One look for the whole app: Fusion with a light palette, an 8-pixel spacing grid, a font list
with a CJK fallback so that Chinese text never falls back to a bitmap font, and a few colours
with meaning (tier, risk, health, overdue)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QApplication

from ..paths import RESOURCES_DIR

#: Spacing grid (pixels).
S1, S2, S3, S4 = 4, 8, 12, 16
MARGIN = 16

ACCENT = "#1f6feb"
ACCENT_SOFT = "#e7f0fd"
TEXT = "#1f2733"
TEXT_MUTED = "#667085"
BORDER = "#dfe3ea"
SIDEBAR = "#f4f6f9"
WINDOW = "#ffffff"
ALT_ROW = "#fafbfc"
DANGER = "#d92d20"
WARNING = "#b54708"
SUCCESS = "#067647"
#: Status colours of the workspace tables (overdue, due soon, fine, inactive).
RED = "#c0392b"
AMBER = "#b9770e"
GREEN = "#1e8449"
GREY = "#8a94a3"

#: Badge colours: (text, background).
TIER_COLOURS = {
    "strategic": ("#5b21b6", "#ede9fe"),
    "key": ("#1d4ed8", "#dbeafe"),
    "standard": ("#475467", "#eef0f3"),
}
STATUS_COLOURS = {
    "prospect": ("#475467", "#eef0f3"),
    "active": ("#067647", "#dcfae6"),
    "at_risk": ("#b54708", "#fef0c7"),
    "dormant": ("#475467", "#eef0f3"),
    "lost": ("#b42318", "#fee4e2"),
}
RISK_COLOURS = ("#b42318", "#fee4e2")
HEALTH_COLOURS = {  # by band
    "good": ("#067647", "#dcfae6"),
    "fair": ("#b54708", "#fef0c7"),
    "poor": ("#b42318", "#fee4e2"),
}

#: Latin UI faces first, then CJK faces per platform; Qt falls back along this list per glyph.
FONT_FAMILIES = [
    "Segoe UI",
    "SF Pro Text",
    "Helvetica Neue",
    "Inter",
    "Noto Sans",
    "DejaVu Sans",
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
]


def health_band(score: float | int | None) -> str | None:
    if score is None:
        return None
    if score >= 70:
        return "good"
    if score >= 45:
        return "fair"
    return "poor"


def ui_font(point_size: float = 10.0) -> QFont:
    available = set(QFontDatabase.families())
    families = [f for f in FONT_FAMILIES if f in available] or [QFont().defaultFamily()]
    font = QFont()
    font.setFamilies(families)
    font.setPointSizeF(point_size)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


CHEVRON = (RESOURCES_DIR / "icons" / "chevron-down.svg").as_posix()

STYLESHEET = f"""
QMainWindow, QDialog {{ background: {WINDOW}; }}
QWidget#Sidebar {{ background: {SIDEBAR}; border-right: 1px solid {BORDER}; }}
QListWidget#Nav {{ background: transparent; border: none; outline: none; }}
QListWidget#Nav::item {{ padding: 8px 10px; margin: 1px 8px; border-radius: 6px; color: {TEXT}; }}
QListWidget#Nav::item:hover {{ background: #e9edf3; }}
QListWidget#Nav::item:selected {{ background: {ACCENT_SOFT}; color: {ACCENT}; font-weight: 600; }}
QLabel#AppName {{ font-size: 15px; font-weight: 700; color: {TEXT}; }}
QLabel#UserName {{ color: {TEXT_MUTED}; }}
QLabel#PageTitle {{ font-size: 20px; font-weight: 600; color: {TEXT}; }}
QLabel#SectionTitle {{ font-size: 14px; font-weight: 600; color: {TEXT}; padding-top: 4px; }}
QLabel#Muted, QLabel#Hint {{ color: {TEXT_MUTED}; }}
QLabel#EmptyTitle {{ font-size: 16px; font-weight: 600; color: {TEXT}; }}
QLabel#EmptyText {{ color: {TEXT_MUTED}; }}
QLabel#Count {{ color: {TEXT_MUTED}; }}
QLabel#Note {{ background: #fffaeb; border: 1px solid #fedf89; border-radius: 6px; padding: 8px; color: #7a2e0e; }}
QLabel#Error {{ color: {DANGER}; }}
QTableView, QTreeView, QListView {{
    border: 1px solid {BORDER}; border-radius: 8px; background: {WINDOW};
    alternate-background-color: {ALT_ROW}; selection-background-color: {ACCENT_SOFT}; selection-color: {TEXT};
    gridline-color: transparent;
}}
QHeaderView::section {{
    background: {WINDOW}; color: {TEXT_MUTED}; border: none; border-bottom: 1px solid {BORDER};
    padding: 6px 8px; font-weight: 600; text-align: left;
}}
QLineEdit, QComboBox {{
    border: 1px solid {BORDER}; border-radius: 6px; padding: 5px 8px; background: {WINDOW};
    min-height: 20px;
}}
QLineEdit:focus, QComboBox:focus {{ border: 1px solid {ACCENT}; }}
QComboBox {{ padding-right: 24px; }}
QComboBox::drop-down {{ border: none; width: 22px; subcontrol-origin: padding; subcontrol-position: center right; }}
QComboBox::down-arrow {{ image: url("{CHEVRON}"); width: 12px; height: 12px; }}
QComboBox QAbstractItemView {{ border: 1px solid {BORDER}; selection-background-color: {ACCENT_SOFT}; }}
QPushButton {{
    border: 1px solid {BORDER}; border-radius: 6px; padding: 6px 14px; background: {WINDOW}; color: {TEXT};
}}
QPushButton:hover {{ background: #f2f4f7; }}
QPushButton:disabled {{ color: #98a2b3; background: #f9fafb; }}
QPushButton#Primary {{ background: {ACCENT}; color: white; border: 1px solid {ACCENT}; font-weight: 600; }}
QPushButton#Primary:hover {{ background: #1a5fd0; }}
QPushButton#Primary:disabled {{ background: #9ec1f7; border-color: #9ec1f7; }}
QPushButton#Choice {{ text-align: left; padding: 14px 16px; border-radius: 8px; }}
QPushButton#Choice:hover {{ border-color: {ACCENT}; background: {ACCENT_SOFT}; }}
QToolButton#Link {{ border: none; color: {ACCENT}; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QMenuBar {{ background: {WINDOW}; border-bottom: 1px solid {BORDER}; padding: 2px 6px; }}
QMenuBar::item {{ padding: 4px 10px; border-radius: 4px; background: transparent; }}
QMenuBar::item:selected {{ background: {ACCENT_SOFT}; color: {ACCENT}; }}
QMenu {{ background: {WINDOW}; border: 1px solid {BORDER}; padding: 4px; }}
QMenu::item {{ padding: 6px 28px 6px 16px; border-radius: 4px; }}
QMenu::item:selected {{ background: {ACCENT_SOFT}; color: {TEXT}; }}
QMenu::item:disabled {{ color: #98a2b3; }}
QMenu::separator {{ height: 1px; background: {BORDER}; margin: 4px 8px; }}
QStatusBar {{ background: {SIDEBAR}; border-top: 1px solid {BORDER}; }}
QStatusBar::item {{ border: none; }}
QFrame#Card {{ background: {WINDOW}; border: 1px solid {BORDER}; border-radius: 10px; }}
QGroupBox {{ border: 1px solid {BORDER}; border-radius: 10px; margin-top: 26px; padding: 14px 14px 12px 14px; }}
QGroupBox::title {{ subcontrol-origin: margin; subcontrol-position: top left; left: 2px; top: 2px;
    color: {TEXT}; font-weight: 600; font-size: 14px; }}
QTabWidget::pane {{ border: none; border-top: 1px solid {BORDER}; top: -1px; }}
QTabBar::tab {{
    background: transparent; color: {TEXT_MUTED}; border: none; border-bottom: 2px solid transparent;
    padding: 7px 8px; margin-right: 2px;
}}
QTabBar::tab:selected {{ color: {ACCENT}; border-bottom: 2px solid {ACCENT}; }}
QTabBar::tab:hover:!selected {{ color: {TEXT}; border-bottom: 2px solid {BORDER}; }}
QProgressBar {{ border: 1px solid {BORDER}; border-radius: 5px; background: #f2f4f7; height: 10px; text-align: center; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 5px; }}
"""


def apply_style(app: QApplication) -> None:
    app.setStyle("Fusion")
    app.setFont(ui_font())
    pal = app.palette()
    pal.setColor(QPalette.ColorRole.Window, QColor(WINDOW))
    pal.setColor(QPalette.ColorRole.Base, QColor(WINDOW))
    pal.setColor(QPalette.ColorRole.AlternateBase, QColor(ALT_ROW))
    pal.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.Button, QColor("#f6f7f9"))
    pal.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT_SOFT))
    pal.setColor(QPalette.ColorRole.HighlightedText, QColor(TEXT))
    pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#98a2b3"))
    pal.setColor(QPalette.ColorRole.Link, QColor(ACCENT))
    app.setPalette(pal)
    app.setStyleSheet(STYLESHEET)
