"""One demo client: its company, contacts and org chart, ownership history and services
(the records of its year are in :mod:`.records`)."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import TYPE_CHECKING, Any

from ...models import (
    Client,
    ClientService,
    ClientTeamMember,
    Contact,
    Handover,
    OwnershipChange,
    ServiceDelivery,
    SyncMixin,
)
from . import data as D
from . import text as T
from .common import (
    _OFFERINGS_BY_CODE,
    MOBILE_PREFIXES,
    _fields_of,
    _Person,
    _pick_city,
    _pick_industry,
    _Staff,
    at,
    ch,
    credit_code,
    pick,
    ri,
    rr,
    wc,
    weekday,
    weekday_after,
)
from .records import _ClientRecords

if TYPE_CHECKING:
    from .generator import _Generator


class _ClientBuild(_ClientRecords):
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
        if self.previous_owner is not None and self.handover_day is not None and day < self.handover_day:
            return self.previous_owner.id
        return self.owner.id

    def add(
        self,
        model: type[SyncMixin],
        values: dict[str, Any],
        created: dt.datetime | dt.date,
        row_id: str | None = None,
    ) -> str:
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
            status = (
                "prospect"
                if u < 0.06
                else "active"
                if u < 0.80
                else "at_risk"
                if u < 0.89
                else "dormant"
                if u < 0.94
                else "lost"
            )
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
        lo, hi = {
            "strategic": (2_000_000, 18_000_000),
            "key": (450_000, 2_600_000),
            "standard": (20_000, 480_000),
        }[tier]
        fees = None if self.prospect else int(round(math.exp(rng.uniform(math.log(lo), math.log(hi))), -3))
        emp_lo, emp_hi = self.industry.employees
        employees = int(round(math.exp(rng.uniform(math.log(emp_lo), math.log(emp_hi))), -1))
        if tier == "strategic":
            employees = max(employees, emp_hi // 2)
        freq = (
            ri(rng, 12, 60)
            if self.industry.focus == "it"
            else {"strategic": ri(rng, 120, 360), "key": ri(rng, 36, 150), "standard": ri(rng, 4, 40)}[tier]
        )
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
        place = (
            self.city.city if self.city.province == self.city.city else self.city.province + self.city.city
        )
        self.address = f"{place}{district}{ch(rng, D.ROADS)}{ri(rng, 1, 999)}号"
        self.id = g.bulk.new_id()
        usage = ch(
            rng, D.REPORT_USAGE[self.industry.focus] + D.REPORT_USAGE_BY_INDUSTRY.get(self.industry.key, ())
        )
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
            self.add(
                ClientTeamMember,
                {"user_id": member.id, "role": ch(rng, D.TEAM_ROLES_FIELD)},
                created=self.start,
            )

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
                    "birthday": (
                        dt.date(ri(rng, 1965, 1998), ri(rng, 1, 12), ri(rng, 1, 28))
                        if rng.random() < 0.3
                        else None
                    ),
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
        self.add(
            OwnershipChange,
            {
                "kind": "owner",
                "from_user_id": None,
                "to_user_id": first_owner.id,
                "by_user_id": sup,
                "at": at(self.start, 10),
                "reason": "建立合作，指定客户主管",
                "handover_id": None,
            },
            created=self.start,
        )
        self.add(
            OwnershipChange,
            {
                "kind": "backup",
                "from_user_id": None,
                "to_user_id": self.backup.id,
                "by_user_id": sup,
                "at": at(self.start, 10, 30),
                "reason": "指定备份主管（B角）",
                "handover_id": None,
            },
            created=self.start,
        )
        if self.previous_owner is None or self.handover_day is None:  # set together, or neither
            return
        when = at(self.handover_day, 15)
        left = not self.previous_owner.active
        reason = "原客户主管离职，工作交接" if left else ch(rng, ("区域调整，客户划转", "客户主管岗位调整"))
        handover_id = None
        if left:
            checklist = [
                {"key": k, "label": label, "done": True, "detail": None} for k, label in T.HANDOVER_CHECKLIST
            ]
            handover_id = self.add(
                Handover,
                {
                    "from_user_id": self.previous_owner.id,
                    "to_user_id": self.owner.id,
                    "by_user_id": sup,
                    "at": when,
                    "reason": reason,
                    "checklist": checklist,
                    "notes": "已陪同新主管拜访关键联系人。",
                    "status": "completed",
                },
                created=when,
            )
        self.add(
            OwnershipChange,
            {
                "kind": "owner",
                "from_user_id": self.previous_owner.id,
                "to_user_id": self.owner.id,
                "by_user_id": sup,
                "at": when,
                "reason": reason,
                "handover_id": handover_id,
            },
            created=when,
        )

    # -- services and deliveries ------------------------------------------------------------
    def services(self) -> None:
        self.active_services: list[tuple[str, str]] = []  # (client service id, code)
        if self.prospect:
            return
        rng, focus = self.rng, self.industry.focus
        if focus == "lab":
            std = [
                ("CAL-STD", 0.9),
                ("TST-STD", 0.6),
                ("CAL-ONSITE", 0.3),
                ("TST-ENV", 0.2),
                ("EQP-MAINT", 0.15),
            ]
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
            csid = self.add(
                ClientService,
                {
                    "offering_id": self.g.offerings[code],
                    "status": status,
                    "start_date": start if status != "proposed" else None,
                    "end_date": end,
                    "value_estimate": int(round(vlo + (vhi - vlo) * scale * rng.random(), -3)),
                    "notes": None if rng.random() < 0.7 else "按年度框架合同执行。",
                },
                created=start,
            )
            self.service_names.append(offering.name)
            if status == "proposed":
                continue
            self.active_services.append((csid, code))
            once = code in ("VAS-TRAIN", "VAS-ANNUAL", "VAS-DR", "VAS-PT")
            n = (
                1
                if once
                else {"strategic": ri(rng, 6, 10), "key": ri(rng, 3, 6), "standard": ri(rng, 1, 3)}[self.tier]
            )
            window_start = max(start, self.year_ago)
            for _k in range(n):
                day = self.day_between(window_start, self.end - dt.timedelta(days=1))
                by = ch(rng, self.team).id if self.team else self.owner_on(day)
                self.add(
                    ServiceDelivery,
                    {
                        "client_service_id": csid,
                        "delivered_at": self.work_time(day),
                        "delivered_by": by,
                        "notes": self.fill(T.DELIVERY_NOTES[code]),
                    },
                    created=at(day, 18),
                )

    # -- visit plans, visits with reports, surveys ------------------------------------------
