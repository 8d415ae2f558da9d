"""The read side of the printed reports: frozen DTOs for the dossier, handover and portfolio PDFs.

The reports (``accountdesk.reports``) never see a session: they take what this module returns.
Every query lives here; each loader reads a batch of clients with a few ``IN (...)`` queries
(one per table), so that 200 dossiers cost about as many queries as one.

Confidential values (annual fees, opportunity values, client-service value estimates and
confidential service notes) are left out here — set to ``None`` or dropped — for an actor who
may not see them, so that no report can print them by accident.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.dates import add_months
from ..errors import NotFoundError, ValidationError
from ..i18n import _
from ..models import (
    SCORE_FIELDS,
    Attachment,
    Client,
    ClientService,
    ClientTeamMember,
    Contact,
    Equipment,
    Feedback,
    Handover,
    ImprovementItem,
    ImprovementPlan,
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
from .attachments import AttachmentInfo, attachment_infos, visit_photo_bytes
from .context import AppContext
from .feedback import OPEN_STATUSES, effective_due, is_overdue
from .health import POOR, health_in, level_label
from .scheduling import plan_statuses_in
from .scope import scope_condition

#: Improvement items in these states are no longer open.
DONE_ITEMS = frozenset({"done", "cancelled"})
_CHUNK = 500


# -- small helpers -------------------------------------------------------------------------------
def _local_date(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone().date() if value is not None else None


def _chunks(ids: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _rows(session: Session, model, client_ids: Sequence[str], *order) -> dict[str, list[Any]]:
    """Live rows of ``model`` for these clients, grouped by client id."""
    out: dict[str, list[Any]] = defaultdict(list)
    for part in _chunks(client_ids):
        stmt = select(model).where(model.client_id.in_(part), model.deleted_at.is_(None))
        if order:
            stmt = stmt.order_by(*order)
        for row in session.scalars(stmt):
            out[row.client_id].append(row)
    return out


def _user_names(session: Session) -> dict[str, str]:
    return {u.id: u.display_name for u in session.scalars(select(User))}


# -- DTOs ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamMemberInfo:
    name: str
    role: str | None


@dataclass(frozen=True)
class ClientProfile:
    id: str
    name: str
    short_name: str | None
    uscc: str | None
    industry: str | None
    tier: str
    status: str
    province: str | None
    city: str | None
    address: str | None
    employees: int | None
    annual_fees: int | None  # None when hidden (confidential) or unknown
    service_frequency: int | None
    report_usage: str | None
    deadline_demands: str | None
    owner_name: str
    backup_owner_name: str
    team: tuple[TeamMemberInfo, ...]
    relationship_since: dt.date | None
    contract_renewal_date: dt.date | None
    tags: tuple[str, ...]
    description: str | None


@dataclass(frozen=True)
class ContactInfo:
    id: str
    name: str
    title: str | None
    department: str | None
    buying_role: str | None
    relationship_role: str | None
    influence: int | None
    attitude: str | None
    relationship_strength: int | None
    reports_to_id: str | None
    mobile: str | None
    phone: str | None
    email: str | None
    wechat: str | None
    preferred_channel: str | None
    is_primary: bool
    left_company_on: dt.date | None
    notes: str | None

    @property
    def has_left(self) -> bool:
        return self.left_company_on is not None


@dataclass(frozen=True)
class VisitPlanInfo:
    kind: str
    title: str | None
    every_months: int
    owner_name: str
    last_done: dt.date | None
    next_due: dt.date
    overdue: bool


@dataclass(frozen=True)
class VisitInfo:
    kind: str
    channel: str
    planned_start: dt.datetime
    status: str
    owner_name: str
    location: str | None
    purpose: str | None
    attendees: tuple[str, ...]
    outcome: str | None
    client_requests: str | None
    follow_ups: str | None
    next_steps: str | None
    #: with ``visit_photos``: the visit's photos scaled for printing (JPEG bytes)
    photos: tuple[bytes, ...] = ()

    @property
    def has_report(self) -> bool:
        return any((self.outcome, self.client_requests, self.follow_ups, self.next_steps))


@dataclass(frozen=True)
class CommitmentInfo:
    title: str
    metric: str | None
    target: float | None
    coverage: str | None
    valid_from: dt.date | None
    valid_to: dt.date | None
    notes: str | None


@dataclass(frozen=True)
class ServiceInfo:
    name: str
    code: str
    category: str
    status: str
    start_date: dt.date | None
    end_date: dt.date | None
    value_estimate: int | None  # confidential
    deliveries: int
    last_delivered: dt.date | None


@dataclass(frozen=True)
class NoteInfo:
    category: str | None
    text: str
    confidential: bool


@dataclass(frozen=True)
class FeedbackInfo:
    kind: str
    channel: str | None
    received_at: dt.datetime
    severity: str
    subject: str
    description: str | None
    handler_name: str
    due_at: dt.datetime | None
    status: str
    resolution: str | None
    answer: str | None
    answered_at: dt.datetime | None
    overdue: bool
    answered_on_time: bool | None  # None while unanswered or without a deadline

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class SurveyInfo:
    conducted_on: dt.date
    respondent: str | None
    scores: tuple[int | None, ...]  # in the order of models.SCORE_FIELDS
    comments: str | None

    @property
    def overall(self) -> float | None:
        if self.scores[-1] is not None:
            return float(self.scores[-1])
        given = [s for s in self.scores if s is not None]
        return sum(given) / len(given) if given else None


@dataclass(frozen=True)
class ImprovementItemInfo:
    year: int
    action: str
    owner_name: str
    due_on: dt.date | None
    status: str
    result: str | None

    @property
    def is_open(self) -> bool:
        return self.status not in DONE_ITEMS


@dataclass(frozen=True)
class RiskInfo:
    kind: str
    severity: str
    note: str | None
    raised_by_name: str
    raised_at: dt.datetime
    cleared_at: dt.datetime | None


@dataclass(frozen=True)
class EquipmentInfo:
    name: str
    model: str | None
    serial: str | None
    category: str | None
    location: str | None
    status: str
    last_serviced_on: dt.date | None
    next_service_due: dt.date | None
    last_calibrated_on: dt.date | None
    next_calibration_due: dt.date | None

    @property
    def next_due(self) -> dt.date | None:
        dates = [d for d in (self.next_service_due, self.next_calibration_due) if d is not None]
        return min(dates) if dates else None


@dataclass(frozen=True)
class OpportunityInfo:
    title: str
    estimated_value: int | None  # confidential
    stage: str
    expected_on: dt.date | None
    notes: str | None


@dataclass(frozen=True)
class OwnershipInfo:
    kind: str
    from_name: str
    to_name: str
    by_name: str
    at: dt.datetime
    reason: str | None


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str | None


@dataclass(frozen=True)
class HandoverInfo:
    id: str
    from_name: str
    to_name: str
    by_name: str
    at: dt.datetime
    reason: str | None
    checklist: tuple[ChecklistItem, ...]
    notes: str | None
    status: str


@dataclass(frozen=True)
class HealthInfo:
    """The account health score (services.health) with the reasons that took points off."""

    score: int
    level: str
    level_label: str
    reasons: tuple[str, ...]


def _health_info(h) -> HealthInfo | None:
    if h is None:
        return None
    return HealthInfo(h.score, h.level, level_label(h.level), tuple(r.text for r in h.reasons if r.impact < 0))


@dataclass(frozen=True)
class ClientDossier:
    """Everything one client's dossier prints."""

    profile: ClientProfile
    contacts: tuple[ContactInfo, ...]
    plans: tuple[VisitPlanInfo, ...]
    recent_visits: tuple[VisitInfo, ...]  # the last 12 months, newest first
    upcoming_visits: tuple[VisitInfo, ...]  # planned from today on, soonest first
    commitments: tuple[CommitmentInfo, ...]
    services: tuple[ServiceInfo, ...]
    notes: tuple[NoteInfo, ...]
    feedback: tuple[FeedbackInfo, ...]  # newest first
    surveys: tuple[SurveyInfo, ...]  # oldest first (a trend)
    improvement_items: tuple[ImprovementItemInfo, ...]
    risks: tuple[RiskInfo, ...]  # active first
    equipment: tuple[EquipmentInfo, ...]
    opportunities: tuple[OpportunityInfo, ...]
    ownership: tuple[OwnershipInfo, ...]  # oldest first
    handovers: tuple[HandoverInfo, ...]  # newest first
    as_of: dt.date
    generated_at: dt.datetime
    generated_by: str
    confidential_visible: bool
    #: "internal" (the account team) or "external" (no personal data of contacts, no confidential figures)
    audience: str = "internal"
    health: HealthInfo | None = None
    #: the files kept with the client (services/attachments.py), newest first; confidential ones
    #: only for roles that may see them
    attachments: tuple[AttachmentInfo, ...] = ()

    @property
    def active_risks(self) -> tuple[RiskInfo, ...]:
        return tuple(r for r in self.risks if r.cleared_at is None)


