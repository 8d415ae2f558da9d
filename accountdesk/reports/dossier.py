"""The client dossier (客户档案): cover, profile, org chart, SLA and services, visit plan and the
last 12 months of visits with their reports, survey trend, feedback, risks, equipment,
improvement plan, opportunities and ownership history.

Input: :class:`accountdesk.services.dossier.ClientDossier` (confidential values are already left
out for roles that may not see them; this module also drops the columns that would stay empty).
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import KeepInFrame, PageBreak, Spacer, Table, TableStyle

from ..domain.validation import format_phone
from ..i18n import _
from ..labels import label
from ..labels import metric_label as _metric_label
from ..models.enums import (
    Attitude,
    BuyingRole,
    ClientServiceStatus,
    ClientStatus,
    EquipmentStatus,
    FeedbackKind,
    FeedbackStatus,
    ItemStatus,
    OfferingCategory,
    OpportunityStage,
    OwnershipKind,
    RelationshipRole,
    RiskKind,
    Severity,
    Tier,
    VisitChannel,
    VisitKind,
    VisitStatus,
)
from ..services.dossier import ClientDossier, VisitInfo
from . import charts
from .attachments import attachments_section
from .document import DocStart, SectionHeading, TocPlaceholder
from .fonts import FONT
from .orgchart import legend, org_chart
from .styles import (
    BAD,
    BODY,
    BODY_SMALL,
    CELL,
    COVER_SUB,
    COVER_TITLE,
    EMPTY,
    GOOD,
    KPI_LABEL,
    LABEL,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MUTED_SMALL,
    NAVY,
    NAVY_LIGHT,
    PAGE,
    RULE,
    SLATE,
    WARN,
    data_table,
    fmt_date,
    fmt_datetime,
    fmt_money,
    key_value_table,
    kpi_style,
    or_dash,
    text,
)
from .styles import CONTENT_WIDTH as W
from .wrap import Paragraph


def metric_label(code: str | None) -> str:
    return _metric_label(code) or "—"


def marking(audience: str = "internal") -> str:
    if audience == "external":
        return _("Confidential · without personal data")
    return _("Internal · Confidential")


def empty(message: str | None = None) -> Paragraph:
    return Paragraph(text(message or _("None recorded.")), EMPTY)


def coloured(value: str, colour) -> Paragraph:
    return Paragraph(f'<font color="{colour.hexval()}">{text(value)}</font>', CELL)


def cover(d: ClientDossier, kind: str, *, extra: list[tuple[str, str]] = ()) -> list:
    """The cover of a dossier-like report (also used by the handover report)."""
    p = d.profile
    from .document import COVER_BAND

    story: list = [DocStart(p.id, p.name, cover=True), Spacer(1, COVER_BAND - MARGIN_TOP + 12 * mm)]
    story.append(Paragraph(text(p.name), COVER_TITLE))
    sub = " · ".join(
        x for x in (p.short_name, p.industry, " ".join(y for y in (p.province, p.city) if y)) if x
    )
    if sub:
        story.append(Paragraph(text(sub), COVER_SUB))
    story.append(Spacer(1, 8 * mm))
    facts = [
        (_("Tier"), label(Tier, p.tier)),
        (_("Status"), label(ClientStatus, p.status)),
        (_("Account manager"), or_dash(p.owner_name)),
        (_("Backup owner"), or_dash(p.backup_owner_name)),
        (_("Client since"), fmt_date(p.relationship_since)),
        (_("Contract renewal"), fmt_date(p.contract_renewal_date)),
        *extra,
        (_("Date"), fmt_date(d.as_of)),
        (_("Prepared by"), or_dash(d.generated_by)),
    ]
    story.append(key_value_table(facts, columns=2))
    story.append(Spacer(1, 6 * mm))
    if d.audience == "external":
        note = _(
            "Copy for readers beyond the account team: personal data of contacts (private mobile numbers, WeChat ids, "
            "notes about the person) and confidential figures, notes and files are left out. Pass it on only as needed."
        )
    else:
        note = _("For internal use only. Do not pass this document outside the company.")
        if not d.confidential_visible:
            note += " " + _(
                "Confidential figures (annual fees, values, confidential notes) are left out of this copy."
            )
    box = Table(
        [
            [
                Paragraph(f'<font color="{BAD.hexval()}" size="11">{text(marking(d.audience))}</font>', BODY),
                Paragraph(text(note), BODY_SMALL),
            ]
        ],
        colWidths=[W * 0.3, W * 0.7],
    )
    box.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("BOX", (0, 0), (-1, -1), 0.8, BAD),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story += [box, Spacer(1, 10 * mm), TocPlaceholder(320), PageBreak()]
    return story


class _Numbers:
    def __init__(self):
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return str(self.n)


def dossier_story(d: ClientDossier) -> list:
    """The flowables of one client's dossier (starting with its cover page)."""
    story = cover(d, _("Client dossier"))
    story += summary_page(d)
    num = _Numbers()
    story += profile_section(d, num())
    story += contacts_section(d, num())
    story += services_section(d, num())
    story += visits_section(d, num())
    story += surveys_section(d, num())
    story += feedback_section(d, num())
    story += risks_section(d, num())
    story += equipment_section(d, num())
    story += improvement_section(d, num())
    story += opportunities_section(d, num())
    story += attachments_section(d, num())
    if d.ownership or d.handovers:  # else the summary says "No change of account manager."
        story += ownership_section(d, num())
    return story


