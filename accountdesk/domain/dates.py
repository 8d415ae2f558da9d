"""Calendar arithmetic used by cadences, equipment service dates, reports and the demo."""

from __future__ import annotations

import calendar
import datetime as dt

_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by ``months`` calendar months (negative: back); a day that the target month
    lacks becomes its last day (31 January + 1 month = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month - 1]
    return dt.date(year, month, min(day.day, last))
