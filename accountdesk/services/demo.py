"""Realistic, deterministic demo data for a profile (``accountdesk demo``).

:func:`generate_demo` fills an **empty** profile with staff (a supervisor — who becomes the
profile's current user, so every screen is visible — account managers, field engineers, an
administrator and a former manager whose clients need a new owner), the global service catalogue
and, per client, a Chinese company with contacts and their org chart, visit plans and a year of
visits with written reports, SLA commitments, services with deliveries, feedback in every kind
and state, surveys with a trend, risk flags, equipment with due dates, improvement plans,
interactions, opportunities and the ownership history.

Deterministic: the same ``seed``, ``clients`` and ``reference`` date give the same rows, ids
included; only the hybrid-logical-clock values differ between devices, as they carry the device
id (and the wall time of the device clock). Each client draws from its own random stream seeded
from the seed and its position. Times of day are China Standard Time, whatever the zone of the
computer, so the data does not depend on where it is generated.

Fast: rows go to SQLite with Core ``insert()`` executemany in one write transaction, each with
its outbox entry (op ``create``) in the same transaction, so a demo profile can seed a sync
server. A profile that already holds data is refused (:class:`DemoProfileNotEmpty`); there is no
"force": demo data mixed into real data could not be told apart, and would sync.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
import string
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..domain.dates import add_months
from ..domain.feedback import OPEN_STATUSES
from ..domain.validation import USCC_CHARSET, uscc_check_char
from ..errors import AccountDeskError, ConflictError, ValidationError
from ..i18n import _
from ..models import (
    SYNCABLE,
    Client,
    ClientService,
    ClientTeamMember,
    Contact,
    Equipment,
    Feedback,
    Handover,
    ImprovementItem,
    ImprovementPlan,
    Interaction,
    Opportunity,
    OwnershipChange,
    RiskFlag,
    ServiceCommitment,
    ServiceDelivery,
    ServiceNote,
    ServiceOffering,
    Survey,
    User,
    Visit,
    VisitPlan,
)
from ..models.enums import Role
from ..sync.changes import META_DEMO, get_meta, set_meta
from . import demo_data as D
from . import demo_text as T
from .context import META_CURRENT_USER, AppContext
from .demo_bulk import BulkWriter
from .feedback import (
    ESCALATION_LEAD_HOURS,
    LEVEL_OVERDUE,
    default_due,
    effective_due,
    feedback_escalation_level,
)

Progress = Callable[[float, str], None]

MAX_CLIENTS = 100_000
#: Clients generated between two writes to the database (bounds memory; one transaction).
CHUNK = 500

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186", "187",
    "188", "189", "191", "198", "199",
)
FEEDBACK_KINDS = ("complaint", "appeal", "praise", "suggestion", "inquiry")
FEEDBACK_STATUSES = ("received", "investigating", "resolved", "answered", "closed")


class DemoProfileNotEmpty(ConflictError):
    """Demo data only goes into an empty profile (exit code 2 on the command line)."""


class DemoCancelled(AccountDeskError):
    """The demo was cancelled; nothing was written."""


@dataclass(frozen=True)
class DemoSummary:
    clients: int
    rows: int
    outbox_entries: int
    counts: dict[str, int]
    seed: int
    reference_date: dt.date
    seconds: float
    current_user_id: str
    current_user: str
    current_user_name: str
    users: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "rows": self.rows,
            "outbox_entries": self.outbox_entries,
            "counts": dict(sorted(self.counts.items())),
            "seed": self.seed,
            "reference_date": self.reference_date.isoformat(),
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows / self.seconds) if self.seconds > 0 else None,
            "current_user": {"id": self.current_user_id, "username": self.current_user, "display_name": self.current_user_name},
        }


# -- small helpers ------------------------------------------------------------------------------
def weekday(day: dt.date) -> dt.date:
    """The working day on or before ``day`` (a weekend moves back to Friday): past events stay past."""
    wd = day.weekday()
    return day - dt.timedelta(days=wd - 4) if wd >= 5 else day


def weekday_after(day: dt.date) -> dt.date:
    """The working day on or after ``day`` (a weekend moves on to Monday): planned events stay ahead."""
    wd = day.weekday()
    return day + dt.timedelta(days=7 - wd) if wd >= 5 else day


_UTC = dt.UTC
_CST_OFFSET = dt.timedelta(hours=8)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``hour:minute`` China time on ``day``, as an aware UTC datetime."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=_UTC) - _CST_OFFSET


# Faster draws than random.Random's own choice/randint (which go through randrange); a seeded
# stream gives the same values on every platform.
def ch(rng: random.Random, seq: Sequence[Any]) -> Any:
    return seq[int(rng.random() * len(seq))]


def ri(rng: random.Random, a: int, b: int) -> int:
    return a + int(rng.random() * (b - a + 1))


def rr(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def pick(rng: random.Random, seq: Sequence[Any], k: int) -> list[Any]:
    """``k`` different items of ``seq`` (as ``rng.sample``; faster for the usual one or two)."""
    n = len(seq)
    if k == 1 and n:
        return [seq[int(rng.random() * n)]]
    if k == 2 and n > 2:
        i = int(rng.random() * n)
        j = int(rng.random() * (n - 1))
        return [seq[i], seq[j + 1 if j >= i else j]]
    return rng.sample(seq, k)


_CUMULATIVE: dict[tuple[float, ...], list[float]] = {}


def wc(rng: random.Random, items: Sequence[Any], weights: tuple[float, ...]) -> Any:
    """One of ``items`` drawn with ``weights`` (as ``rng.choices(items, weights)[0]``, faster)."""
    cum = _CUMULATIVE.get(weights)
    if cum is None:
        cum = _CUMULATIVE[weights] = list(itertools.accumulate(weights))
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


_FIELDS_CACHE: dict[str, tuple[str, ...]] = {}


def _fields_of(text: str) -> tuple[str, ...]:
    found = _FIELDS_CACHE.get(text)
    if found is None:
        found = _FIELDS_CACHE[text] = tuple(dict.fromkeys(f for _l, f, _s, _c in string.Formatter().parse(text) if f))
    return found


def _weighted(items: Sequence[Any], weights: Sequence[float]) -> Callable[[random.Random], Any]:
    cum = list(itertools.accumulate(weights))
    total = cum[-1]

    def pick(rng: random.Random) -> Any:
        return items[bisect.bisect_right(cum, rng.random() * total)]

    return pick


_pick_city = _weighted(D.CITIES, [c.weight for c in D.CITIES])
_pick_industry = _weighted(D.INDUSTRIES, [i.weight for i in D.INDUSTRIES])
_pick_surname = _weighted(D.SURNAMES, [s[2] for s in D.SURNAMES])
_OFFERINGS_BY_CODE = {o.code: o for o in D.OFFERINGS}
_ORG_CHARS = USCC_CHARSET  # characters of an organisation code (no I, O, S, V, Z)
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(body8: str) -> str:
    """An organisation code (GB 11714): eight characters and their check character."""
    total = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body8, _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body8 + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(rng: random.Random, prefix: str, division: str) -> str:
    """A unified social credit code (GB 32100-2015) with a valid check character."""
    if prefix == "91" and rng.random() < 0.6:  # codes issued since 2015 start with MA
        body = "MA" + "".join(ch(rng, _ORG_CHARS[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
    else:
        body = "".join(ch(rng, "0123456789") for _ in range(8))
    first17 = prefix + division + organisation_code(body)
    return first17 + uscc_check_char(first17)


# -- the generator ------------------------------------------------------------------------------
@dataclass
class _Staff:
    id: str
    username: str
    name: str
    role: str
    active: bool = True


@dataclass
class _Person:
    """A contact while its client is generated."""

    id: str
    name: str
    title: str
    level: int
    left_on: dt.date | None


class _Generator:
    def __init__(self, bulk: BulkWriter, *, seed: int, clients: int, reference: dt.date, taken_usernames: set[str]):
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

    # -- timestamps -----------------------------------------------------------------------
    def created(self, when: dt.datetime | dt.date) -> dt.datetime:
        """A creation time in the demo's past (never after the reference day began)."""
        if not isinstance(when, dt.datetime):
            when = at(when, 9)
        return when if when < self.latest else self.latest

    def add(self, model, values: dict[str, Any], *, client_id: str | None, created: dt.datetime | dt.date, row_id: str | None = None) -> str:
        return self.bulk.add(model, values, client_id=client_id, created_at=self.created(created), row_id=row_id)

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
        out: dict[str, list[_Staff]] = {"supervisor": [], "admin": [], "manager": [], "field": [], "former": []}
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