# -- the summary page ---------------------------------------------------------------------------------
SUMMARY_ROWS = 5
FEEDBACK_ANSWER_KINDS = ("complaint", "appeal")


def _tiles(items: list[tuple[str, str, object]]) -> Table:
    """A row of figures with their labels (value, label, colour)."""
    width = W / len(items)
    cells = [
        [
            Paragraph(f'<font color="{colour.hexval()}">{text(v)}</font>', kpi_style(v, width))
            for v, _l, colour in items
        ],
        [Paragraph(text(lab), KPI_LABEL) for _v, lab, _c in items],
    ]
    t = Table(cells, colWidths=[width] * len(items))
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("BACKGROUND", (0, 0), (-1, -1), NAVY_LIGHT),
                ("LINEBEFORE", (1, 0), (-1, -1), 0.6, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, 0), 6),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
            ]
        )
    )
    return t


def _more(n: int) -> str | None:
    return _("… and {n} more.").format(n=n) if n > 0 else None


def commitment_state(c, as_of) -> tuple[str, object]:
    """Whether a service level commitment is in force today, with its colour."""
    if c.valid_from is not None and c.valid_from > as_of:
        return _("from {date}").format(date=fmt_date(c.valid_from)), SLATE
    if c.valid_to is None:
        return _("in force"), GOOD
    if c.valid_to < as_of:
        return _("expired {date}").format(date=fmt_date(c.valid_to)), BAD
    days = (c.valid_to - as_of).days
    if days <= 60:
        return _("expires in {n} days").format(n=days), WARN
    return _("in force"), GOOD


