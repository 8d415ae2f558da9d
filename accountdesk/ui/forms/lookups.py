"""Choices for user and reference pickers, read through the services and cached per form."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...i18n import _
from ...services import records
from ...services import workspace as ws

if TYPE_CHECKING:
    from ...services.context import AppContext


class Lookups:
    """Users and referenced rows of one client, loaded once and shared by the editors of a form."""

    def __init__(self, ctx: AppContext, client_id: str | None = None):
        self.ctx = ctx
        self.client_id = client_id
        self._users: list[ws.UserRow] | None = None
        self._names: dict[str, str] | None = None
        self._refs: dict[str, list[tuple[str, str]]] = {}
        self._offerings: dict[str, dict] | None = None

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

    def offerings(self) -> dict[str, dict]:
        if self._offerings is None:
            self._offerings = {o["id"]: o for o in ws.list_offerings(self.ctx)}
        return self._offerings

    def refs(self, entity: str) -> list[tuple[str, str]]:
        if entity not in self._refs:
            self._refs[entity] = self._load(entity)
        return self._refs[entity]

    def ref_label(self, entity: str, row_id: str | None) -> str:
        if not row_id:
            return ""
        return dict(self.refs(entity)).get(row_id, "")

    def invalidate(self) -> None:
        self._refs.clear()
        self._users = None
        self._names = None
        self._offerings = None

    def _load(self, entity: str) -> list[tuple[str, str]]:
        if entity == "service_offering":
            return [(o["id"], f"{o['name']} ({o['code']})") for o in self.offerings().values()]
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
            offers = self.offerings()
            return [(r["id"], offers.get(r["offering_id"], {}).get("name", r["offering_id"])) for r in rows]
        return [(r["id"], str(r.get("name") or r.get("title") or r["id"])) for r in rows]