@dataclass(frozen=True)
class HandoverReportData:
    dossier: ClientDossier
    handover: HandoverInfo | None  # None when the client has no handover recorded yet


# -- the dossier ---------------------------------------------------------------------------------
def load_dossier(ctx: AppContext, client_id: str) -> ClientDossier:
    return load_dossiers(ctx, [client_id])[0]


#: Who a dossier is for: the account team (everything the role may see) or readers beyond it
#: (no personal data of contacts, no confidential figures or notes: PIPL).
AUDIENCES = ("internal", "external")


def check_audience(audience: str) -> str:
    if audience not in AUDIENCES:
        raise ValidationError("audience", _("Choose the audience: internal or external."))
    return audience


def load_dossiers(ctx: AppContext, client_ids: Sequence[str], *, visit_photos: bool = False,
                  audience: str = "internal") -> list[ClientDossier]:
    """The dossiers of these clients, in the given order (a missing client is an error).
    ``visit_photos``: each visit of the last 12 months carries its photos, scaled for printing.
    ``audience`` "external": contacts without their private mobile, WeChat id and notes, and no
    confidential figure, note or file, whatever the role may see."""
    ids = list(dict.fromkeys(client_ids))
    external = check_audience(audience) == "external"
    secret = ctx.actor.sees_confidential and not external
    now = ctx.now()
    today = ctx.today()
    with ctx.read() as session:
        clients = {}
        for part in _chunks(ids):
            stmt = select(Client).where(Client.id.in_(part), Client.deleted_at.is_(None), scope_condition(ctx))
            for c in session.scalars(stmt):
                clients[c.id] = c
        missing = [i for i in ids if i not in clients]
        if missing:
            raise NotFoundError(_("No client matches “{ref}”.").format(ref=missing[0]), field="client")
        users = _user_names(session)
        offerings = {o.id: o for o in session.scalars(select(ServiceOffering))}
        team = _rows(session, ClientTeamMember, ids)
        contacts = _rows(session, Contact, ids, Contact.name)
        plans = _rows(session, VisitPlan, ids, VisitPlan.every_months)
        visits = _rows(session, Visit, ids, Visit.planned_start.desc())
        commitments = _rows(session, ServiceCommitment, ids, ServiceCommitment.title)
        services = _rows(session, ClientService, ids, ClientService.start_date)
        deliveries = _rows(session, ServiceDelivery, ids)
        notes = _rows(session, ServiceNote, ids, ServiceNote.category)
        feedback = _rows(session, Feedback, ids, Feedback.received_at.desc())
        surveys = _rows(session, Survey, ids, Survey.conducted_on)
        plans_imp = _rows(session, ImprovementPlan, ids)
        items = _rows(session, ImprovementItem, ids, ImprovementItem.due_on)
        risks = _rows(session, RiskFlag, ids, RiskFlag.raised_at.desc())
        equipment = _rows(session, Equipment, ids, Equipment.name)
        opportunities = _rows(session, Opportunity, ids, Opportunity.expected_on)
        ownership = _rows(session, OwnershipChange, ids, OwnershipChange.at)
        handovers = _rows(session, Handover, ids, Handover.at.desc())
        files = _rows(session, Attachment, ids, Attachment.created_at.desc())
        statuses = plan_statuses_in(session, ids, today)
        health = health_in(session, ids, now, today, statuses=statuses)
        plan_status: dict[str, list] = defaultdict(list)
        for st in statuses:
            plan_status[st.client_id].append(st)

        def uname(uid: str | None) -> str:
            return users.get(uid, "") if uid else ""

        out = []
        for cid in ids:
            c = clients[cid]
            profile = ClientProfile(
                id=c.id,
                name=c.name,
                short_name=c.short_name,
                uscc=c.uscc,
                industry=c.industry,
                tier=c.tier,
                status=c.status,
                province=c.province,
                city=c.city,
                address=c.address,
                employees=c.employees,
                annual_fees=c.annual_fees if secret else None,
                service_frequency=c.service_frequency,
                report_usage=c.report_usage,
                deadline_demands=c.deadline_demands,
                owner_name=uname(c.owner_id),
                backup_owner_name=uname(c.backup_owner_id),
                team=tuple(TeamMemberInfo(uname(m.user_id), m.role) for m in team.get(cid, [])),
                relationship_since=c.relationship_since,
                contract_renewal_date=c.contract_renewal_date,
                tags=tuple(c.tags or ()),
                description=c.description,
            )
            contact_rows = contacts.get(cid, [])
            contact_names = {p.id: p.name for p in contact_rows}
            all_visits = visits.get(cid, [])
            plan_owner = {p.id: p.owner_id for p in plans.get(cid, [])}
            plan_infos = [
                VisitPlanInfo(st.kind, st.title, st.every_months, uname(plan_owner.get(st.plan_id)), st.last_done, st.due, st.overdue)
                for st in plan_status.get(cid, [])
            ]
            plan_infos.sort(key=lambda p: p.next_due)
            year_ago = add_months(today, -12)

            file_rows = [f for f in files.get(cid, []) if secret or not f.confidential]
            photos = visit_photo_bytes(session, file_rows) if visit_photos else {}

            def visit_info(v: Visit, contact_names: dict[str, str] = contact_names, photos=photos) -> VisitInfo:
                attendees = [contact_names[i] for i in v.attendee_contact_ids or [] if i in contact_names]
                attendees += [uname(u) for u in v.attendee_user_ids or [] if uname(u)]
                return VisitInfo(
                    v.kind, v.channel, v.planned_start, v.status, uname(v.owner_id), v.location, v.purpose,
                    tuple(attendees), v.outcome, v.client_requests, v.follow_ups, v.next_steps,
                    photos=photos.get(v.id, ()),
                )

            recent = tuple(
                visit_info(v) for v in all_visits
                if v.status != "planned" and year_ago <= (_local_date(v.planned_start) or today) <= today
            )
            upcoming = tuple(
                visit_info(v) for v in reversed(all_visits)
                if v.status == "planned" and (_local_date(v.planned_start) or today) >= today
            )
            delivered: dict[str, list[dt.datetime]] = defaultdict(list)
            for d in deliveries.get(cid, []):
                delivered[d.client_service_id].append(d.delivered_at)
            service_infos = []
            for s in services.get(cid, []):
                off = offerings.get(s.offering_id)
                times = delivered.get(s.id, [])
                service_infos.append(
                    ServiceInfo(
                        off.name if off else "", off.code if off else "", off.category if off else "standard",
                        s.status, s.start_date, s.end_date, s.value_estimate if secret else None,
                        len(times), _local_date(max(times)) if times else None,
                    )
                )
            service_infos.sort(key=lambda s: (s.category != "standard", s.name))
            note_infos = tuple(
                NoteInfo(n.category, n.text, bool(n.confidential))
                for n in notes.get(cid, [])
                if secret or not n.confidential
            )
            fb_infos = tuple(_feedback_info(f, uname, now) for f in feedback.get(cid, []))
            survey_infos = tuple(
                SurveyInfo(s.conducted_on, s.respondent, tuple(getattr(s, f) for f in SCORE_FIELDS), s.comments)
                for s in surveys.get(cid, [])
            )
            years = {p.id: p.year for p in plans_imp.get(cid, [])}
            item_infos = tuple(
                sorted(
                    (
                        ImprovementItemInfo(years.get(i.plan_id, 0), i.action, uname(i.owner_id), i.due_on, i.status, i.result)
                        for i in items.get(cid, [])
                    ),
                    key=lambda i: (-i.year, i.due_on or dt.date.max),
                )
            )
            risk_infos = tuple(
                sorted(
                    (RiskInfo(r.kind, r.severity, r.note, uname(r.raised_by), r.raised_at, r.cleared_at) for r in risks.get(cid, [])),
                    key=lambda r: r.cleared_at is not None,
                )
            )
            eq_infos = tuple(
                EquipmentInfo(
                    e.name, e.model, e.serial, e.category, e.location, e.status,
                    e.last_serviced_on,
                    add_months(e.last_serviced_on, e.service_interval_months) if e.last_serviced_on and e.service_interval_months else None,
                    e.last_calibrated_on,
                    add_months(e.last_calibrated_on, e.calibration_interval_months)
                    if e.last_calibrated_on and e.calibration_interval_months else None,
                )
                for e in equipment.get(cid, [])
            )
            opp_infos = tuple(
                OpportunityInfo(o.title, o.estimated_value if secret else None, o.stage, o.expected_on, o.notes)
                for o in opportunities.get(cid, [])
            )
            own_infos = tuple(
                OwnershipInfo(o.kind, uname(o.from_user_id), uname(o.to_user_id), uname(o.by_user_id), o.at, o.reason)
                for o in ownership.get(cid, [])
            )
            ho_infos = tuple(_handover_info(h, uname) for h in handovers.get(cid, []))
            out.append(
                ClientDossier(
                    profile=profile,
                    contacts=tuple(_contact_info(p, external=external) for p in _org_order(contact_rows)),
                    plans=tuple(plan_infos),
                    recent_visits=recent,
                    upcoming_visits=upcoming,
                    commitments=tuple(
                        CommitmentInfo(s.title, s.metric, s.target, s.coverage, s.valid_from, s.valid_to, s.notes)
                        for s in commitments.get(cid, [])
                    ),
                    services=tuple(service_infos),
                    notes=note_infos,
                    feedback=fb_infos,
                    surveys=survey_infos,
                    improvement_items=item_infos,
                    risks=risk_infos,
                    equipment=eq_infos,
                    opportunities=opp_infos,
                    ownership=own_infos,
                    handovers=ho_infos,
                    as_of=today,
                    generated_at=now,
                    generated_by=ctx.actor.display_name,
                    confidential_visible=secret,
                    audience=audience,
                    health=_health_info(health.get(cid)),
                    attachments=attachment_infos(session, file_rows, uname),
                )
            )
    return out