def summary_page(d: ClientDossier) -> list:
    """One page at the front: health and its reasons, what falls due next, open complaints, key
    contacts and the service level commitments, so a reader need not go through the visit log."""
    p = d.profile
    story: list = [SectionHeading(_("At a glance"))]
    open_complaints = [f for f in d.feedback if f.is_open and f.kind in FEEDBACK_ANSWER_KINDS]
    overdue_plans = [pl for pl in d.plans if pl.overdue]
    health = d.health
    health_colour = (
        SLATE
        if health is None
        else GOOD
        if health.level == "good"
        else BAD
        if health.level == "poor"
        else WARN
    )
    dues = sorted([pl.next_due for pl in d.plans] + [v.planned_start.date() for v in d.upcoming_visits])
    story.append(
        _tiles(
            [
                (
                    "—" if health is None else f"{health.score} / 100",
                    _("Account health") + ("" if health is None else f" · {health.level_label}"),
                    health_colour,
                ),
                (
                    str(len(open_complaints)),
                    _("Open complaints"),
                    BAD if any(f.overdue for f in open_complaints) else NAVY,
                ),
                (str(len(overdue_plans)), _("Overdue cadences"), BAD if overdue_plans else NAVY),
                (fmt_date(dues[0]) if dues else "—", _("Next due"), NAVY),
            ]
        )
    )
    story.append(Spacer(1, 4))
    if health is not None and health.reasons:
        story.append(
            Paragraph(
                text(_("Account health: {reasons}").format(reasons="；".join(health.reasons))), BODY_SMALL
            )
        )
    if d.active_risks:
        kinds = "、".join(label(RiskKind, r.kind) for r in d.active_risks)
        story.append(
            Paragraph(
                f'<font color="{BAD.hexval()}">{text(_("Active risk flags: {kinds}").format(kinds=kinds))}</font>',
                BODY_SMALL,
            )
        )
    owner = _("Account manager {owner}, backup {backup}.").format(
        owner=or_dash(p.owner_name), backup=or_dash(p.backup_owner_name)
    )
    owner_changes = [o for o in d.ownership if o.kind == "owner"]
    if owner_changes:
        last = owner_changes[-1]
        owner += " " + _("Last change of account manager: {date} ({from_} → {to}).").format(
            date=fmt_date(last.at), from_=or_dash(last.from_name), to=or_dash(last.to_name)
        )
    else:
        owner += " " + _("No change of account manager.")
    story.append(Paragraph(text(owner), BODY_SMALL))

    # next due: cadences and planned visits, soonest first
    story.append(SectionHeading(_("Next due"), level=2))
    due_rows = []
    for pl in d.plans:
        what = pl.title or label(VisitKind, pl.kind)
        due_rows.append(
            (
                pl.next_due,
                [
                    coloured(_("{date} (overdue)").format(date=fmt_date(pl.next_due)), BAD)
                    if pl.overdue
                    else fmt_date(pl.next_due),
                    what,
                    _("cadence"),
                    pl.owner_name,
                ],
            )
        )
    for v in d.upcoming_visits:
        due_rows.append(
            (
                v.planned_start.date(),
                [
                    fmt_datetime(v.planned_start),
                    v.purpose or label(VisitKind, v.kind),
                    _("planned visit"),
                    v.owner_name,
                ],
            )
        )
    due_rows.sort(key=lambda r: r[0])
    if due_rows:
        story.append(
            data_table(
                [_("Due"), _("What"), _("Kind"), _("Owner")],
                [r for _d, r in due_rows[:SUMMARY_ROWS]],
                [20, 46, 16, 18],
                more=_more(len(due_rows) - SUMMARY_ROWS),
            )
        )
    else:
        story.append(empty(_("Nothing planned.")))

    # open complaints
    story.append(SectionHeading(_("Open complaints"), level=2))
    if open_complaints:
        rows = []
        for f in open_complaints[:SUMMARY_ROWS]:
            deadline = fmt_datetime(f.due_at)
            rows.append(
                [
                    fmt_date(f.received_at),
                    label(Severity, f.severity),
                    f.subject,
                    f.handler_name,
                    coloured(_("{date} (overdue)").format(date=deadline), BAD) if f.overdue else deadline,
                ]
            )
        story.append(
            data_table(
                [_("Received on"), _("Severity"), _("Subject"), _("Handler"), _("Deadline")],
                rows,
                [14, 10, 42, 12, 22],
                more=_more(len(open_complaints) - SUMMARY_ROWS),
            )
        )
    else:
        story.append(empty(_("No open complaint.")))

    # key contacts: the primary contact, then by influence
    story.append(SectionHeading(_("Key contacts"), level=2))
    current = sorted(
        (c for c in d.contacts if not c.has_left),
        key=lambda c: (not c.is_primary, -(c.influence or 0), c.name),
    )
    if current:
        rows = []
        for c in current[:SUMMARY_ROWS]:
            reach = "\n".join(x for x in (format_phone(c.mobile), format_phone(c.phone), c.email) if x)
            att = label(Attitude, c.attitude)
            rows.append(
                [
                    c.name + (" ★" if c.is_primary else ""),
                    " / ".join(x for x in (c.title, c.department) if x),
                    label(BuyingRole, c.buying_role),
                    coloured(att, {"supporter": GOOD, "detractor": BAD}.get(c.attitude or "", SLATE))
                    if att
                    else None,
                    reach,
                ]
            )
        story.append(
            data_table(
                [_("Name"), _("Title / department"), _("Buying role"), _("Attitude"), _("Contact details")],
                rows,
                [14, 24, 14, 12, 36],
                more=_more(len(current) - SUMMARY_ROWS),
            )
        )
    else:
        story.append(empty())

    # service level commitments and how complaints were answered
    story.append(SectionHeading(_("SLA status"), level=2))
    if d.commitments:
        rows = []
        for c in d.commitments[:SUMMARY_ROWS]:
            state, colour = commitment_state(c, d.as_of)
            target = "—" if c.target is None else f"{c.target:g}"
            rows.append([c.title, metric_label(c.metric), target, coloured(state, colour)])
        story.append(
            data_table(
                [_("Commitment"), _("Metric"), _("Target"), _("State")],
                rows,
                [36, 28, 10, 26],
                right={2},
                more=_more(len(d.commitments) - SUMMARY_ROWS),
            )
        )
    else:
        story.append(empty(_("No service level commitment recorded.")))
    answered = [f for f in d.feedback if f.kind in FEEDBACK_ANSWER_KINDS and f.answered_on_time is not None]
    if answered:
        on_time = sum(1 for f in answered if f.answered_on_time)
        story.append(
            Paragraph(
                text(
                    _("Complaints and appeals answered on time: {n} of {total}.").format(
                        n=on_time, total=len(answered)
                    )
                ),
                BODY_SMALL,
            )
        )
    # one page, whatever the data: a client with very long complaint subjects is shrunk a little
    return [
        KeepInFrame(W, PAGE[1] - MARGIN_TOP - MARGIN_BOTTOM - 6, story, mode="shrink", hAlign="LEFT"),
        PageBreak(),
    ]


