"""The custom item-data roles: one set for every item model and item view of the UI.

Each role means the same on every model that gives it, so a delegate or a page reads a row's id
or its whole object in one way whatever the list.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

_USER = Qt.ItemDataRole.UserRole

#: The id of the row's record (``str``).
ID_ROLE = _USER
#: The row itself: the dict or item object behind it (a calendar cell: the list of its entries).
ROW_ROLE = _USER + 1
#: The value a column sorts by.
SORT_ROLE = _USER + 2
#: Badges drawn by :class:`~accountdesk.ui.widgets.badges.BadgeDelegate`: a list of ``(text, fg, bg)``.
BADGE_ROLE = _USER + 3
#: How soon an agenda item is due, in words.
DUE_TEXT_ROLE = _USER + 4
#: The name of a row's line icon (``ui/icons.py``).
ICON_ROLE = _USER + 5
#: The id of the client a row belongs to.
CLIENT_ID_ROLE = _USER + 6
#: The date of a calendar cell.
DATE_ROLE = _USER + 7

__all__ = [
    "BADGE_ROLE",
    "CLIENT_ID_ROLE",
    "DATE_ROLE",
    "DUE_TEXT_ROLE",
    "ICON_ROLE",
    "ID_ROLE",
    "ROW_ROLE",
    "SORT_ROLE",
]
