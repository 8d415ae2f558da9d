"""The dossier's sections about the client and the service: profile, contacts and org chart,
services and commitments, visits with their reports, survey trend."""

from __future__ import annotations

from reportlab.platypus import Spacer, Table, TableStyle

from ..domain.validation import format_phone
from ..i18n import _
from ..labels import label
from ..models.enums import (
    Attitude,
    BuyingRole,
    ClientServiceStatus,
    ClientStatus,
    OfferingCategory,
    RelationshipRole,
    RiskKind,
    Tier,
    VisitChannel,
    VisitKind,
    VisitStatus,
)
from ..services.dossier import ClientDossier, VisitInfo
from . import charts
from .document import SectionHeading
from .dossier_parts import (
    coloured,
    empty,
    metric_label,
)
from .fonts import FONT
from .orgchart import legend, org_chart
from .styles import (
    BAD,
    BODY,
    BODY_SMALL,
    GOOD,
    LABEL,
    MUTED_SMALL,
    NAVY,
    NAVY_LIGHT,
    RULE,
    SLATE,
    Rows,
    Story,
    data_table,
    fmt_date,
    fmt_datetime,
    fmt_money,
    key_value_table,
    or_dash,
    text,
)
from .styles import CONTENT_WIDTH as W
from .wrap import Paragraph


def profile_section(d: ClientDossier, number: str) -> Story:
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
    story: Story = [SectionHeading(_("Profile"), number=number), key_value_table(pairs, columns=2)]
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


def contacts_section(d: ClientDossier, number: str) -> Story:
    story: Story = [SectionHeading(_("Contacts and org chart"), number=number)]
    if not d.contacts:
        return story + [empty()]
    for drawing in org_chart(d.contacts):
        story += [drawing, Spacer(1, 4)]
    story += [legend(), Spacer(1, 6)]
    rows: Rows = []
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


def services_section(d: ClientDossier, number: str) -> Story:
    story: Story = [SectionHeading(_("Service commitments and services"), number=number)]
    story.append(SectionHeading(_("Service level commitments (SLA)"), level=2))
    if d.commitments:
        rows: Rows = [
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


def _visit_block(v: VisitInfo) -> Story:
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
    rows: Rows = [[Paragraph(f'<font color="{NAVY.hexval()}">{text(head)}</font>', BODY)]]
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


def visits_section(d: ClientDossier, number: str) -> Story:
    story: Story = [SectionHeading(_("Visit plan and visits"), number=number)]
    story.append(SectionHeading(_("Visit plan"), level=2))
    if d.plans:
        rows: Rows = []
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


def surveys_section(d: ClientDossier, number: str) -> Story:
    story: Story = [SectionHeading(_("Satisfaction surveys"), number=number)]
    if not d.surveys:
        return story + [empty(_("No satisfaction survey yet."))]
    cats = [fmt_date(s.conducted_on) for s in d.surveys[-12:]]
    order = [4, 0, 1, 2, 3]  # overall first (the lead line), then the dimensions
    series: list[list[float | None]] = [[s.scores[i] for s in d.surveys[-12:]] for i in order]
    series[0] = [s.overall for s in d.surveys[-12:]]
    story.append(
        charts.line_chart(cats, series, score_names(), x_title=_("Survey date"), y_title=_("Score (1–5)"))
    )
    story.append(Spacer(1, 6))
    rows: Rows = []
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