# -- sections -------------------------------------------------------------------------------------------
def profile_section(d: ClientDossier, number: str) -> list:
    p = d.profile
    pairs = [
        (_("Name"), p.name),
        (_("Short name"), p.short_name),
        (_("Unified social credit code"), p.uscc),
        (_("Industry"), p.industry),
        (_("Tier"), label(Tier, p.tier)),
        (_("Status"), label(ClientStatus, p.status)),
        (_("Region"), " ".join(x for x in (p.province, p.city) if x)),
        (_("Address"), p.address),
        (_("Employees"), None if p.employees is None else f"{p.employees:,}"),
    ]
    if d.confidential_visible:
        pairs.append((_("Annual fees"), fmt_money(p.annual_fees)))
    pairs += [
        (
            _("Service frequency"),
            None if p.service_frequency is None else _("{n} per year").format(n=p.service_frequency),
        ),
        (_("Report usage"), p.report_usage),
        (_("Deadline demands"), p.deadline_demands),
        (_("Account manager"), p.owner_name),
        (_("Backup owner"), p.backup_owner_name),
        (_("Service team"), "、".join(f"{m.name}（{m.role}）" if m.role else m.name for m in p.team)),
        (_("Client since"), fmt_date(p.relationship_since)),
        (_("Contract renewal"), fmt_date(p.contract_renewal_date)),
        (_("Tags"), "、".join(p.tags)),
    ]
    if d.health is not None:
        pairs.insert(6, (_("Account health"), f"{d.health.score} / 100 · {d.health.level_label}"))
    story: list = [SectionHeading(_("Profile"), number=number), key_value_table(pairs, columns=2)]
    if d.health is not None and d.health.reasons:
        story += [
            Spacer(1, 4),
            Paragraph(
                text(_("Account health: {reasons}").format(reasons="；".join(d.health.reasons))), BODY_SMALL
            ),
        ]
    if p.description:
        story += [
            Spacer(1, 4),
            Paragraph(text(_("Description")), LABEL),
            Paragraph(text(p.description), BODY),
        ]
    if d.active_risks:
        kinds = "、".join(label(RiskKind, r.kind) for r in d.active_risks)
        flags = _("Active risk flags: {kinds}").format(kinds=kinds)
        story += [Spacer(1, 4), Paragraph(f'<font color="{BAD.hexval()}">{text(flags)}</font>', BODY)]
    return story