class _ClientBuild:
    """Everything of one client, drawn from the client's own random stream."""

    def __init__(self, gen: _Generator, rng: random.Random, index: int):
        self.g = gen
        self.rng = rng
        self.index = index
        self.ref = gen.ref
        self.year_ago = gen.year_ago
        self.people: list[_Person] = []
        self.anyone_left = False
        self.service_names: list[str] = []

    # -- helpers --------------------------------------------------------------------------
    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=rr(self.rng, (end - start).days + 1))

    def work_time(self, day: dt.date) -> dt.datetime:
        """A time in working hours on ``day`` (moved off a weekend without crossing the reference day)."""
        day = weekday(day) if day < self.ref else weekday_after(day)
        return at(day, ch(self.rng, (9, 10, 10, 11, 14, 14, 15, 16)), ch(self.rng, (0, 0, 30)))

    def fill(self, text: str, **extra: Any) -> str:
        """A phrase with its placeholders drawn for this client (only those the phrase has)."""
        names = _fields_of(text)
        if not names:
            return text
        rng = self.rng
        values: dict[str, Any] = {}
        for name in names:
            if name in extra:
                values[name] = extra[name]
            elif name == "contact":
                values[name] = ch(rng, self.people).name if self.people else "对方负责人"
            elif name == "title":
                values[name] = "负责人"
            elif name == "service":
                values[name] = ch(rng, self.service_names) if self.service_names else "校准服务"
            elif name == "equipment":
                values[name] = ch(rng, self.industry.equipment)[0]
            elif name == "n":
                values[name] = ri(rng, 2, 12)
            elif name == "m":
                values[name] = f"{ri(rng, 1, 12)}月"
            elif name == "pct":
                values[name] = ri(rng, 92, 99) if "SLA" in text else ri(rng, 8, 30)
            elif name == "city":
                values[name] = self.city.city.rstrip("市")
            elif name == "industry":
                values[name] = self.industry.label
        return text.format(**values)

    def present(self, day: dt.date) -> list[_Person]:
        """Contacts still at the company on ``day``."""
        if not self.anyone_left:
            return self.people
        return [p for p in self.people if p.left_on is None or p.left_on > day] or self.people[:1]

    def owner_on(self, day: dt.date) -> str:
        if self.handover_day is not None and day < self.handover_day:
            return self.previous_owner.id
        return self.owner.id

    def add(self, model, values: dict[str, Any], created: dt.datetime | dt.date, row_id: str | None = None) -> str:
        return self.g.add(model, values, client_id=self.id, created=created, row_id=row_id)

    # -- the client row -------------------------------------------------------------------
    def build(self) -> None:
        g, rng = self.g, self.rng
        i = self.index
        self.industry = _pick_industry(rng)
        self.city = _pick_city(rng)
        # the first clients cover every tier and status, whatever the size of the demo
        tier = ("strategic", "key", "standard", "key", "standard")[i] if i < 5 else None
        if tier is None:
            u = rng.random()
            tier = "strategic" if u < 0.03 else "key" if u < 0.18 else "standard"
        status = ("active", "at_risk", "active", "prospect", "lost", "dormant")[i] if i < 6 else None
        if status is None:
            u = rng.random()
            status = ("prospect" if u < 0.06 else "active" if u < 0.80 else "at_risk" if u < 0.89 else "dormant" if u < 0.94 else "lost")
        self.tier, self.status = tier, status
        self.prospect = status == "prospect"
        self.lost_on = self.ref - dt.timedelta(days=ri(rng, 90, 300)) if status == "lost" else None
        self.end = self.lost_on or self.ref  # history runs until here

        name, short, domain = self.company_name()
        g.names.add(name)
        code = credit_code(rng, self.industry.uscc_prefix, self.city.division)
        while code in g.codes:
            code = credit_code(rng, self.industry.uscc_prefix, self.city.division)
        g.codes.add(code)
        self.domain = domain

        if self.prospect:
            self.since = None
            first_contact = self.ref - dt.timedelta(days=ri(rng, 20, 200))
        else:
            years = ri(rng, 3, 15) if tier == "strategic" else ri(rng, 1, 12)
            self.since = self.ref - dt.timedelta(days=365 * years + ri(rng, 0, 300))
            first_contact = self.since
        self.start = first_contact
        # fees follow a pyramid: few strategic clients bring most of them
        lo, hi = {"strategic": (2_000_000, 18_000_000), "key": (450_000, 2_600_000), "standard": (20_000, 480_000)}[tier]
        fees = None if self.prospect else int(round(math.exp(rng.uniform(math.log(lo), math.log(hi))), -3))
        emp_lo, emp_hi = self.industry.employees
        employees = int(round(math.exp(rng.uniform(math.log(emp_lo), math.log(emp_hi))), -1))
        if tier == "strategic":
            employees = max(employees, emp_hi // 2)
        freq = (ri(rng, 12, 60) if self.industry.focus == "it" else {"strategic": ri(rng, 120, 360), "key": ri(rng, 36, 150), "standard": ri(rng, 4, 40)}[tier])
        if self.prospect:
            renewal = None
        elif status == "lost":
            renewal = self.lost_on
        elif status == "at_risk" and rng.random() < 0.5:
            renewal = self.ref - dt.timedelta(days=ri(rng, 1, 40))
        else:
            renewal = self.ref + dt.timedelta(days=ri(rng, 10, 400))
        self.renewal = renewal

        # people of ours
        managers = g.users["manager"]
        former = g.users["former"][0]
        needs_owner = (i == 7) or (i > 7 and rng.random() < 0.02)
        self.owner = former if needs_owner else managers[rr(rng, len(managers))]
        backups = [m for m in managers if m.id != self.owner.id]
        self.backup = ch(rng, backups)
        self.handover_day: dt.date | None = None
        self.previous_owner: _Staff | None = None
        if not needs_owner and not self.prospect and rng.random() < 0.25:
            self.previous_owner = former if rng.random() < 0.6 else ch(rng, backups)
            earliest = max(self.start + dt.timedelta(days=30), self.ref - dt.timedelta(days=700))
            self.handover_day = self.day_between(earliest, self.ref - dt.timedelta(days=20))
        field_staff = g.users["field"]
        n_team = {"strategic": ri(rng, 2, 4), "key": ri(rng, 1, 3), "standard": ri(rng, 0, 2)}[tier]
        self.team = pick(rng, field_staff, min(n_team, len(field_staff))) if not self.prospect else []

        tags = sorted(pick(rng, D.CLIENT_TAGS, ri(rng, 0, 3)))
        if tier == "strategic":
            tags = sorted(set(tags) | {"重点保障"})
        district = ch(rng, self.city.districts)
        place = self.city.city if self.city.province == self.city.city else self.city.province + self.city.city
        self.address = f"{place}{district}{ch(rng, D.ROADS)}{ri(rng, 1, 999)}号"
        self.id = g.bulk.new_id()
        usage = ch(rng, D.REPORT_USAGE[self.industry.focus] + D.REPORT_USAGE_BY_INDUSTRY.get(self.industry.key, ()))
        self.litigation = "诉讼" in usage
        self.add(
            Client,
            {
                "name": name,
                "short_name": short,
                "uscc": code,
                "industry": self.industry.label,
                "tier": tier,
                "status": status,
                "province": self.city.province,
                "city": self.city.city,
                "address": self.address,
                "employees": employees,
                "annual_fees": fees,
                "service_frequency": freq,
                "report_usage": usage,
                "deadline_demands": ch(rng, D.DEADLINE_DEMANDS[self.industry.focus]),
                "owner_id": self.owner.id,
                "backup_owner_id": self.backup.id,
                "relationship_since": self.since,
                "contract_renewal_date": renewal,
                "tags": tags,
                "description": self.fill(ch(rng, T.DESCRIPTIONS)),
            },
            created=self.start,
            row_id=self.id,
        )
        for member in self.team:
            self.add(ClientTeamMember, {"user_id": member.id, "role": ch(rng, D.TEAM_ROLES_FIELD)}, created=self.start)

        self.contacts()
        self.ownership()
        self.services()
        self.visits_and_surveys()
        self.commitments_and_notes()
        self.feedback()
        self.risks()
        self.equipment()
        self.improvement()
        self.interactions()
        self.opportunities()

    def company_name(self) -> tuple[str, str, str]:
        g, rng, ind, city = self.g, self.rng, self.industry, self.city
        city_short = city.city.rstrip("市")
        for _attempt in range(40):
            brand, brand_py = ch(rng, D.BRANDS)
            pattern = ch(rng, ind.patterns)
            n = rr(rng, len(D.CN_ORDINALS))
            name = pattern.format(brand=brand, city=city_short, n=D.CN_ORDINALS[n])
            if name not in g.names:
                break
        else:
            district = ch(rng, city.districts)
            base, k = f"{name}{district}分公司", 1
            name = base
            while name in g.names:
                k += 1
                name = f"{base[:-3]}第{D.CN_ORDINALS[k % 9]}分公司"
                if k > 9:
                    name = f"{base}{k}"
        if "{brand}" in pattern:
            short = brand + ind.short_suffix
            stem = f"{brand_py}-{ind.domain_tag}"
        elif "{n}" in pattern:
            short = f"{city_short}{D.CN_ORDINALS[n]}院"
            stem = f"{city.abbr}{n + 1}{ind.domain_tag}"
        else:
            short = name.replace("集团有限公司", "").replace("有限公司", "")[:12]
            stem = f"{city.abbr}-{ind.domain_tag}{len(name)}"
        tld = ".org.cn" if ind.uscc_prefix == "12" else ch(rng, (".com", ".com.cn", ".cn"))
        domain, k = stem + tld, 1
        while domain in g.domains:
            k += 1
            domain = f"{stem}{k}{tld}" if k > 2 else f"{stem}-{city.abbr}{tld}"
        g.domains.add(domain)
        return name, short, domain

    # -- contacts and the org chart ---------------------------------------------------------
    def contacts(self) -> None:
        rng, ind = self.rng, self.industry
        lo, hi = {"strategic": (7, 10), "key": (5, 8), "standard": (3, 6)}[self.tier]
        n = ri(rng, lo, hi)
        roles = list(ind.roles)
        root_role = roles[0]
        others = pick(rng, roles[1:], min(n - 1, len(roles) - 1))
        others.sort(key=lambda r: r.level)
        chosen = [root_role, *others]
        names: set[str] = set()
        locals_: set[str] = set()
        mobiles: set[str] = set()
        heads: list[tuple[Any, _Person]] = []
        primary_done = False
        for k, role in enumerate(chosen):
            while True:
                name, s_py, g_py = self.g.person_name(rng)
                if name not in names:
                    break
            names.add(name)
            cid = self.g.bulk.new_id()
            # reports to: the top for heads; a head of the same department (or any head) for staff
            if k == 0:
                reports_to = None
            elif role.level == 1 or not heads:
                reports_to = self.people[0].id
            else:
                same = [p for r, p in heads if r.department == role.department]
                reports_to = (same[0] if same else ch(rng, heads)[1]).id
            left_on = None
            if k > 0 and rng.random() < 0.09:
                left_on = self.ref - dt.timedelta(days=ri(rng, 5, 330))
            mobile = "+86" + ch(rng, MOBILE_PREFIXES) + f"{rr(rng, 10**8):08d}"
            while mobile in mobiles:
                mobile = "+86" + ch(rng, MOBILE_PREFIXES) + f"{rr(rng, 10**8):08d}"
            mobiles.add(mobile)
            style = rr(rng, 4)
            local = (f"{g_py}.{s_py}", f"{s_py}{g_py}", f"{s_py}.{g_py}", f"{g_py[0]}{s_py}")[style]
            base, j = local, 1
            while local in locals_:
                j += 1
                local = f"{base}{j}"
            locals_.add(local)
            phone = None
            if role.level < 2 and rng.random() < 0.6:
                phone = "+86" + self.city.area + str(ri(rng, 2, 8)) + f"{rr(rng, 10**7):07d}"
            is_primary = False
            if not primary_done and role.relationship_role == "daily_contact" and left_on is None:
                is_primary = primary_done = True
            attitude = wc(rng, ("supporter", "neutral", "detractor"), (45, 40, 15))
            strength = max(0, min(10, int(rng.gauss(6 if attitude == "supporter" else 4, 2))))
            note = ch(rng, T.CONTACT_NOTES)
            if left_on is not None:
                note = "已离职，相关工作已交接给继任者。"
            self.add(
                Contact,
                {
                    "name": name,
                    "title": role.title,
                    "department": role.department,
                    "buying_role": role.buying_role,
                    "relationship_role": role.relationship_role,
                    "influence": ri(rng, *role.influence),
                    "attitude": attitude,
                    "relationship_strength": strength,
                    "reports_to_id": reports_to,
                    "mobile": mobile,
                    "phone": phone,
                    "email": f"{local}@{self.domain}",
                    "wechat": (f"wx_{s_py}{g_py}{ri(rng, 10, 99)}" if rng.random() < 0.4 else None),
                    "birthday": (dt.date(ri(rng, 1965, 1998), ri(rng, 1, 12), ri(rng, 1, 28)) if rng.random() < 0.3 else None),
                    "preferred_channel": ch(rng, ("mobile", "mobile", "wechat", "email", "phone", "visit")),
                    "is_primary": is_primary,
                    "left_company_on": left_on,
                    "notes": note,
                },
                created=self.start + dt.timedelta(days=k * 3),
                row_id=cid,
            )
            person = _Person(cid, name, role.title, role.level, left_on)
            self.people.append(person)
            if role.level == 1:
                heads.append((role, person))
        self.anyone_left = any(p.left_on is not None for p in self.people)

    # -- ownership --------------------------------------------------------------------------
    def ownership(self) -> None:
        rng, sup = self.rng, self.g.supervisor.id
        first_owner = self.previous_owner or self.owner
        self.add(OwnershipChange, {"kind": "owner", "from_user_id": None, "to_user_id": first_owner.id, "by_user_id": sup,
                                   "at": at(self.start, 10), "reason": "建立合作，指定客户主管", "handover_id": None},
                 created=self.start)
        self.add(OwnershipChange, {"kind": "backup", "from_user_id": None, "to_user_id": self.backup.id, "by_user_id": sup,
                                   "at": at(self.start, 10, 30), "reason": "指定备份主管（B角）", "handover_id": None},
                 created=self.start)
        if self.previous_owner is None:
            return
        when = at(self.handover_day, 15)
        left = not self.previous_owner.active
        reason = "原客户主管离职，工作交接" if left else ch(rng, ("区域调整，客户划转", "客户主管岗位调整"))
        handover_id = None
        if left:
            checklist = [{"key": k, "label": label, "done": True, "detail": None} for k, label in T.HANDOVER_CHECKLIST]
            handover_id = self.add(Handover, {"from_user_id": self.previous_owner.id, "to_user_id": self.owner.id, "by_user_id": sup,
                                              "at": when, "reason": reason, "checklist": checklist,
                                              "notes": "已陪同新主管拜访关键联系人。", "status": "completed"},
                                   created=when)
        self.add(OwnershipChange, {"kind": "owner", "from_user_id": self.previous_owner.id, "to_user_id": self.owner.id,
                                   "by_user_id": sup, "at": when, "reason": reason, "handover_id": handover_id},
                 created=when)

    # -- services and deliveries ------------------------------------------------------------
    def services(self) -> None:
        self.active_services: list[tuple[str, str]] = []  # (client service id, code)
        if self.prospect:
            return
        rng, focus = self.rng, self.industry.focus
        if focus == "lab":
            std = [("CAL-STD", 0.9), ("TST-STD", 0.6), ("CAL-ONSITE", 0.3), ("TST-ENV", 0.2), ("EQP-MAINT", 0.15)]
        else:
            std = [("ITO-OPS", 0.9), ("ITO-DESK", 0.5), ("EQP-MAINT", 0.3)]
        codes = [code for code, p in std if rng.random() < p] or [std[0][0]]
        vas = [o.code for o in D.OFFERINGS if o.category == "value_added" and o.focus in (focus, "any")]
        n_vas = {"strategic": ri(rng, 2, 4), "key": ri(rng, 1, 3), "standard": ri(rng, 0, 1)}[self.tier]
        codes += pick(rng, vas, n_vas)
        scale = {"strategic": 1.0, "key": 0.55, "standard": 0.25}[self.tier]
        for code in codes:
            offering = _OFFERINGS_BY_CODE[code]
            vlo, vhi = offering.value_range
            start = self.day_between(self.start, max(self.start, self.end - dt.timedelta(days=200)))
            if self.status == "lost":
                status, end = "ended", self.lost_on
            elif offering.category == "value_added" and rng.random() < 0.15:
                status, end = "proposed", None
            elif rng.random() < 0.05:
                status, end = "paused", None
            else:
                status, end = "active", self.renewal
            csid = self.add(ClientService, {
                "offering_id": self.g.offerings[code],
                "status": status,
                "start_date": start if status != "proposed" else None,
                "end_date": end,
                "value_estimate": int(round(vlo + (vhi - vlo) * scale * rng.random(), -3)),
                "notes": None if rng.random() < 0.7 else "按年度框架合同执行。",
            }, created=start)
            self.service_names.append(offering.name)
            if status == "proposed":
                continue
            self.active_services.append((csid, code))
            once = code in ("VAS-TRAIN", "VAS-ANNUAL", "VAS-DR", "VAS-PT")
            n = 1 if once else {"strategic": ri(rng, 6, 10), "key": ri(rng, 3, 6), "standard": ri(rng, 1, 3)}[self.tier]
            window_start = max(start, self.year_ago)
            for _k in range(n):
                day = self.day_between(window_start, self.end - dt.timedelta(days=1))
                by = ch(rng, self.team).id if self.team else self.owner_on(day)
                self.add(ServiceDelivery, {
                    "client_service_id": csid,
                    "delivered_at": self.work_time(day),
                    "delivered_by": by,
                    "notes": self.fill(T.DELIVERY_NOTES[code]),
                }, created=at(day, 18))

    # -- visit plans, visits with reports, surveys ------------------------------------------
    def visits_and_surveys(self) -> None:
        rng, tier, status = self.rng, self.tier, self.status
        if self.prospect:
            cadences = {"return_visit": 2}
        elif tier == "standard" or status == "dormant":
            cadences = {"return_visit": 3, "satisfaction_survey": 6, "improvement_review": 12}
        else:
            cadences = {"return_visit": 1, "executive_meeting": 3, "satisfaction_survey": 6, "improvement_review": 12}
        active = status != "lost"
        self.survey_visits: list[tuple[dt.date, str | None]] = []
        for kind, months in cadences.items():
            self.add(VisitPlan, {"kind": kind, "title": None, "every_months": months, "owner_id": self.owner.id,
                                 "active": active, "starts_on": self.since or self.start}, created=self.start)
            self.visit_series(kind, months)
        if not self.prospect and rng.random() < 0.3:
            day = self.day_between(self.year_ago, self.end - dt.timedelta(days=1))
            self.visit("custom", day, "done")
        self.surveys()

    def visit_series(self, kind: str, months: int) -> None:
        rng = self.rng
        horizon = 24 if kind == "satisfaction_survey" else 12
        begin = max(self.start, self.ref - dt.timedelta(days=30 * horizon))
        first = begin + dt.timedelta(days=rr(rng, max(1, min(28 * months, (self.end - begin).days or 1))))
        days = []
        day = first
        while day < self.end:
            days.append(weekday(day))
            day = add_months(day, months)
        # the latest due visit is sometimes not held: the plan is then overdue
        lapse = self.status != "lost" and rng.random() < (0.3 if self.status in ("at_risk", "dormant") else 0.12)
        last_done = None
        for k, d in enumerate(days):
            last = k == len(days) - 1
            if kind == "satisfaction_survey" and d < self.year_ago:
                self.survey_visits.append((d, None))  # older surveys: no visit in the year of history
                last_done = d
                continue
            if last and lapse:
                recent = (self.ref - d).days <= 45  # an old visit still "planned" would be implausible
                self.visit(kind, d, "planned" if rng.random() < 0.5 and recent else "missed")
                continue
            u = rng.random()
            st = "done" if u < 0.9 else "cancelled" if u < 0.95 else "missed"
            self.visit(kind, d, st)
            if st == "done":
                last_done = d
        if self.status == "lost":
            return
        due = add_months(last_done, months) if last_done else self.ref
        if due < self.ref:
            if rng.random() < 0.5:  # rescheduled into the coming two weeks
                self.visit(kind, weekday_after(self.ref + dt.timedelta(days=ri(rng, 1, 14))), "planned")
        elif due <= self.ref + dt.timedelta(days=42):
            self.visit(kind, weekday_after(max(due, self.ref + dt.timedelta(days=1))), "planned")

    def visit(self, kind: str, day: dt.date, status: str) -> None:
        rng = self.rng
        start = self.work_time(day)
        hours = 2 if kind in ("executive_meeting", "improvement_review") else 1
        channel = "onsite"
        if kind == "return_visit":
            channel = ch(rng, ("onsite", "onsite", "phone", "video", "informal"))
        elif kind == "satisfaction_survey":
            channel = ch(rng, ("onsite", "phone"))
        people = self.present(day)
        if kind == "executive_meeting":
            pool = [p for p in people if p.level <= 1] or people
        else:
            pool = [p for p in people if p.level >= 1] or people
        attendees = pick(rng, pool, min(len(pool), ri(rng, 1, 3)))
        owner = self.owner_on(day)
        ours = [owner]
        if kind == "executive_meeting":
            ours.append(self.g.supervisor.id)
        if self.team and rng.random() < 0.4:
            member = ch(rng, self.team).id
            if member not in ours:
                ours.append(member)
        values: dict[str, Any] = {
            "kind": kind,
            "channel": channel,
            "planned_start": start,
            "planned_end": start + dt.timedelta(hours=hours),
            "location": self.address if channel == "onsite" else ("视频会议" if channel == "video" else None),
            "purpose": self.fill(ch(rng, T.VISIT_PURPOSE[kind])),
            "attendee_contact_ids": [p.id for p in attendees],
            "attendee_user_ids": ours,
            "owner_id": owner,
            "status": status,
            "done_at": None,
            "outcome": None,
            "client_requests": None,
            "follow_ups": None,
            "next_steps": None,
        }
        if status == "done":
            lead = attendees[0]
            values["done_at"] = start + dt.timedelta(hours=hours)
            opening = self.fill(ch(rng, T.OUTCOME_OPEN[channel]), contact=lead.name, title=lead.title, n=len(attendees) + 1)
            body = "".join(self.fill(s) for s in pick(rng, T.OUTCOME_BODY, ri(rng, 1, 2)))
            values["outcome"] = opening + body
            values["client_requests"] = "".join(self.fill(s) for s in pick(rng, T.CLIENT_REQUESTS, ri(rng, 1, 2)))
            values["follow_ups"] = "；".join(self.fill(s).rstrip("。") for s in pick(rng, T.FOLLOW_UPS, ri(rng, 1, 2))) + "。"
            values["next_steps"] = self.fill(ch(rng, T.NEXT_STEPS))
            if kind == "satisfaction_survey":
                self.survey_visits.append((day, lead.id))
        elif status == "cancelled":
            values["outcome"] = ch(rng, ("客户临时有会，改期。", "客户停产检修，本次取消。"))
        self.add(Visit, values, created=min(start - dt.timedelta(days=ri(rng, 3, 20)), self.g.anchor))

    def surveys(self) -> None:
        rng = self.rng
        if not self.survey_visits:
            return
        trend = wc(rng, ("up", "flat", "down"), (35, 40, 25) if self.status == "active" else (15, 30, 55))
        base = {"strategic": 4.2, "key": 4.0, "standard": 3.8}[self.tier] - (0.6 if self.status in ("at_risk", "dormant") else 0)
        slope = {"up": 0.3, "flat": 0.0, "down": -0.35}[trend]
        visits = sorted(self.survey_visits)
        mid = (len(visits) - 1) / 2
        for k, (day, contact_id) in enumerate(visits):
            level = base + slope * (k - mid)
            scores = [max(1, min(5, round(level + rng.uniform(-0.6, 0.6)))) for _ in range(4)]
            overall = max(1, min(5, round(sum(scores) / 4 + rng.uniform(-0.3, 0.3))))
            if contact_id is None:
                present = self.present(day)
                contact_id = ch(rng, present).id
            person = next(p for p in self.people if p.id == contact_id)
            self.add(Survey, {
                "conducted_on": day,
                "respondent": person.name,
                "respondent_contact_id": person.id,
                "score_service_quality": scores[0],
                "score_responsiveness": scores[1],
                "score_professionalism": scores[2],
                "score_relationship": scores[3],
                "score_overall": overall,
                "comments": ch(rng, T.SURVEY_COMMENTS[trend]),
            }, created=at(day, 17))

    # -- SLA commitments and service notes ---------------------------------------------------
    def commitments_and_notes(self) -> None:
        rng = self.rng
        if self.prospect:
            return
        table = T.COMMITMENTS[self.industry.focus]
        n = {"strategic": ri(rng, 3, 4), "key": ri(rng, 2, 3), "standard": ri(rng, 1, 2)}[self.tier]
        valid_to = self.renewal
        valid_from = add_months(valid_to, -12) if valid_to else self.start
        for title, metric, target, coverage in pick(rng, table, n):
            self.add(ServiceCommitment, {"title": title, "metric": metric, "target": target, "coverage": coverage,
                                         "valid_from": valid_from, "valid_to": valid_to,
                                         "notes": None if rng.random() < 0.6 else "写入年度服务合同附件。"},
                     created=valid_from)
        n_notes = {"strategic": ri(rng, 2, 3), "key": ri(rng, 1, 3), "standard": ri(rng, 0, 2)}[self.tier]
        for category, text, confidential in pick(rng, T.SERVICE_NOTES, n_notes):
            self.add(ServiceNote, {"category": category, "text": self.fill(text), "confidential": confidential},
                     created=self.day_between(self.start, self.ref - dt.timedelta(days=1)))

    # -- feedback ----------------------------------------------------------------------------
    def feedback(self) -> None:
        rng, g = self.rng, self.g
        lo, hi = {"strategic": (3, 7), "key": (1, 5), "standard": (0, 3)}[self.tier]
        n = ri(rng, 0, 1) if self.prospect else ri(rng, lo, hi)
        for _k in range(n):
            serial = g.feedback_n
            g.feedback_n += 1
            if serial < 25:  # the first ones cover every kind in every status
                kind, status = FEEDBACK_KINDS[serial % 5], FEEDBACK_STATUSES[(serial // 5 + serial) % 5]
            else:
                kind = wc(rng, FEEDBACK_KINDS, (35, 10, 20, 15, 20))
                status = None
            if self.prospect and serial >= 25:
                kind = "inquiry"
            self.one_feedback(kind, status)

    def one_feedback(self, kind: str, status: str | None) -> None:
        rng, g = self.rng, self.g
        end = self.end
        if status in OPEN_STATUSES:  # still open: a recent one
            received_day = self.day_between(max(self.start, end - dt.timedelta(days=21)), end - dt.timedelta(days=1))
        else:
            received_day = self.day_between(max(self.start, self.year_ago), end - dt.timedelta(days=1))
        received = at(received_day, ri(rng, 8, 18), rr(rng, 60))
        age_days = (self.ref - received_day).days
        if status is None:
            if age_days < 7:
                status = ch(rng, ("received", "investigating"))
            elif age_days < 30:
                status = ch(rng, ("investigating", "resolved", "answered"))
            elif age_days < 90:
                status = wc(rng, FEEDBACK_STATUSES, (3, 7, 10, 30, 50))
            else:  # older feedback has been answered by now
                status = wc(rng, FEEDBACK_STATUSES, (0, 0, 0, 40, 60))
        severity = wc(rng, ("low", "medium", "high", "critical"), (30, 45, 20, 5))
        if kind in ("praise", "suggestion", "inquiry"):
            severity = "low" if kind != "inquiry" else ch(rng, ("low", "medium"))
        subject, description = ch(rng, T.FEEDBACK[kind])
        people = self.present(received_day)
        contact = ch(rng, people)
        owner = self.owner_on(received_day)
        involved: list[str] = []
        if kind in ("complaint", "appeal", "praise"):
            pool = [m.id for m in self.team] + [owner]
            involved = pick(rng, pool, min(len(pool), ri(rng, 1, 2)))
        # the handler never handles a complaint about themself (recusal)
        candidates = [owner, self.backup.id, g.supervisor.id]
        handler = next(u for u in candidates if u not in involved)
        due_at = default_due(kind, severity, received)  # complaints and appeals: by severity
        open_ = status in OPEN_STATUSES
        values: dict[str, Any] = {
            "kind": kind,
            "channel": ch(rng, ("phone", "written", "onsite", "email", "wechat")),
            "received_at": received,
            "severity": severity,
            "subject": subject,
            "description": self.fill(description),
            "contact_id": contact.id,
            "involved_user_ids": involved,
            "handler_id": None if status == "received" and rng.random() < 0.3 else handler,
            "due_at": due_at,
            "paused_since": None,
            "paused_seconds": 0,
            "escalation_level": 0,
            "escalated_at": None,
            "status": status,
            "resolution": None,
            "answer": None,
            "answered_at": None,
            "closed_at": None,
        }
        anchor = g.anchor
        if due_at is not None:
            if status == "investigating" and rng.random() < 0.25:
                # waiting for the client: the deadline clock stands still
                values["paused_since"] = min(received + dt.timedelta(hours=ri(rng, 2, 20)), anchor - dt.timedelta(hours=1))
            elif rng.random() < 0.2:
                values["paused_seconds"] = 3600 * ri(rng, 2, 30)
        if status in ("answered", "closed"):
            span = (due_at - received).total_seconds() / 3600 if due_at else 48
            answered = received + dt.timedelta(hours=ri(rng, 4, int(span * 1.3)))
            values["answered_at"] = min(answered, anchor - dt.timedelta(hours=1))
        # escalation as the feedback service would have raised it (levels only go up)
        when = anchor if open_ else values["answered_at"]
        level = feedback_escalation_level({**values, "status": "received"}, when) if due_at is not None else 0
        if level:
            eff = effective_due(values, when)
            first, second = ESCALATION_LEAD_HOURS[severity]
            lead = {1: first, 2: second, LEVEL_OVERDUE: 0}[level]
            values["escalation_level"] = level
            values["escalated_at"] = max(received, min(eff - dt.timedelta(hours=lead), when))
        if status in ("resolved", "answered", "closed"):
            values["resolution"] = ch(rng, T.RESOLUTIONS) if kind in ("complaint", "appeal") else "已记录并转相关部门。"
        if status in ("answered", "closed"):
            values["answer"] = self.fill(ch(rng, T.ANSWERS), contact=contact.name)
            if status == "closed":
                values["closed_at"] = min(values["answered_at"] + dt.timedelta(days=ri(rng, 1, 10)), anchor - dt.timedelta(minutes=30))
        self.add(Feedback, values, created=received)

    # -- risk flags ----------------------------------------------------------------------------
    def risks(self) -> None:
        rng = self.rng
        kinds: list[str] = []
        if self.status == "at_risk":
            kinds = pick(rng, ["churn_risk", "payment_overdue", "dominant_client", "extreme_deadlines"], ri(rng, 1, 2))
        elif rng.random() < 0.08:
            kinds = [ch(rng, ("extreme_deadlines", "dominant_client", "payment_overdue", "dishonest_debtor", "other"))]
        if self.litigation:
            kinds.append("litigation_use")
        for kind in kinds:
            day = self.day_between(max(self.start, self.ref - dt.timedelta(days=500)), self.end - dt.timedelta(days=1))
            raised = at(day, 16)
            cleared = None
            if self.status != "at_risk" and kind in ("payment_overdue", "other") and rng.random() < 0.5:
                cleared = min(raised + dt.timedelta(days=ri(rng, 10, 90)), self.g.anchor - dt.timedelta(hours=2))
            self.add(RiskFlag, {"kind": kind, "severity": ch(rng, ("medium", "high")) if kind != "dishonest_debtor" else "critical",
                                "note": self.fill(T.RISK_NOTES[kind]), "raised_by": self.owner_on(day),
                                "raised_at": raised, "cleared_at": cleared}, created=raised)

    # -- equipment -------------------------------------------------------------------------------
    def equipment(self) -> None:
        rng, ind = self.rng, self.industry
        if self.prospect:
            return
        lo, hi = {"strategic": (5, 8), "key": (3, 7), "standard": (1, 5)}[self.tier]
        lab = ind.focus == "lab"
        locations = (("计量室", "质检中心实验室", "一号厂房", "二号车间", "来料检验区") if lab else ("A 区机房", "B 区机房", "数据中心", "灾备机房"))
        for _k in range(ri(rng, lo, hi)):
            name, prefix, category = ch(rng, ind.equipment)
            it_gear = category in ("服务器", "存储", "网络", "安全", "机房动力", "终端")
            status = wc(rng, ("in_service", "out_of_service", "retired"), (88, 6, 6))
            cal_interval = None if it_gear else ch(rng, (12, 12, 12, 6, 24))
            service_interval = ch(rng, (6, 12)) if (it_gear or rng.random() < 0.4) else None
            last_cal = self.ref - dt.timedelta(days=ri(rng, 5, int(30.5 * cal_interval * 1.25))) if cal_interval else None
            last_service = self.ref - dt.timedelta(days=ri(rng, 5, int(30.5 * service_interval * 1.2))) if service_interval else None
            self.add(Equipment, {
                "name": name,
                "model": f"{prefix}-{ri(rng, 100, 9900)}{ch(rng, ('', 'A', 'B', 'E', 'Pro', 'X'))}",
                "serial": f"{ri(rng, 2012, self.ref.year - 1)}{prefix}{rr(rng, 10**6):06d}",
                "category": category,
                "location": ch(rng, locations),
                "last_serviced_on": last_service,
                "service_interval_months": service_interval,
                "last_calibrated_on": last_cal,
                "calibration_interval_months": cal_interval,
                "status": status,
                "notes": None if rng.random() < 0.8 else "客户自有设备，送检需提前一周预约。",
            }, created=self.start)

    # -- improvement plans ------------------------------------------------------------------------
    def improvement(self) -> None:
        rng = self.rng
        if self.prospect or self.status == "lost":
            return
        years = [self.ref.year]
        if self.tier != "standard" and self.since and self.since.year < self.ref.year - 1:
            years.insert(0, self.ref.year - 1)
        for year in years:
            made = max(dt.date(year, 1, ri(rng, 5, 25)), self.start)
            plan_id = self.add(ImprovementPlan, {"year": year, "title": f"{year}年度服务改进计划",
                                                 "notes": "依据满意度调查与投诉分析制定。"}, created=made)
            for action in pick(rng, T.IMPROVEMENT_ACTIONS, ri(rng, 2, 5)):
                due = dt.date(year, ri(rng, 2, 12), ri(rng, 1, 28))
                if due < self.ref - dt.timedelta(days=90):  # long past: settled one way or the other
                    status = wc(rng, ("done", "cancelled"), (90, 10))
                elif due < self.ref:  # recently due: some still open, so the agenda shows a few
                    status = wc(rng, ("done", "open", "in_progress", "cancelled"), (65, 15, 15, 5))
                else:
                    status = ch(rng, ("open", "in_progress"))
                owner = ch(rng, self.team).id if self.team and rng.random() < 0.5 else self.owner.id
                self.add(ImprovementItem, {"plan_id": plan_id, "action": action, "owner_id": owner, "due_on": due,
                                           "status": status,
                                           "result": ch(rng, T.IMPROVEMENT_RESULTS) if status == "done" else None},
                         created=made)

    # -- interactions and opportunities -------------------------------------------------------------
    def interactions(self) -> None:
        rng = self.rng
        lo, hi = {"strategic": (10, 15), "key": (6, 10), "standard": (2, 6)}[self.tier]
        n = ri(rng, 2, 4) if self.prospect else ri(rng, lo, hi)
        for _k in range(n):
            day = self.day_between(max(self.start, self.year_ago), self.end - dt.timedelta(days=1))
            kind = wc(rng, ("call", "email", "meeting", "wechat", "other"), (35, 25, 15, 20, 5))
            present = self.present(day)
            contacts = pick(rng, present, min(len(present), 1 if kind != "meeting" else 2))
            when = at(day, ri(rng, 8, 19), rr(rng, 60))
            self.add(Interaction, {"contact_ids": [p.id for p in contacts], "kind": kind,
                                   "formal": kind in ("meeting", "email") and rng.random() < 0.6, "at": when,
                                   "summary": self.fill(ch(rng, T.INTERACTIONS[kind]), contact=contacts[0].name)},
                     created=when)

    def opportunities(self) -> None:
        rng = self.rng
        if self.status == "lost":
            return
        n = ri(rng, 1, 2) if self.prospect else {"strategic": ri(rng, 1, 3), "key": ri(rng, 0, 2), "standard": int(rng.random() < 0.3)}[self.tier]
        scale = {"strategic": 800_000, "key": 300_000, "standard": 80_000}[self.tier]
        for title, notes in pick(rng, T.OPPORTUNITIES, n):
            stage = wc(rng, ("identified", "qualified", "proposal", "negotiation", "won", "lost"), (30, 25, 20, 10, 10, 5))
            day = self.day_between(max(self.start, self.year_ago), self.end - dt.timedelta(days=1))
            expected = day + dt.timedelta(days=ri(rng, 30, 240))
            self.add(Opportunity, {"title": self.fill(title), "estimated_value": int(round(scale * rng.uniform(0.1, 1.5), -3)),
                                   "stage": stage, "expected_on": expected, "notes": self.fill(notes)},
                     created=day)


# -- the service ----------------------------------------------------------------------------------
def _existing_rows(session, current_user_id: str | None) -> int:
    total = 0
    for model in SYNCABLE:
        stmt = select(func.count()).select_from(model)
        if model is User and current_user_id:
            stmt = stmt.where(User.id != current_user_id)
        total += session.scalar(stmt) or 0
    return total


def generate_demo(
    ctx: AppContext,
    *,
    clients: int = 200,
    seed: int = 1,
    reference: dt.date | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    timings: Counter[str] | None = None,
) -> DemoSummary:
    """Fill the empty profile of ``ctx`` with demo data; see the module documentation.

    ``reference`` is the demo's "today" (default: today): history lies before it, planned visits
    after it. Identical output for a seed needs the same reference date.
    ``progress(fraction, message)`` is called as the work goes on; ``cancel()`` returning true
    stops it with :class:`DemoCancelled`, and then nothing is written (one transaction). Raises
    :class:`ValidationError` for a bad ``clients`` and :class:`DemoProfileNotEmpty` when the
    profile already holds data (then nothing is written either). ``timings``, when given, receives
    the CPU seconds spent writing each table (for benchmarks).
    """
    if isinstance(clients, bool) or not isinstance(clients, int) or not 1 <= clients <= MAX_CLIENTS:
        raise ValidationError("clients", _("Enter a number of clients from 1 to {max}.").format(max=MAX_CLIENTS))
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValidationError("seed", _("Enter a whole number."))
    reference = reference or ctx.today()
    report = progress or (lambda _f, _m: None)
    started = time.perf_counter()
    report(0.0, _("Preparing the demo profile…"))
    with ctx.store.write() as session:
        current = get_meta(session, META_CURRENT_USER)
        existing = _existing_rows(session, current)
        if existing:
            raise DemoProfileNotEmpty(
                _("Demo data only goes into an empty profile, and this one already holds {count} records. "
                  "Open a new, empty profile for the demo.").format(count=existing)
            )
        taken = set(session.scalars(select(User.username)).all())
        bulk = BulkWriter(
            session,
            user_id=None,
            hlc_start=ctx.clock.now(),
            entry_created_at=ctx.now(),
            id_rng=random.Random(f"accountdesk-demo:{seed}:ids"),
            id_base=at(reference, 0),
        )
        bulk.timings = timings
        gen = _Generator(bulk, seed=seed, clients=clients, reference=reference, taken_usernames=taken)
        gen.staff()
        gen.catalogue()
        bulk.flush()
        report(0.03, _("Created the staff and the service catalogue."))
        step = max(1, clients // 50)  # about fifty progress reports
        for index in range(clients):
            if cancel is not None and index % 50 == 0 and cancel():
                raise DemoCancelled(_("The demo was cancelled; nothing was written."))
            gen.client(index)
            done = index + 1
            if done % CHUNK == 0 or done == clients:
                bulk.flush()
            if done % step == 0 or done == clients:
                report(0.03 + 0.95 * done / clients,
                       _("Created {done} of {total} clients…").format(done=done, total=clients))
        supervisor_id = gen.supervisor.id
        set_meta(session, META_CURRENT_USER, supervisor_id)
        set_meta(session, META_DEMO, True)
        ctx.clock.observe(bulk.last_hlc)
        report(0.99, _("Saving…"))
    ctx.set_actor(supervisor_id)
    report(1.0, _("Demo data is ready."))
    seconds = time.perf_counter() - started
    counts = dict(bulk.counts)
    rows = sum(counts.values())
    sup = gen.supervisor
    return DemoSummary(
        clients=clients,
        rows=rows,
        outbox_entries=bulk.entries_written,
        counts=counts,
        seed=seed,
        reference_date=reference,
        seconds=seconds,
        current_user_id=sup.id,
        current_user=sup.username,
        current_user_name=sup.name,
        users=counts.get("user", 0),
    )
