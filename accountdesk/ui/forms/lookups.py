"""Choices for user and reference pickers, read through the services and cached per form.

The reads run where the caller runs them: a workspace tab reads a :class:`LookupData` on the
database lane (:meth:`Lookups.read`, a plain function of the context) and hands it to the GUI
thread (:meth:`Lookups.apply`), so its columns and forms find the names and references already
there. A form used on its own (no lanes) reads what is missing when it asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...domain.schema import SCHEMAS
from ...i18n import _
from ...services import records
from ...services import workspace as ws
from ...services.service import list_offerings

if TYPE_CHECKING:
    from ...services.context import AppContext

#: References whose labels need the service offerings.
_NEEDS_OFFERINGS = frozenset({"service_offering", "client_service"})


@dataclass
class LookupData:
    """What :meth:`Lookups.read` read: users, names, offerings and some references."""

    users: list[ws.UserRow]
    names: dict[str, str]
    offerings: dict[str, dict[str, Any]] | None
    refs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def form_refs(entity: str, fields: Iterable[str] | None = None) -> set[str]:
    """The referenced entities a form of ``entity`` (``fields`` of it) offers to pick."""
    schema = SCHEMAS.get(entity, {})
    names = list(fields) if fields is not None else list(schema)
    return {s.ref for n in names if (s := schema.get(n)) is not None and s.kind in ("ref", "refs") and s.ref}


class Lookups:
    """Users and referenced rows of one client, shared by the editors of a form and the columns of
    a workspace's tabs."""

    def __init__(self, ctx: AppContext, client_id: str | None = None):
        self.ctx = ctx
        self.client_id = client_id
        self._users: list[ws.UserRow] | None = None
        self._names: dict[str, str] | None = None
        self._refs: dict[str, list[tuple[str, str]]] = {}
        self._offerings: dict[str, dict[str, Any]] | None = None

    # -- reading off the GUI thread ----------------------------------------------------------------
    def read(self, refs: Iterable[str] = ()) -> LookupData:
        """Read users, names and the references ``refs`` (any thread: touches no cache)."""
        wanted = set(refs)
        offerings = (
            {o["id"]: o for o in list_offerings(self.ctx)}
            if wanted & _NEEDS_OFFERINGS or "offerings" in wanted
            else None
        )
        data = LookupData(ws.list_users(self.ctx), ws.user_names(self.ctx), offerings)
        for entity in sorted(wanted - {"offerings"}):
            data.refs[entity] = self._read_refs(entity, offerings)
        return data

    def apply(self, data: LookupData) -> None:
        """Take what :meth:`read` read (GUI thread): newer names and references replace older ones."""
        self._users = data.users
        self._names = data.names
        if data.offerings is not None:
            self._offerings = data.offerings
        self._refs.update(data.refs)

    # -- the caches ----------------------------------------------------------------------------------
    def users(self) -> list[tuple[str, str]]:
        if self._users is None:
            self._users = ws.list_users(self.ctx)
        return [(u.id, u.display_name) for u in self._users]

    def user_rows(self) -> list[ws.UserRow]:
        self.users()
        assert self._users is not None
        return self._users

    def user_name(self, user_id: str | None) -> str:
        if not user_id:
            return ""
        if self._names is None:
            self._names = ws.user_names(self.ctx)
        return self._names.get(user_id, user_id)

    def offerings(self) -> dict[str, dict[str, Any]]:
        if self._offerings is None:
            self._offerings = {o["id"]: o for o in list_offerings(self.ctx)}
        return self._offerings

    def refs(self, entity: str) -> list[tuple[str, str]]:
        if entity not in self._refs:
            offerings = self.offerings() if entity in _NEEDS_OFFERINGS else None
            self._refs[entity] = self._read_refs(entity, offerings)
        return self._refs[entity]

    def ref_label(self, entity: str, row_id: str | None) -> str:
        if not row_id:
            return ""
        return dict(self.refs(entity)).get(row_id, "")

    def invalidate(self) -> None:
        """Forget everything: the next question reads again. (A workspace does not call this: its
        tabs read fresh lookups with every load, and the old ones serve until then.)"""
        self._refs.clear()
        self._users = None
        self._names = None
        self._offerings = None

    def _read_refs(self, entity: str, offerings: dict[str, dict[str, Any]] | None) -> list[tuple[str, str]]:
        if entity == "service_offering":
            return [(o["id"], f"{o['name']} ({o['code']})") for o in (offerings or {}).values()]
        if not self.client_id:
            return []
        rows = records.list_records(self.ctx, entity, self.client_id)
        if entity == "contact":
            rows.sort(key=lambda r: r["name"])
            out = []
            for r in rows:
                text = r["name"] + (f" · {r['title']}" if r.get("title") else "")
                if r.get("left_company_on"):
                    text += " " + _("(left)")
                out.append((r["id"], text))
            return out
        if entity == "improvement_plan":
            rows.sort(key=lambda r: r["year"], reverse=True)
            return [(r["id"], f"{r['year']} {r.get('title') or ''}".strip()) for r in rows]
        if entity == "client_service":
            offers = offerings or {}
            return [(r["id"], offers.get(r["offering_id"], {}).get("name", r["offering_id"])) for r in rows]
        return [(r["id"], str(r.get("name") or r.get("title") or r["id"])) for r in rows]