def _org_order(contacts: list[Contact]) -> list[Contact]:
    """Contacts in org-chart order: primary and senior people first (those nobody they report to)."""
    return sorted(contacts, key=lambda p: (p.left_company_on is not None, not p.is_primary, -(p.influence or 0), p.name))


def _contact_info(p: Contact, *, external: bool = False) -> ContactInfo:
    """A contact as printed; for an external copy without personal data (private mobile, WeChat
    id, the notes kept about the person)."""
    return ContactInfo(
        p.id, p.name, p.title, p.department, p.buying_role, p.relationship_role, p.influence, p.attitude,
        p.relationship_strength, p.reports_to_id, None if external else p.mobile, p.phone, p.email,
        None if external else p.wechat, p.preferred_channel, bool(p.is_primary), p.left_company_on,
        None if external else p.notes,
    )


def _feedback_info(f: Feedback, uname, now: dt.datetime) -> FeedbackInfo:
    due = effective_due(f, f.answered_at or now)
    answered = f.answered_at
    on_time = None if answered is None or due is None else answered <= due
    overdue = is_overdue(f, now)
    return FeedbackInfo(
        f.kind, f.channel, f.received_at, f.severity, f.subject, f.description, uname(f.handler_id), f.due_at,
        f.status, f.resolution, f.answer, answered, overdue, on_time,
    )


