"""One demo client's year of records: visits and their reports, surveys, SLA commitments and
notes, feedback, risks, equipment, improvement plans, interactions and opportunities."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from ...domain.dates import add_months
from ...domain.feedback import (
    ESCALATION_LEAD_HOURS,
    LEVEL_OVERDUE,
    OPEN_STATUSES,
    default_due,
    effective_due,
    feedback_escalation_level,
)
from ...models import (
    Equipment,
    Feedback,
    ImprovementItem,
    ImprovementPlan,
    Interaction,
    Opportunity,
    RiskFlag,
    ServiceCommitment,
    ServiceNote,
    Survey,
    SyncMixin,
    Visit,
    VisitPlan,
)
from ..standards import new_client_plans
from . import text as T
from .common import (
    FEEDBACK_KINDS,
    FEEDBACK_STATUSES,
    _Person,
    _Staff,
    at,
    ch,
    pick,
    ri,
    rr,
    wc,
    weekday,
    weekday_after,
)
from .data import Industry

if TYPE_CHECKING:
    from .generator import _Generator


class _ClientRecords:
    """The record-making half of :class:`.client._ClientBuild` (a mixin: it uses that class's
    state, random stream and helpers)."""

    # the state of _ClientBuild used here (set by its __init__ and build)
    g: _Generator
    rng: random.Random
    ref: dt.date
    year_ago: dt.date
    start: dt.date  # the first contact
    end: dt.date  # the history runs until here
    since: dt.date | None  # client since (None: a prospect)
    renewal: dt.date | None
    tier: str
    status: str
    prospect: bool
    litigation: bool
    industry: Industry
    owner: _Staff
    backup: _Staff
    team: list[_Staff]
    people: list[_Person]
    address: str

    if TYPE_CHECKING:  # the helpers of _ClientBuild used here

        def fill(self, text: str, **extra: Any) -> str: ...

        def add(
            self,
            model: type[SyncMixin],
            values: dict[str, Any],
            created: dt.datetime | dt.date,
            row_id: str | None = None,
        ) -> str: ...

        def day_between(self, start: dt.date, end: dt.date) -> dt.date: ...

        def work_time(self, day: dt.date) -> dt.datetime: ...

        def present(self, day: dt.date) -> list[_Person]: ...

        def owner_on(self, day: dt.date) -> str: ...

    def visits_and_surveys(self) -> None:
        rng = self.rng
        # the client's plans are its tier's service standard, as any new client gets them
        # (services.standards.new_client_plans); its visits so far follow them
        active = self.status != "lost"
        self.survey_visits: list[tuple[dt.date, str | None]] = []
        for plan in new_client_plans(
            self.g.bulk.session, self.tier, self.owner.id, standards=self.g.standards
        ):
            plan["active"] = active
            plan["starts_on"] = self.since or self.start
            kind, months = plan["kind"], plan["every_months"]
            self.add(VisitPlan, plan, created=self.start)
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
        lapse = self.status != "lost" and rng.random() < (
            0.3 if self.status in ("at_risk", "dormant") else 0.12
        )
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
            opening = self.fill(
                ch(rng, T.OUTCOME_OPEN[channel]), contact=lead.name, title=lead.title, n=len(attendees) + 1
            )
            body = "".join(self.fill(s) for s in pick(rng, T.OUTCOME_BODY, ri(rng, 1, 2)))
            values["outcome"] = opening + body
            values["client_requests"] = "".join(
                self.fill(s) for s in pick(rng, T.CLIENT_REQUESTS, ri(rng, 1, 2))
            )
            values["follow_ups"] = (
                "；".join(self.fill(s).rstrip("。") for s in pick(rng, T.FOLLOW_UPS, ri(rng, 1, 2))) + "。"
            )
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
        base = {"strategic": 4.2, "key": 4.0, "standard": 3.8}[self.tier] - (
            0.6 if self.status in ("at_risk", "dormant") else 0
        )
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
            self.add(
                Survey,
                {
                    "conducted_on": day,
                    "respondent": person.name,
                    "respondent_contact_id": person.id,
                    "score_service_quality": scores[0],
                    "score_responsiveness": scores[1],
                    "score_professionalism": scores[2],
                    "score_relationship": scores[3],
                    "score_overall": overall,
                    "comments": ch(rng, T.SURVEY_COMMENTS[trend]),
                },
                created=at(day, 17),
            )

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
            self.add(
                ServiceCommitment,
                {
                    "title": title,
                    "metric": metric,
                    "target": target,
                    "coverage": coverage,
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                    "notes": None if rng.random() < 0.6 else "写入年度服务合同附件。",
                },
                created=valid_from,
            )
        n_notes = {"strategic": ri(rng, 2, 3), "key": ri(rng, 1, 3), "standard": ri(rng, 0, 2)}[self.tier]
        for category, text, confidential in pick(rng, T.SERVICE_NOTES, n_notes):
            self.add(
                ServiceNote,
                {"category": category, "text": self.fill(text), "confidential": confidential},
                created=self.day_between(self.start, self.ref - dt.timedelta(days=1)),
            )

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
            received_day = self.day_between(
                max(self.start, end - dt.timedelta(days=21)), end - dt.timedelta(days=1)
            )
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
                values["paused_since"] = min(
                    received + dt.timedelta(hours=ri(rng, 2, 20)), anchor - dt.timedelta(hours=1)
                )
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
            assert eff is not None  # a level needs a deadline
            first, second = ESCALATION_LEAD_HOURS[severity]
            lead = {1: first, 2: second, LEVEL_OVERDUE: 0}[level]
            values["escalation_level"] = level
            values["escalated_at"] = max(received, min(eff - dt.timedelta(hours=lead), when))
        if status in ("resolved", "answered", "closed"):
            values["resolution"] = (
                ch(rng, T.RESOLUTIONS) if kind in ("complaint", "appeal") else "已记录并转相关部门。"
            )
        if status in ("answered", "closed"):
            values["answer"] = self.fill(ch(rng, T.ANSWERS), contact=contact.name)
            if status == "closed":
                values["closed_at"] = min(
                    values["answered_at"] + dt.timedelta(days=ri(rng, 1, 10)),
                    anchor - dt.timedelta(minutes=30),
                )
        self.add(Feedback, values, created=received)

    # -- risk flags ----------------------------------------------------------------------------
    def risks(self) -> None:
        rng = self.rng
        kinds: list[str] = []
        if self.status == "at_risk":
            kinds = pick(
                rng, ["churn_risk", "payment_overdue", "dominant_client", "extreme_deadlines"], ri(rng, 1, 2)
            )
        elif rng.random() < 0.08:
            kinds = [
                ch(
                    rng,
                    ("extreme_deadlines", "dominant_client", "payment_overdue", "dishonest_debtor", "other"),
                )
            ]
        if self.litigation:
            kinds.append("litigation_use")
        for kind in kinds:
            day = self.day_between(
                max(self.start, self.ref - dt.timedelta(days=500)), self.end - dt.timedelta(days=1)
            )
            raised = at(day, 16)
            cleared = None
            if self.status != "at_risk" and kind in ("payment_overdue", "other") and rng.random() < 0.5:
                cleared = min(
                    raised + dt.timedelta(days=ri(rng, 10, 90)), self.g.anchor - dt.timedelta(hours=2)
                )
            self.add(
                RiskFlag,
                {
                    "kind": kind,
                    "severity": ch(rng, ("medium", "high")) if kind != "dishonest_debtor" else "critical",
                    "note": self.fill(T.RISK_NOTES[kind]),
                    "raised_by": self.owner_on(day),
                    "raised_at": raised,
                    "cleared_at": cleared,
                },
                created=raised,
            )

    # -- equipment -------------------------------------------------------------------------------
    def equipment(self) -> None:
        rng, ind = self.rng, self.industry
        if self.prospect:
            return
        lo, hi = {"strategic": (5, 8), "key": (3, 7), "standard": (1, 5)}[self.tier]
        lab = ind.focus == "lab"
        locations = (
            ("计量室", "质检中心实验室", "一号厂房", "二号车间", "来料检验区")
            if lab
            else ("A 区机房", "B 区机房", "数据中心", "灾备机房")
        )
        for _k in range(ri(rng, lo, hi)):
            name, prefix, category = ch(rng, ind.equipment)
            it_gear = category in ("服务器", "存储", "网络", "安全", "机房动力", "终端")
            status = wc(rng, ("in_service", "out_of_service", "retired"), (88, 6, 6))
            cal_interval = None if it_gear else ch(rng, (12, 12, 12, 6, 24))
            service_interval = ch(rng, (6, 12)) if (it_gear or rng.random() < 0.4) else None
            last_cal = (
                self.ref - dt.timedelta(days=ri(rng, 5, int(30.5 * cal_interval * 1.25)))
                if cal_interval
                else None
            )
            last_service = (
                self.ref - dt.timedelta(days=ri(rng, 5, int(30.5 * service_interval * 1.2)))
                if service_interval
                else None
            )
            self.add(
                Equipment,
                {
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
                },
                created=self.start,
            )

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
            plan_id = self.add(
                ImprovementPlan,
                {"year": year, "title": f"{year}年度服务改进计划", "notes": "依据满意度调查与投诉分析制定。"},
                created=made,
            )
            for action in pick(rng, T.IMPROVEMENT_ACTIONS, ri(rng, 2, 5)):
                due = dt.date(year, ri(rng, 2, 12), ri(rng, 1, 28))
                if due < self.ref - dt.timedelta(days=90):  # long past: settled one way or the other
                    status = wc(rng, ("done", "cancelled"), (90, 10))
                elif due < self.ref:  # recently due: some still open, so the agenda shows a few
                    status = wc(rng, ("done", "open", "in_progress", "cancelled"), (65, 15, 15, 5))
                else:
                    status = ch(rng, ("open", "in_progress"))
                owner = ch(rng, self.team).id if self.team and rng.random() < 0.5 else self.owner.id
                self.add(
                    ImprovementItem,
                    {
                        "plan_id": plan_id,
                        "action": action,
                        "owner_id": owner,
                        "due_on": due,
                        "status": status,
                        "result": ch(rng, T.IMPROVEMENT_RESULTS) if status == "done" else None,
                    },
                    created=made,
                )

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
            self.add(
                Interaction,
                {
                    "contact_ids": [p.id for p in contacts],
                    "kind": kind,
                    "formal": kind in ("meeting", "email") and rng.random() < 0.6,
                    "at": when,
                    "summary": self.fill(ch(rng, T.INTERACTIONS[kind]), contact=contacts[0].name),
                },
                created=when,
            )

    def opportunities(self) -> None:
        rng = self.rng
        if self.status == "lost":
            return
        n = (
            ri(rng, 1, 2)
            if self.prospect
            else {"strategic": ri(rng, 1, 3), "key": ri(rng, 0, 2), "standard": int(rng.random() < 0.3)}[
                self.tier
            ]
        )
        scale = {"strategic": 800_000, "key": 300_000, "standard": 80_000}[self.tier]
        for title, notes in pick(rng, T.OPPORTUNITIES, n):
            stage = wc(
                rng,
                ("identified", "qualified", "proposal", "negotiation", "won", "lost"),
                (30, 25, 20, 10, 10, 5),
            )
            day = self.day_between(max(self.start, self.year_ago), self.end - dt.timedelta(days=1))
            expected = day + dt.timedelta(days=ri(rng, 30, 240))
            self.add(
                Opportunity,
                {
                    "title": self.fill(title),
                    "estimated_value": int(round(scale * rng.uniform(0.1, 1.5), -3)),
                    "stage": stage,
                    "expected_on": expected,
                    "notes": self.fill(notes),
                },
                created=day,
            )
