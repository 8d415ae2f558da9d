"""Rules of a record's values that need nothing but the values and today's date: one place for
the laptop's services (which register them as rules of every create and update) and for the
server's import (which checks new records without the laptop's store).

Each check raises :class:`ValidationError` naming the field. :func:`check_new` runs every check of
an entity's new record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ValidationError
from ..i18n import _


def backup_is_not_the_owner(owner: str | None, backup: str | None) -> None:
    if owner and backup and owner == backup:
        raise ValidationError(
            "backup_owner_id", _("The backup owner must be someone other than the account manager.")
        )


def renewal_after_start(since: dt.date | None, renewal: dt.date | None) -> None:
    if since is not None and renewal is not None and renewal < since:
        raise ValidationError(
            "contract_renewal_date",
            _("The contract renewal date cannot come before the start of the relationship."),
        )


def left_company_not_in_future(left: dt.date | None, today: dt.date) -> None:
    if left is not None and left > today:
        raise ValidationError("left_company_on", _("The date someone left cannot be in the future."))


#: Equipment dates that record what happened (never planned ones).
EQUIPMENT_PAST_DATES = ("last_serviced_on", "last_calibrated_on")


def equipment_dates_not_in_future(values: Mapping[str, Any], today: dt.date) -> None:
    for name in EQUIPMENT_PAST_DATES:
        value = values.get(name)
        if value is not None and value > today:
            raise ValidationError(name, _("This date cannot lie in the future."))


def _client(values: Mapping[str, Any], today: dt.date) -> None:
    backup_is_not_the_owner(values.get("owner_id"), values.get("backup_owner_id"))
    renewal_after_start(values.get("relationship_since"), values.get("contract_renewal_date"))


def _contact(values: Mapping[str, Any], today: dt.date) -> None:
    left_company_not_in_future(values.get("left_company_on"), today)


#: entity -> the checks of a new record's values (parsed, as ``schema.parse_values`` gives them).
NEW_RECORD_CHECKS: dict[str, Callable[[Mapping[str, Any], dt.date], None]] = {
    "client": _client,
    "contact": _contact,
    "equipment": equipment_dates_not_in_future,
}


def check_new(entity: str, values: Mapping[str, Any], today: dt.date) -> None:
    """Every value rule of a new record of ``entity``."""
    check = NEW_RECORD_CHECKS.get(entity)
    if check is not None:
        check(values, today)
