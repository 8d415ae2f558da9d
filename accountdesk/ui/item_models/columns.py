"""The one column type of the UI's table models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    """A column of a table model.

    ``header`` is shown as given; a model whose headers follow the language (the client list)
    gives an ``N_()`` msgid and translates it when asked. A model sorted in memory uses ``sort``
    (a key of a row); a model sorted by the database names the service's sort key in
    ``order_by`` (None: not sortable). ``badge``: the cell is drawn as badges (``BADGE_ROLE``).
    """

    key: str
    header: str
    text: Callable[[dict[str, Any]], str] | None = None
    sort: Callable[[dict[str, Any]], Any] | None = None
    color: Callable[[dict[str, Any]], str | None] | None = None
    width: int | None = None
    align_right: bool = False
    order_by: str | None = None
    badge: bool = False

    def display(self, row: dict[str, Any]) -> str:
        if self.text is not None:
            return self.text(row)
        value = row.get(self.key)
        return "" if value is None else str(value)

    def sort_key(self, row: dict[str, Any]) -> Any:
        if self.sort is not None:
            return self.sort(row)
        value = row.get(self.key)
        return (value is None, value if value is not None else "")
