"""The demo generator: staff, the service catalogue, and one client after another."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

from ...models import (
    ServiceOffering,
    User,
)
from ...models.enums import Role
from ...sync.bulk import BulkWriter
from ..standards import standards_in
from . import data as D
from .client import _ClientBuild
from .common import (
    _pick_surname,
    _Staff,
    at,
    ch,
)

# -- the generator ------------------------------------------------------------------------------


class _Generator:
    def __init__(
        self, bulk: BulkWriter, *, seed: int, clients: int, reference: dt.date, taken_usernames: set[str]
    ):
        self.bulk = bulk
        self.seed = seed
        self.n_clients = clients
        self.ref = reference
        self.anchor = at(reference, 0)  # the demo's "now": the start of the reference day in China
        self.latest = self.anchor - dt.timedelta(minutes=1)
        self.year_ago = reference - dt.timedelta(days=365)
        self.taken_usernames = set(taken_usernames)
        self.names: set[str] = set()
        self.codes: set[str] = set()
        self.domains: set[str] = set()
        self.feedback_n = 0
        self.offerings: dict[str, str] = {}
        #: the tiers' service standards (the shipped default in the empty profile)
        self.standards = standards_in(bulk.session)

    # -- timestamps -----------------------------------------------------------------------
    def created(self, when: dt.datetime | dt.date) -> dt.datetime:
        """A creation time in the demo's past (never after the reference day began)."""
        if not isinstance(when, dt.datetime):
            when = at(when, 9)
        return when if when < self.latest else self.latest

    def add(
        self,
        model: Any,
        values: dict[str, Any],
        *,
        client_id: str | None,
        created: dt.datetime | dt.date,
        row_id: str | None = None,
    ) -> str:
        return self.bulk.add(
            model, values, client_id=client_id, created_at=self.created(created), row_id=row_id
        )

    # -- staff and catalogue --------------------------------------------------------------
    def person_name(self, rng: random.Random) -> tuple[str, str, str]:
        """(full name, surname pinyin, given-name pinyin)."""
        surname, s_py, _w = _pick_surname(rng)
        given, g_py = ch(rng, D.GIVEN_NAMES)
        return surname + given, s_py, g_py

    def staff(self) -> dict[str, list[_Staff]]:
        rng = random.Random(f"accountdesk-demo:{self.seed}:staff")
        n = self.n_clients
        plan = (
            [(Role.SUPERVISOR.value, "大客户事业部")]
            + [(Role.ADMIN.value, "信息部")]
            + [(Role.MANAGER.value, None)] * max(4, min(60, math.ceil(n / 30)))
            + [(Role.FIELD.value, None)] * max(4, min(80, math.ceil(n / 25)))
        )
        out: dict[str, list[_Staff]] = {
            "supervisor": [],
            "admin": [],
            "manager": [],
            "field": [],
            "former": [],
        }
        seen_names: set[str] = set()
        # the supervisor (the first user) creates every row, itself included
        self.bulk.user_id = self.bulk.new_id()
        for i, (role, team) in enumerate(plan + [(Role.MANAGER.value, "former")]):
            while True:
                name, s_py, g_py = self.person_name(rng)
                if name not in seen_names:
                    break
            seen_names.add(name)
            username = "admin" if role == Role.ADMIN.value else f"{s_py}.{g_py}"
            base, k = username, 1
            while username in self.taken_usernames:
                k += 1
                username = f"{base}{k}"
            self.taken_usernames.add(username)
            former = team == "former"
            if team is None or former:
                team = ch(rng, D.STAFF_TEAMS_MANAGERS if role == Role.MANAGER.value else D.STAFF_TEAMS_FIELD)
            uid = self.add(
                User,
                {
                    "username": username,
                    "display_name": name,
                    "role": role,
                    "team": team,
                    "email": f"{username}@{D.STAFF_EMAIL_DOMAIN}",
                    "active": not former,
                },
                client_id=None,
                created=self.ref - dt.timedelta(days=900 - i),
                row_id=self.bulk.user_id if i == 0 else None,
            )
            out["former" if former else role].append(_Staff(uid, username, name, role, not former))
        self.users = out
        self.supervisor = out["supervisor"][0]
        return out

    def catalogue(self) -> None:
        for i, o in enumerate(D.OFFERINGS):
            self.offerings[o.code] = self.add(
                ServiceOffering,
                {"code": o.code, "name": o.name, "category": o.category, "description": o.description},
                client_id=None,
                created=self.ref - dt.timedelta(days=800 - i),
            )

    # -- one client -----------------------------------------------------------------------
    def client(self, index: int) -> None:
        rng = random.Random(f"accountdesk-demo:{self.seed}:client:{index}")
        c = _ClientBuild(self, rng, index)
        c.build()