def contacts_section(d: ClientDossier, number: str) -> list:
    story: list = [SectionHeading(_("Contacts and org chart"), number=number)]
    if not d.contacts:
        return story + [empty()]
    for drawing in org_chart(d.contacts):
        story += [drawing, Spacer(1, 4)]
    story += [legend(), Spacer(1, 6)]
    rows = []
    for c in d.contacts:
        reach = "\n".join(
            x
            for x in (
                format_phone(c.mobile),
                format_phone(c.phone),
                c.email,
                c.wechat and f"WeChat {c.wechat}",
            )
            if x
        )
        name = c.name + (" ★" if c.is_primary else "")
        if c.has_left:
            name += "\n" + _("left {date}").format(date=fmt_date(c.left_company_on))
        att = label(Attitude, c.attitude)
        rows.append(
            [
                name,
                " / ".join(x for x in (c.title, c.department) if x),
                label(BuyingRole, c.buying_role),
                label(RelationshipRole, c.relationship_role),
                "—" if c.influence is None else str(c.influence),
                coloured(att, {"supporter": GOOD, "detractor": BAD}.get(c.attitude or "", SLATE))
                if att
                else None,
                reach,
            ]
        )
    story.append(
        data_table(
            [
                _("Name"),
                _("Title / department"),
                _("Buying role"),
                _("Relationship role"),
                _("Influence"),
                _("Attitude"),
                _("Contact details"),
            ],
            rows,
            [13, 15, 11, 12, 9, 9, 31],
            right={4},
        )
    )
    return story


def services_section(d: ClientDossier, number: str) -> list:
    story: list = [SectionHeading(_("Service commitments and services"), number=number)]
    story.append(SectionHeading(_("Service level commitments (SLA)"), level=2))
    if d.commitments:
        rows = [
            [
                c.title,
                metric_label(c.metric),
                "—" if c.target is None else f"{c.target:g}",
                or_dash(c.coverage),
                f"{fmt_date(c.valid_from)} – {fmt_date(c.valid_to)}",
                c.notes,
            ]
            for c in d.commitments
        ]
        story.append(
            data_table(
                [_("Commitment"), _("Metric"), _("Target"), _("Coverage"), _("Valid"), _("Notes")],
                rows,
                [24, 14, 8, 10, 20, 24],
                right={2},
            )
        )
    else:
        story.append(empty())
    story.append(SectionHeading(_("Services"), level=2))
    if d.services:
        head = [_("Service"), _("Category"), _("Status"), _("Period"), _("Deliveries"), _("Last delivered")]
        widths = [26, 14, 10, 22, 10, 14]
        if d.confidential_visible:
            head.append(_("Estimated value"))
            widths.append(14)
        rows = []
        for s in d.services:
            row = [
                f"{s.name}（{s.code}）" if s.code else s.name,
                label(OfferingCategory, s.category),
                label(ClientServiceStatus, s.status),
                f"{fmt_date(s.start_date)} – {fmt_date(s.end_date)}",
                str(s.deliveries),
                fmt_date(s.last_delivered),
            ]
            if d.confidential_visible:
                row.append(fmt_money(s.value_estimate))
            rows.append(row)
        story.append(data_table(head, rows, widths, right={4, 6}))
    else:
        story.append(empty())
    story.append(SectionHeading(_("Service notes"), level=2))
    if d.notes:
        rows = [
            [or_dash(n.category) + ("\n" + _("Confidential") if n.confidential else ""), n.text]
            for n in d.notes
        ]
        story.append(data_table([_("Category"), _("Note")], rows, [18, 82]))
    else:
        story.append(empty())
    return story