def checklist_detail(raw: Any) -> str | None:
    """A checklist item's detail as text, whatever shape it was stored in: the app writes a list
    of lines (dialog, ``clients assign``, the server), older data and imports a text or nothing."""
    detail = raw.get("detail")
    if isinstance(detail, (list, tuple)):
        lines = [checklist_line(x) for x in detail if x not in (None, "")]
        count = raw.get("count")
        if isinstance(count, int) and count > len(lines):
            lines.append(_("… and {n} more").format(n=count - len(lines)))
        text = "\n".join(lines)
    elif isinstance(detail, dict):
        text = checklist_line(detail)
    elif detail is None:
        text = ""
    else:
        text = str(detail)
    return text.strip() or None


def checklist_line(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values() if v not in (None, ""))
    return str(value)


def _handover_info(h: Handover, uname) -> HandoverInfo:
    items = []
    for raw in h.checklist or []:
        if isinstance(raw, str):  # a bare line of text (hand-made data)
            raw = {"key": raw, "label": raw}
        if not isinstance(raw, dict):
            continue
        items.append(
            ChecklistItem(str(raw.get("key", "")), str(raw.get("label") or raw.get("key") or ""), bool(raw.get("done")),
                          checklist_detail(raw))
        )
    return HandoverInfo(
        h.id, uname(h.from_user_id), uname(h.to_user_id), uname(h.by_user_id), h.at, h.reason, tuple(items), h.notes, h.status
    )


