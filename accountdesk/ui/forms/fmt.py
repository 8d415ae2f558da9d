"""Display formatting shared by forms, the workspace, the calendar and the feedback queue."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from ...i18n import _
from ...labels import label

DATE_FMT = "%Y-%m-%d"
DATETIME_FMT = "%Y-%m-%d %H:%M"


def local(value: dt.datetime) -> dt.datetime:
    """An aware datetime in the local time zone of this computer."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone()


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value).date()
    return value.strftime(DATE_FMT)


def fmt_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return local(value).strftime(DATETIME_FMT)


def fmt_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return local(value).strftime("%H:%M")


def fmt_enum(enum: type[StrEnum] | None, value: str | None) -> str:
    if enum is None:
        return value or ""
    return label(enum, value)


def fmt_remaining(delta: dt.timedelta | None) -> str:
    """A deadline countdown: "2 d 5 h left", "3 h overdue"."""
    if delta is None:
        return ""
    seconds = int(delta.total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days >= 3:
        amount = _("{d} d").format(d=days)
    elif days:
        amount = _("{d} d {h} h").format(d=days, h=hours)
    elif hours:
        amount = _("{h} h {m} min").format(h=hours, m=minutes)
    else:
        amount = _("{m} min").format(m=minutes)
    if overdue:
        return _("{amount} overdue").format(amount=amount)
    return _("{amount} left").format(amount=amount)


def fmt_value(value: Any) -> str:
    """Any stored value as short text (history and conflict dialogs)."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        return fmt_datetime(value)
    if isinstance(value, dt.date):
        return fmt_date(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def fmt_money(value: int | float | None) -> str:
    if value is None:
        return ""
    return f"¥{value:,.0f}"
