"""One look for the whole app: Fusion with a light palette, an 8-pixel spacing grid, a font list
with a CJK fallback so that Chinese text never falls back to a bitmap font, and a few colours
with meaning (tier, risk, health, overdue)."""

from __future__ import annotations

from typing import overload

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

#: Text and lines.
WHITE = "#ffffff"
TEXT_SECONDARY = "#344054"
TEXT_SUBTLE = "#475467"
TEXT_FAINT = "#98a2b3"  # cancelled, disabled, days of another month
TEXT_NOTE = "#6b7480"
ICON_COLOUR = "#3b4552"  # line icons; card headings
GRID_LINE = "#eaecf0"
CELL_BORDER = "#e4e7ec"
CARD_BORDER = "#dde3ea"
DASHED_BORDER = "#cfd6de"
INVALID = "#d64545"  # the border of an editor whose value is refused
DANGER_DARK = "#b42318"
WARNING_SOFT = "#fef0c7"
#: Surfaces.
SURFACE_GREY = "#f2f4f7"
CANVAS = "#fbfcfd"  # behind the org chart
SELECTED_TINT = "#eef4ff"
TODAY_TINT = "#f5f8ff"
OUTSIDE_MONTH = "#f7f8fa"
OFF_HOURS = "#f9fafb"
GREEN_TINT = "#ecfdf3"
RED_TINT = "#fef3f2"
#: Hues of series, kinds and levels (charts, calendar entries, survey scores).
BRIGHT_GREEN = "#12b76a"
BRIGHT_RED = "#f04438"
ORANGE = "#f79009"
PURPLE = "#7a5af8"
VIOLET = "#6941c6"
SKY = "#0ba5ec"
PINK = "#ee46bc"
TEAL = "#0e9384"
MAGENTA = "#dd2590"
#: The banner above a form that the service refused.
ERROR_BANNER_TEXT = "#8a1f11"
ERROR_BANNER_BG = "#fdecea"
ERROR_BANNER_BORDER = "#f5c6c0"

#: Style sheets of single widgets (set with ``widget.setStyleSheet(style.NAME)``).
MUTED_CSS = f"color: {TEXT_MUTED};"
NOTE_CSS = f"color: {TEXT_NOTE};"
ERROR_CSS = f"color: {RED};"
FIELD_ERROR_CSS = f"color: {RED}; font-size: 11px;"
SUCCESS_CSS = f"color: {SUCCESS};"
WARNING_CSS = f"color: {WARNING};"
DANGER_CSS = f"color: {DANGER_DARK};"
MUTED_FLAT_CSS = f"color: {TEXT_MUTED}; border: none;"
SECONDARY_FLAT_CSS = f"color: {TEXT_SECONDARY}; border: none;"
SUCCESS_NOTE_CSS = f"color: {SUCCESS}; padding: 8px;"
UNDO_MESSAGE_CSS = f"color: {TEXT_MUTED}; padding: 2px 16px;"
EMPTY_LIST_CSS = f"color: {TEXT_MUTED}; padding: 32px;"
EMPTY_PANEL_CSS = (
    f"color: {TEXT_NOTE}; padding: 24px; border: 1px dashed {DASHED_BORDER}; border-radius: 6px;"
)
ERROR_BANNER_CSS = (
    f"color: {ERROR_BANNER_TEXT}; background: {ERROR_BANNER_BG}; border: 1px solid {ERROR_BANNER_BORDER}; "
    "border-radius: 4px; padding: 6px;"
)
INVALID_EDITOR_CSS = f"border: 1px solid {INVALID}; border-radius: 3px;"
CARD_CSS = (
    f"QFrame#card {{ background: palette(base); border: 1px solid {CARD_BORDER}; border-radius: 8px; }}"
)
CARD_HEADING_CSS = f"font-weight: 600; color: {ICON_COLOUR}; border: none;"
VALUE_BOX_CSS = (
    f"QFrame#valuebox {{ border: 1px solid {CARD_BORDER}; border-radius: 8px; background: palette(base); }}"
)
ATTACHMENT_LIST_CSS = (
    f"QListWidget#attachment_list {{ border: 1px dashed {TEXT_FAINT}; border-radius: 6px; }}"
)
WORKSPACE_HEADER_CSS = f"QWidget#workspace_header {{ border-bottom: 1px solid {CELL_BORDER}; }}"

#: Titles and spacing.
PAGE_TITLE_CSS = "font-size: 18px; font-weight: 600;"
PERIOD_TITLE_CSS = "font-size: 18px; font-weight: 600; padding-left: 8px;"  # the calendar's month or week
CLIENT_NAME_CSS = "font-size: 19px; font-weight: 600;"  # the workspace's header
SECTION_TITLE_CSS = "font-weight: 600; font-size: 14px; padding: 2px 0;"
DAY_TITLE_CSS = "font-weight: 600; font-size: 14px;"
FLAT_CSS = "border: none;"  # a widget inside a card
CONFLICT_VALUE_CSS = "font-size: 14px; border: none; padding: 6px 0;"
ROOMY_TREE_CSS = "QTreeView::item { padding: 5px 2px; }"
MENU_BUTTON_CSS = "QToolButton { padding-right: 18px; }"  # room for the menu arrow
NO_MENU_INDICATOR_CSS = "QToolButton::menu-indicator { image: none; width: 0; }"
IMPORT_STEPS_CSS = (
    f"QLabel#Step {{ color: {TEXT_MUTED}; padding: 4px 10px; }}"
    f"QLabel#StepActive {{ color: {ACCENT}; background: {ACCENT_SOFT}; "
    "border-radius: 12px; padding: 4px 10px; font-weight: 600; }"
)


def badge_css(colour: str) -> str:
    """A small rounded label in white on ``colour``."""
    return (
        f"color: white; background: {colour}; border-radius: 8px; padding: 1px 9px; font-size: 11px; border: none;"
        " min-height: 18px; max-height: 18px;"
    )


def swatch_css(colour: str, *, outline: bool = False) -> str:
    """A legend's colour square; ``outline``: white with a dashed border (an entry drawn as an outline)."""
    return (
        f"background: {WHITE if outline else colour}; border-radius: 2px;"
        f"border: 1px {'dashed' if outline else 'solid'} {colour};"
    )


#: The text colour of a feedback's severity (the Feedback screen and the workspace's Feedback tab).
SEVERITY_COLOURS = {"low": TEXT_MUTED, "medium": ACCENT, "high": WARNING, "critical": DANGER}

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


@overload
def health_band(score: float) -> str: ...
@overload
def health_band(score: None) -> None: ...
def health_band(score: float | None) -> str | None:
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