# -- the handover report -------------------------------------------------------------------------
def load_handover(ctx: AppContext, client_id: str, handover_id: str | None = None) -> HandoverReportData:
    """A client's dossier with the handover to print (the given one, else the latest)."""
    dossier = load_dossier(ctx, client_id)
    chosen = None
    if handover_id is not None:
        chosen = next((h for h in dossier.handovers if h.id == handover_id), None)
        if chosen is None:
            raise NotFoundError(_("No handover {id} for this client.").format(id=handover_id))
    elif dossier.handovers:
        chosen = dossier.handovers[0]
    return HandoverReportData(dossier, chosen)


# -- the portfolio / business analysis -------------------------------------------------------------
@dataclass(frozen=True)
class TierRow:
    tier: str
    clients: int
    fees: int | None  # None when hidden
    fee_share: float | None  # 0..1


@dataclass(frozen=True)
class SegmentRow:
    key: str  # a region, an industry or a tier code
    clients: int
    at_risk: int
    fees: int | None


@dataclass(frozen=True)
class ManagerVisits:
    manager: str
    clients: int
    planned: int
    done: int
    overdue: int

    @property
    def rate(self) -> float | None:
        return self.done / self.planned if self.planned else None


@dataclass(frozen=True)
class OverdueVisit:
    client: str
    kind: str
    due: dt.date
    owner: str
    days: int
    never_held: bool = False  # a cadence with no visit of its kind held yet