def _visit_block(v: VisitInfo) -> list:
    head = " · ".join(
        x
        for x in (
            fmt_datetime(v.planned_start),
            label(VisitKind, v.kind),
            label(VisitChannel, v.channel),
            label(VisitStatus, v.status),
            v.owner_name,
        )
        if x
    )
    rows = [[Paragraph(f'<font color="{NAVY.hexval()}">{text(head)}</font>', BODY)]]
    parts = [
        (_("Purpose"), v.purpose),
        (_("Location"), v.location),
        (_("Attendees"), "、".join(v.attendees) if v.attendees else None),
        (_("Outcome"), v.outcome),
        (_("Client requests"), v.client_requests),
        (_("Follow-ups"), v.follow_ups),
        (_("Next steps"), v.next_steps),
    ]
    for name, value in parts:
        if value:
            rows.append([Paragraph(f'<font color="#6B7785">{text(name)}：</font>{text(value)}', BODY_SMALL)])
    if not v.has_report and v.status == "done":
        rows.append([Paragraph(text(_("No visit report was written.")), MUTED_SMALL)])
    if v.photos:
        from .attachments import visit_photos

        rows += [[f] for f in visit_photos(v)]
    t = Table(rows, colWidths=[W])
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("LINEBEFORE", (0, 0), (0, -1), 2, NAVY_LIGHT),
                ("LEFTPADDING", (0, 0), (-1, -1), 8),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LINEBELOW", (0, -1), (-1, -1), 0.4, RULE),
            ]
        )
    )
    return [t, Spacer(1, 5)]


def visits_section(d: ClientDossier, number: str) -> list:
    story: list = [SectionHeading(_("Visit plan and visits"), number=number)]
    story.append(SectionHeading(_("Visit plan"), level=2))
    if d.plans:
        rows = []
        for p in d.plans:
            due = (
                coloured(_("{date} (overdue)").format(date=fmt_date(p.next_due)), BAD)
                if p.overdue
                else fmt_date(p.next_due)
            )
            rows.append(
                [
                    p.title or label(VisitKind, p.kind),
                    _("every {n} months").format(n=p.every_months) if p.every_months != 1 else _("monthly"),
                    p.owner_name,
                    fmt_date(p.last_done),
                    due,
                ]
            )
        story.append(
            data_table(
                [_("Cadence"), _("Every"), _("Owner"), _("Last held"), _("Next due")],
                rows,
                [28, 16, 18, 16, 22],
            )
        )
    else:
        story.append(empty(_("No visit plan.")))
    story.append(SectionHeading(_("Upcoming visits"), level=2))
    if d.upcoming_visits:
        rows = [
            [
                fmt_datetime(v.planned_start),
                label(VisitKind, v.kind),
                label(VisitChannel, v.channel),
                v.owner_name,
                v.purpose,
            ]
            for v in d.upcoming_visits[:12]
        ]
        story.append(
            data_table(
                [_("When"), _("Kind"), _("Channel"), _("Owner"), _("Purpose")], rows, [17, 16, 10, 14, 43]
            )
        )
    else:
        story.append(empty(_("No visit planned.")))
    story.append(SectionHeading(_("Visits in the last 12 months"), level=2))
    if d.recent_visits:
        for v in d.recent_visits:
            story += _visit_block(v)
    else:
        story.append(empty(_("No visit in the last 12 months.")))
    return story


