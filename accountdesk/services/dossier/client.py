"""The client dossier's data: one batch of clients read with a few ``IN (...)`` queries per table."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from ...domain.dates import add_months
from ...domain.feedback import effective_due, is_overdue
from ...errors import NotFoundError, ValidationError
from ...i18n import _
from ...models import (
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
    Visit,
    VisitPlan,
)
from ..attachments import attachment_infos, visit_photo_bytes
from ..context import AppContext
from ..health import health_in
from ..scheduling import plan_statuses_in
from ..scope import scope_condition
from .common import _chunks, _local_date, _rows, _user_names
from .records import (
    ChecklistItem,
    ClientDossier,
    ClientProfile,
    CommitmentInfo,
    ContactInfo,
    EquipmentInfo,
    FeedbackInfo,
    HandoverInfo,
    ImprovementItemInfo,
    NoteInfo,
    OpportunityInfo,
    OwnershipInfo,
    RiskInfo,
    ServiceInfo,
    SurveyInfo,
    TeamMemberInfo,
    VisitInfo,
    VisitPlanInfo,
    _health_info,
)


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


def load_dossiers(
    ctx: AppContext, client_ids: Sequence[str], *, visit_photos: bool = False, audience: str = "internal"
) -> list[ClientDossier]:
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
            stmt = select(Client).where(
                Client.id.in_(part), Client.deleted_at.is_(None), scope_condition(ctx)
            )
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
        plan_status: dict[str, list[Any]] = defaultdict(list)
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
                VisitPlanInfo(
                    st.kind,
                    st.title,
                    st.every_months,
                    uname(plan_owner.get(st.plan_id)),
                    st.last_done,
                    st.due,
                    st.overdue,
                )
                for st in plan_status.get(cid, [])
            ]
            plan_infos.sort(key=lambda p: p.next_due)
            year_ago = add_months(today, -12)

            file_rows = [f for f in files.get(cid, []) if secret or not f.confidential]
            photos = visit_photo_bytes(session, file_rows) if visit_photos else {}

            def visit_info(
                v: Visit, contact_names: dict[str, str] = contact_names, photos: Any = photos
            ) -> VisitInfo:
                attendees = [contact_names[i] for i in v.attendee_contact_ids or [] if i in contact_names]
                attendees += [uname(u) for u in v.attendee_user_ids or [] if uname(u)]
                return VisitInfo(
                    v.kind,
                    v.channel,
                    v.planned_start,
                    v.status,
                    uname(v.owner_id),
                    v.location,
                    v.purpose,
                    tuple(attendees),
                    v.outcome,
                    v.client_requests,
                    v.follow_ups,
                    v.next_steps,
                    photos=photos.get(v.id, ()),
                )

            recent = tuple(
                visit_info(v)
                for v in all_visits
                if v.status != "planned" and year_ago <= (_local_date(v.planned_start) or today) <= today
            )
            upcoming = tuple(
                visit_info(v)
                for v in reversed(all_visits)
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
                        off.name if off else "",
                        off.code if off else "",
                        off.category if off else "standard",
                        s.status,
                        s.start_date,
                        s.end_date,
                        s.value_estimate if secret else None,
                        len(times),
                        _local_date(max(times)) if times else None,
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
                SurveyInfo(
                    s.conducted_on, s.respondent, tuple(getattr(s, f) for f in SCORE_FIELDS), s.comments
                )
                for s in surveys.get(cid, [])
            )
            years = {p.id: p.year for p in plans_imp.get(cid, [])}
            item_infos = tuple(
                sorted(
                    (
                        ImprovementItemInfo(
                            years.get(i.plan_id, 0), i.action, uname(i.owner_id), i.due_on, i.status, i.result
                        )
                        for i in items.get(cid, [])
                    ),
                    key=lambda i: (-i.year, i.due_on or dt.date.max),
                )
            )
            risk_infos = tuple(
                sorted(
                    (
                        RiskInfo(r.kind, r.severity, r.note, uname(r.raised_by), r.raised_at, r.cleared_at)
                        for r in risks.get(cid, [])
                    ),
                    key=lambda r: r.cleared_at is not None,
                )
            )
            eq_infos = tuple(
                EquipmentInfo(
                    e.name,
                    e.model,
                    e.serial,
                    e.category,
                    e.location,
                    e.status,
                    e.last_serviced_on,
                    add_months(e.last_serviced_on, e.service_interval_months)
                    if e.last_serviced_on and e.service_interval_months
                    else None,
                    e.last_calibrated_on,
                    add_months(e.last_calibrated_on, e.calibration_interval_months)
                    if e.last_calibrated_on and e.calibration_interval_months
                    else None,
                )
                for e in equipment.get(cid, [])
            )
            opp_infos = tuple(
                OpportunityInfo(
                    o.title, o.estimated_value if secret else None, o.stage, o.expected_on, o.notes
                )
                for o in opportunities.get(cid, [])
            )
            own_infos = tuple(
                OwnershipInfo(
                    o.kind, uname(o.from_user_id), uname(o.to_user_id), uname(o.by_user_id), o.at, o.reason
                )
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
                        CommitmentInfo(
                            s.title, s.metric, s.target, s.coverage, s.valid_from, s.valid_to, s.notes
                        )
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
    return sorted(
        contacts, key=lambda p: (p.left_company_on is not None, not p.is_primary, -(p.influence or 0), p.name)
    )


def _contact_info(p: Contact, *, external: bool = False) -> ContactInfo:
    """A contact as printed; for an external copy without personal data (private mobile, WeChat
    id, the notes kept about the person)."""
    return ContactInfo(
        p.id,
        p.name,
        p.title,
        p.department,
        p.buying_role,
        p.relationship_role,
        p.influence,
        p.attitude,
        p.relationship_strength,
        p.reports_to_id,
        None if external else p.mobile,
        p.phone,
        p.email,
        None if external else p.wechat,
        p.preferred_channel,
        bool(p.is_primary),
        p.left_company_on,
        None if external else p.notes,
    )


def _feedback_info(f: Feedback, uname: Any, now: dt.datetime) -> FeedbackInfo:
    due = effective_due(f, f.answered_at or now)
    answered = f.answered_at
    on_time = None if answered is None or due is None else answered <= due
    overdue = is_overdue(f, now)
    return FeedbackInfo(
        f.kind,
        f.channel,
        f.received_at,
        f.severity,
        f.subject,
        f.description,
        uname(f.handler_id),
        f.due_at,
        f.status,
        f.resolution,
        f.answer,
        answered,
        overdue,
        on_time,
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


def _handover_info(h: Handover, uname: Any) -> HandoverInfo:
    items = []
    for raw in h.checklist or []:
        if isinstance(raw, str):  # a bare line of text (hand-made data)
            raw = {"key": raw, "label": raw}
        if not isinstance(raw, dict):
            continue
        items.append(
            ChecklistItem(
                str(raw.get("key", "")),
                str(raw.get("label") or raw.get("key") or ""),
                bool(raw.get("done")),
                checklist_detail(raw),
            )
        )
    return HandoverInfo(
        h.id,
        uname(h.from_user_id),
        uname(h.to_user_id),
        uname(h.by_user_id),
        h.at,
        h.reason,
        tuple(items),
        h.notes,
        h.status,
    )