@dataclass(frozen=True)
class PeriodScore:
    label: str  # "2026-Q1"
    average: float | None
    surveys: int


@dataclass(frozen=True)
class ComplaintMonth:
    label: str  # "2026-03"
    received: int
    answered_on_time: int
    answered_late: int


@dataclass(frozen=True)
class AtRiskClient:
    client: str
    tier: str
    owner: str
    reasons: tuple[str, ...]
    score: int | None = None  # account health 0..100


@dataclass(frozen=True)
class BandRow:
    """A band of the fee pyramid (services.segmentation): A top 20 %, B next 30 %, C the rest."""

    code: str
    label: str
    clients: int
    fees: int
    client_share: float
    fee_share: float


@dataclass(frozen=True)
class MismatchRow:
    """A client whose assigned tier differs from its fee band ("under": serve better)."""

    client: str
    tier: str
    band: str
    fees: int
    direction: str


@dataclass(frozen=True)
class RenewalDue:
    client: str
    tier: str
    owner: str
    date: dt.date
    fees: int | None


@dataclass(frozen=True)
class PortfolioData:
    date_from: dt.date
    date_to: dt.date
    as_of: dt.date
    generated_at: dt.datetime
    generated_by: str
    confidential_visible: bool
    clients: int
    paying_clients: int
    total_fees: int | None
    pyramid: tuple[TierRow, ...]
    bands: tuple[BandRow, ...]  # empty for roles that may not see fees
    mismatches: tuple[MismatchRow, ...]
    by_region: tuple[SegmentRow, ...]
    by_industry: tuple[SegmentRow, ...]
    by_tier: tuple[SegmentRow, ...]
    visits_by_manager: tuple[ManagerVisits, ...]
    overdue_visits: tuple[OverdueVisit, ...]
    satisfaction: tuple[PeriodScore, ...]
    complaints: tuple[ComplaintMonth, ...]
    complaints_total: int
    complaints_answered_on_time: int
    complaints_open_overdue: int
    at_risk: tuple[AtRiskClient, ...]
    renewals: tuple[RenewalDue, ...]

    @property
    def on_time_share(self) -> float | None:
        answered = sum(m.answered_on_time + m.answered_late for m in self.complaints)
        return self.complaints_answered_on_time / answered if answered else None


TIER_ORDER = ("strategic", "key", "standard")


def _months(date_from: dt.date, date_to: dt.date) -> list[str]:
    out, day = [], date_from.replace(day=1)
    while day <= date_to:
        out.append(f"{day.year}-{day.month:02d}")
        day = add_months(day, 1)
    return out


def _quarters(date_from: dt.date, date_to: dt.date) -> list[str]:
    out: list[str] = []
    for m in _months(date_from, date_to):
        year, month = m.split("-")
        q = f"{year}-Q{(int(month) - 1) // 3 + 1}"
        if q not in out:
            out.append(q)
    return out