def score_names() -> list[str]:
    return [_("Overall"), _("Service quality"), _("Responsiveness"), _("Professionalism"), _("Relationship")]


def surveys_section(d: ClientDossier, number: str) -> list:
    story: list = [SectionHeading(_("Satisfaction surveys"), number=number)]
    if not d.surveys:
        return story + [empty(_("No satisfaction survey yet."))]
    cats = [fmt_date(s.conducted_on) for s in d.surveys[-12:]]
    order = [4, 0, 1, 2, 3]  # overall first (the lead line), then the dimensions
    series = [[s.scores[i] for s in d.surveys[-12:]] for i in order]
    series[0] = [s.overall for s in d.surveys[-12:]]
    story.append(
        charts.line_chart(cats, series, score_names(), x_title=_("Survey date"), y_title=_("Score (1–5)"))
    )
    story.append(Spacer(1, 6))
    rows = []
    for s in reversed(d.surveys):
        rows.append(
            [
                fmt_date(s.conducted_on),
                s.respondent,
                *["—" if s.scores[i] is None else str(s.scores[i]) for i in order],
                s.comments,
            ]
        )
    story.append(
        data_table(
            [_("Date"), _("Respondent"), *score_names(), _("Comments")],
            rows,
            [11, 10, 9, 9, 9, 9, 9, 34],
            right={2, 3, 4, 5, 6},
        )
    )
    return story


def feedback_section(d: ClientDossier, number: str) -> list:
    story: list = [SectionHeading(_("Feedback"), number=number)]
    if not d.feedback:
        return story + [empty()]
    rows = []
    for f in d.feedback:
        subject = f.subject + ("\n" + f.description if f.description else "")
        deadline = fmt_datetime(f.due_at)
        if f.overdue:
            deadline_cell = coloured(_("{date} (overdue)").format(date=deadline), BAD)
        else:
            deadline_cell = deadline
        outcome = "\n".join(
            x for x in (f.resolution, f.answer and _("Answer: {text}").format(text=f.answer)) if x
        )
        if f.answered_at is not None:
            on_time = {True: _("on time"), False: _("late"), None: ""}[f.answered_on_time]
            outcome += (
                ("\n" if outcome else "")
                + _("Answered {date}").format(date=fmt_date(f.answered_at))
                + (f"（{on_time}）" if on_time else "")
            )
        rows.append(
            [
                fmt_date(f.received_at),
                label(FeedbackKind, f.kind) + "\n" + label(Severity, f.severity),
                subject,
                f.handler_name,
                deadline_cell,
                label(FeedbackStatus, f.status),
                outcome,
            ]
        )
    story.append(
        data_table(
            [
                _("Received on"),
                _("Kind / severity"),
                _("Subject"),
                _("Handler"),
                _("Deadline"),
                _("Status"),
                _("Handling outcome"),
            ],
            rows,
            [10, 10, 24, 9, 12, 11, 24],
        )
    )
    return story


def risks_section(d: ClientDossier, number: str) -> list:
    story: list = [SectionHeading(_("Risk flags"), number=number)]
    if not d.risks:
        return story + [empty(_("No risk flag."))]
    rows = []
    for r in d.risks:
        state = (
            coloured(_("In force"), BAD)
            if r.cleared_at is None
            else _("Cleared {date}").format(date=fmt_date(r.cleared_at))
        )
        rows.append(
            [
                label(RiskKind, r.kind),
                label(Severity, r.severity),
                r.note,
                f"{r.raised_by_name}\n{fmt_date(r.raised_at)}".strip(),
                state,
            ]
        )
    story.append(
        data_table([_("Risk"), _("Severity"), _("Note"), _("Raised"), _("State")], rows, [20, 9, 43, 14, 14])
    )
    return story


def equipment_section(d: ClientDossier, number: str) -> list:
    story: list = [SectionHeading(_("Equipment"), number=number)]
    if not d.equipment:
        return story + [empty()]

    def due(value):
        if value is None:
            return "—"
        return (
            coloured(_("{date} (overdue)").format(date=fmt_date(value)), BAD)
            if value < d.as_of
            else fmt_date(value)
        )

    rows = [
        [
            e.name + "\n" + " ".join(x for x in (e.model, e.serial and f"SN {e.serial}") if x),
            e.location,
            label(EquipmentStatus, e.status),
            fmt_date(e.last_serviced_on),
            due(e.next_service_due),
            fmt_date(e.last_calibrated_on),
            due(e.next_calibration_due),
        ]
        for e in sorted(d.equipment, key=lambda e: (e.next_due is None, e.next_due or d.as_of, e.name))
    ]
    story.append(
        data_table(
            [
                _("Equipment"),
                _("Location"),
                _("Status"),
                _("Last serviced"),
                _("Service due"),
                _("Last calibrated"),
                _("Calibration due"),
            ],
            rows,
            [24, 14, 10, 12, 14, 12, 14],
        )
    )
    return story


def improvement_section(d: ClientDossier, number: str) -> list:
    story: list = [SectionHeading(_("Improvement plan"), number=number)]
    if not d.improvement_items:
        return story + [empty(_("No improvement plan yet."))]
    rows = []
    for i in d.improvement_items:
        overdue = i.is_open and i.due_on is not None and i.due_on < d.as_of
        rows.append(
            [
                str(i.year or "—"),
                i.action,
                i.owner_name,
                coloured(fmt_date(i.due_on), BAD) if overdue else fmt_date(i.due_on),
                label(ItemStatus, i.status),
                i.result,
            ]
        )
    story.append(
        data_table(
            [_("Year"), _("Action"), _("Owner"), _("Due"), _("Status"), _("Result")],
            rows,
            [7, 36, 11, 11, 10, 25],
        )
    )
    return story


def opportunities_section(d: ClientDossier, number: str) -> list:
    story: list = [SectionHeading(_("Opportunities"), number=number)]
    if not d.opportunities:
        return story + [empty()]
    head = [_("Opportunity"), _("Stage"), _("Expected")]
    widths = [34, 12, 12]
    if d.confidential_visible:
        head.append(_("Estimated value"))
        widths.append(13)
    head.append(_("Notes"))
    widths.append(29)
    rows = []
    for o in d.opportunities:
        row = [o.title, label(OpportunityStage, o.stage), fmt_date(o.expected_on)]
        if d.confidential_visible:
            row.append(fmt_money(o.estimated_value))
        row.append(o.notes)
        rows.append(row)
    story.append(data_table(head, rows, widths, right={3} if d.confidential_visible else set()))
    return story


def ownership_section(d: ClientDossier, number: str) -> list:
    story: list = [SectionHeading(_("Ownership history"), number=number)]
    if not d.ownership and not d.handovers:
        return story + [empty(_("No change of account manager."))]
    if d.ownership:
        rows = [
            [fmt_date(o.at), label(OwnershipKind, o.kind), o.from_name, o.to_name, o.by_name, o.reason]
            for o in d.ownership
        ]
        story.append(
            data_table(
                [_("Date"), _("Role"), _("From"), _("To"), _("By"), _("Reason")],
                rows,
                [11, 13, 12, 12, 12, 40],
            )
        )
    if d.handovers:
        story.append(SectionHeading(_("Handovers"), level=2))
        rows = []
        for h in d.handovers:
            done = sum(1 for c in h.checklist if c.done)
            rows.append([fmt_date(h.at), h.from_name, h.to_name, h.reason, f"{done} / {len(h.checklist)}"])
        story.append(
            data_table(
                [_("Date"), _("From"), _("To"), _("Reason"), _("Checklist done")],
                rows,
                [12, 14, 14, 46, 14],
                right={4},
            )
        )
    return story