def load_portfolio(ctx: AppContext, *, date_from: dt.date | None = None, date_to: dt.date | None = None) -> PortfolioData:
    """The figures of the portfolio / business-analysis report for the period (default: the last
    12 months up to today), over the clients the acting user may see. Counts of visits, surveys
    and complaints are for the period; the pyramid, segments, overdue visits, health and renewals
    are as of today. The pyramid and the fee shares count the paying clients (not prospects, not
    lost), as :mod:`.segmentation` does; cadences and health come from :mod:`.scheduling` and
    :mod:`.health`, so the report agrees with the Today screen and the client list."""
    today = ctx.today()
    now = ctx.now()
    date_to = date_to or today
    date_from = date_from or add_months(date_to, -12) + dt.timedelta(days=1)
    if date_from > date_to:
        raise ValidationError("from", _("The start of the period is after its end."))
    secret = ctx.actor.sees_confidential
    unassigned = _("(no account manager)")
    with ctx.read() as session:
        users = _user_names(session)

        def uname(uid: str | None) -> str:
            return users.get(uid, "") if uid else ""

        clients = list(session.scalars(
            select(Client).where(Client.deleted_at.is_(None), scope_condition(ctx)).order_by(Client.name)
        ))
        ids = [c.id for c in clients]
        visits = _rows(session, Visit, ids)
        plans = {p.id: p for rows in _rows(session, VisitPlan, ids).values() for p in rows}
        feedback = _rows(session, Feedback, ids)
        surveys = _rows(session, Survey, ids)
        statuses = plan_statuses_in(session, ids, today)
        health = health_in(session, ids, now, today, statuses=statuses)
        name_of = {c.id: c.name for c in clients}
        owner_of = {c.id: uname(c.owner_id) or unassigned for c in clients}

        def in_period(value: dt.datetime | dt.date | None) -> bool:
            if value is None:
                return False
            day = _local_date(value) if isinstance(value, dt.datetime) else value
            return date_from <= day <= date_to

        paying = [c for c in clients if c.status not in ("prospect", "lost")]
        fees_of = {c.id: (c.annual_fees or 0) for c in clients}
        total_fees = sum(fees_of[c.id] for c in paying)
        pyramid_rows = []
        for tier in TIER_ORDER:
            members = [c for c in paying if c.tier == tier]
            fees = sum(fees_of[c.id] for c in members)
            pyramid_rows.append(
                TierRow(tier, len(members), fees if secret else None, (fees / total_fees if total_fees else 0.0) if secret else None)
            )
        bands: tuple[BandRow, ...] = ()
        mismatches: tuple[MismatchRow, ...] = ()
        if secret:
            from .segmentation import pyramid as fee_pyramid

            pyr = fee_pyramid(ctx)
            bands = tuple(BandRow(b.code, b.label, b.clients, b.fees, b.client_share, b.fee_share) for b in pyr.bands)
            mismatches = tuple(MismatchRow(m.client_name, m.tier, m.band, m.fees, m.direction) for m in pyr.mismatches)

        def segments(key) -> tuple[SegmentRow, ...]:
            groups: dict[str, list[Client]] = defaultdict(list)
            for c in paying:
                groups[(key(c) or "").strip() or _("(not recorded)")].append(c)
            rows = [
                SegmentRow(k, len(v), sum(1 for c in v if c.status == "at_risk"), sum(fees_of[c.id] for c in v) if secret else None)
                for k, v in groups.items()
            ]
            rows.sort(key=lambda r: (-(r.fees or 0), -r.clients, r.key))
            return tuple(rows)

        # visits done against planned, per manager; overdue visits and cadences
        per_manager: dict[str, dict[str, int]] = defaultdict(lambda: {"clients": 0, "planned": 0, "done": 0, "overdue": 0})
        for c in clients:
            per_manager[owner_of[c.id]]["clients"] += 1
        overdue: list[OverdueVisit] = []
        for c in clients:
            for v in visits.get(c.id, []):
                who = uname(v.owner_id) or owner_of[c.id]
                if v.status != "cancelled" and in_period(v.planned_start):
                    per_manager[who]["planned"] += 1
                    if v.status == "done":
                        per_manager[who]["done"] += 1
                if v.status == "planned" and _local_date(v.planned_start) < today:
                    due = _local_date(v.planned_start)
                    overdue.append(OverdueVisit(c.name, v.kind, due, who, (today - due).days))
                    per_manager[who]["overdue"] += 1
        for st in statuses:
            if st.overdue and st.client_id in name_of:
                plan = plans.get(st.plan_id)
                who = uname(plan.owner_id if plan else None) or owner_of[st.client_id]
                overdue.append(OverdueVisit(name_of[st.client_id], st.kind, st.due, who, st.days_overdue, st.last_done is None))
                per_manager[who]["overdue"] += 1
        overdue.sort(key=lambda o: (-o.days, o.client))
        managers = tuple(
            sorted(
                (ManagerVisits(k, v["clients"], v["planned"], v["done"], v["overdue"]) for k, v in per_manager.items()),
                key=lambda m: (m.manager == unassigned, m.manager),
            )
        )
        # satisfaction per quarter
        scores: dict[str, list[float]] = defaultdict(list)
        for c in clients:
            for sv in surveys.get(c.id, []):
                overall = SurveyInfo(sv.conducted_on, sv.respondent, tuple(getattr(sv, f) for f in SCORE_FIELDS), sv.comments).overall
                if overall is not None and in_period(sv.conducted_on):
                    scores[f"{sv.conducted_on.year}-Q{(sv.conducted_on.month - 1) // 3 + 1}"].append(overall)
        satisfaction = tuple(
            PeriodScore(q, sum(scores[q]) / len(scores[q]) if scores[q] else None, len(scores[q])) for q in _quarters(date_from, date_to)
        )
        # complaints (and appeals): received per month, answered on time or late
        months = {m: [0, 0, 0] for m in _months(date_from, date_to)}
        total = on_time_total = open_overdue = 0
        for c in clients:
            for f in feedback.get(c.id, []):
                if f.kind not in ("complaint", "appeal"):
                    continue
                info = _feedback_info(f, uname, now)
                if info.overdue:
                    open_overdue += 1
                if not in_period(f.received_at):
                    continue
                day = _local_date(f.received_at)
                key = f"{day.year}-{day.month:02d}"
                total += 1
                months[key][0] += 1
                if info.answered_on_time is True:
                    months[key][1] += 1
                    on_time_total += 1
                elif info.answered_on_time is False:
                    months[key][2] += 1
        complaints = tuple(ComplaintMonth(k, *v) for k, v in months.items())
        # at-risk clients: status "at risk" or poor health, with the reasons
        at_risk = []
        for c in clients:
            h = health.get(c.id)
            if c.status != "at_risk" and (h is None or h.level != POOR):
                continue
            reasons = ([_("status is “at risk”")] if c.status == "at_risk" else []) + [r.text for r in (h.reasons if h else []) if r.impact < 0]
            at_risk.append(AtRiskClient(c.name, c.tier, owner_of[c.id], tuple(dict.fromkeys(reasons)), h.score if h else None))
        at_risk.sort(key=lambda a: (a.score if a.score is not None else 100, a.client))
        horizon = add_months(today, 3)
        renewals = tuple(
            sorted(
                (
                    RenewalDue(c.name, c.tier, owner_of[c.id], c.contract_renewal_date, c.annual_fees if secret else None)
                    for c in clients
                    if c.contract_renewal_date is not None and add_months(today, -1) <= c.contract_renewal_date <= horizon
                    and c.status != "lost"
                ),
                key=lambda r: r.date,
            )
        )
        return PortfolioData(
            date_from=date_from,
            date_to=date_to,
            as_of=today,
            generated_at=now,
            generated_by=ctx.actor.display_name,
            confidential_visible=secret,
            clients=len(clients),
            paying_clients=len(paying),
            total_fees=total_fees if secret else None,
            pyramid=tuple(pyramid_rows),
            bands=bands,
            mismatches=mismatches,
            by_region=segments(lambda c: c.province),
            by_industry=segments(lambda c: c.industry),
            by_tier=tuple(sorted(segments(lambda c: c.tier), key=lambda r: TIER_ORDER.index(r.key) if r.key in TIER_ORDER else 9)),
            visits_by_manager=managers,
            overdue_visits=tuple(overdue),
            satisfaction=satisfaction,
            complaints=complaints,
            complaints_total=total,
            complaints_answered_on_time=on_time_total,
            complaints_open_overdue=open_overdue,
            at_risk=tuple(at_risk),
            renewals=renewals,
        )
