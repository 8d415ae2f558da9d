"""The handover report (工作交接): what a successor needs on day one — the reason and checklist
of the handover, key contacts and their attitudes, open feedback, commitments, upcoming visits,
open improvement items, active risks and the service notes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from reportlab.platypus import Spacer, Table, TableStyle

from ..i18n import _
from ..labels import label
from ..models.enums import ClientServiceStatus, HandoverStatus, OfferingCategory, VisitStatus
from ..services.context import AppContext
from ..services.dossier import CommitmentInfo, HandoverInfo, HandoverReportData, load_handover
from .batch import RenderResult, meta_for
from .document import SectionHeading, build_pdf
from .dossier import (
    _Numbers,
    _visit_block,
    coloured,
    contacts_section,
    cover,
    empty,
    feedback_section,
    improvement_section,
    metric_label,
    risks_section,
)
from .fonts import FONT
from .styles import (
    BODY,
    CONTENT_WIDTH,
    GOOD,
    LABEL,
    MUTED,
    WARN,
    Story,
    data_table,
    fmt_date,
    fmt_datetime,
    key_value_table,
    or_dash,
    text,
)
from .wrap import Paragraph


def handover_story(data: HandoverReportData) -> Story:
    d = data.dossier
    h = data.handover
    extra = []
    if h is not None:
        extra = [
            (_("Handed over by"), or_dash(h.from_name)),
            (_("Taken over by"), or_dash(h.to_name)),
            (_("Handover date"), fmt_date(h.at)),
        ]
    story = cover(d, _("Handover report"), extra=extra)
    num = _Numbers()
    story.append(SectionHeading(_("The handover"), number=num()))
    if h is None:
        story.append(
            empty(
                _(
                    "No handover has been recorded for this client yet; this report shows what a successor would need."
                )
            )
        )
    else:
        story.append(
            key_value_table(
                [
                    (_("From"), h.from_name),
                    (_("To"), h.to_name),
                    (_("Decided by"), h.by_name),
                    (_("Date"), fmt_datetime(h.at)),
                    (_("Status"), label(HandoverStatus, h.status)),
                    (_("Checklist"), f"{sum(c.done for c in h.checklist)} / {len(h.checklist)}"),
                ]
            )
        )
        story += [Spacer(1, 4), Paragraph(text(_("Reason")), LABEL), Paragraph(text(or_dash(h.reason)), BODY)]
        if h.notes:
            story += [Paragraph(text(_("Notes")), LABEL), Paragraph(text(h.notes), BODY)]
        story.append(SectionHeading(_("Checklist"), level=2))
        if h.checklist:
            rows = [
                [
                    coloured(_("Done"), GOOD) if c.done else coloured(_("Open"), WARN),
                    _(c.label) if c.label else "",
                    c.detail,
                ]
                for c in h.checklist
            ]
            story.append(data_table([_("State"), _("Item"), _("Detail")], rows, [12, 38, 50]))
        else:
            story.append(empty())
    # key contacts: the people still at the client, most influential first
    current = tuple(
        sorted((c for c in d.contacts if not c.has_left), key=lambda c: (-(c.influence or 0), c.name))
    )
    story += contacts_section(dataclasses.replace(d, contacts=current), num())
    open_fb = dataclasses.replace(d, feedback=tuple(f for f in d.feedback if f.is_open))
    fb = feedback_section(open_fb, num())
    fb[0].title = _("Open feedback")
    story += fb
    story.append(SectionHeading(_("Commitments and services"), number=num()))
    if d.commitments:
        rows = [
            [
                c.title,
                metric_label(c.metric),
                "—" if c.target is None else f"{c.target:g}",
                or_dash(c.coverage),
                fmt_date(c.valid_to),
                commitment_state(c, d.as_of),
            ]
            for c in d.commitments
        ]
        story.append(
            data_table(
                [_("Commitment"), _("Metric"), _("Target"), _("Coverage"), _("Valid to"), _("State")],
                rows,
                [32, 16, 9, 14, 14, 15],
                right={2},
            )
        )
    else:
        story.append(empty())
    running = [s for s in d.services if s.status in ("active", "proposed", "paused")]
    if running:
        story.append(SectionHeading(_("Services in progress"), level=2))
        rows = [
            [
                s.name,
                label(OfferingCategory, s.category),
                label(ClientServiceStatus, s.status),
                fmt_date(s.start_date),
                str(s.deliveries),
                fmt_date(s.last_delivered),
            ]
            for s in running
        ]
        story.append(
            data_table(
                [_("Service"), _("Category"), _("Status"), _("Since"), _("Deliveries"), _("Last delivered")],
                rows,
                [32, 16, 12, 14, 10, 16],
                right={4},
            )
        )
    story.append(SectionHeading(_("Upcoming visits"), number=num()))
    if d.plans:
        rows = [
            [
                p.title or label_kind(p.kind),
                p.owner_name,
                fmt_date(p.last_done),
                coloured(_("{date} (overdue)").format(date=fmt_date(p.next_due)), WARN)
                if p.overdue
                else fmt_date(p.next_due),
            ]
            for p in d.plans
        ]
        story.append(
            data_table([_("Cadence"), _("Owner"), _("Last held"), _("Next due")], rows, [34, 22, 20, 24])
        )
        story.append(Spacer(1, 4))
    if d.upcoming_visits:
        rows = [
            [fmt_datetime(v.planned_start), label_kind(v.kind), v.owner_name, v.purpose]
            for v in d.upcoming_visits[:10]
        ]
        story.append(data_table([_("When"), _("Kind"), _("Owner"), _("Purpose")], rows, [18, 18, 16, 48]))
    elif not d.plans:
        story.append(empty(_("No visit planned.")))
    if d.recent_visits:
        story.append(SectionHeading(_("Visits of the last 12 months"), level=2))
        rows = [
            [
                fmt_date(v.planned_start),
                label_kind(v.kind),
                label(VisitStatus, v.status),
                v.owner_name,
                brief(v.outcome or v.purpose),
            ]
            for v in d.recent_visits
        ]
        story.append(
            data_table(
                [_("Date"), _("Kind"), _("Status"), _("Owner"), _("In brief")], rows, [13, 16, 10, 12, 49]
            )
        )
        for v in d.recent_visits[:1]:  # the latest in full
            story += _visit_block(v)
    open_items = dataclasses.replace(d, improvement_items=tuple(i for i in d.improvement_items if i.is_open))
    imp = improvement_section(open_items, num())
    imp[0].title = _("Open improvement items")
    story += imp
    story += risks_section(dataclasses.replace(d, risks=d.active_risks), num())
    story.append(SectionHeading(_("Service notes"), number=num()))
    if d.notes:
        rows = [
            [or_dash(n.category) + ("\n" + _("Confidential") if n.confidential else ""), n.text]
            for n in d.notes
        ]
        story.append(data_table([_("Category"), _("Note")], rows, [18, 82]))
    else:
        story.append(empty())
    story += signature_block(h, num())
    return story


def commitment_state(c: CommitmentInfo, as_of: dt.date) -> str:
    if c.valid_to is not None and c.valid_to < as_of:
        return _("Expired")
    if c.valid_from is not None and c.valid_from > as_of:
        return _("Not yet in force")
    return _("In force")


def brief(value: str | None, width: int = 80) -> str:
    line = " ".join((value or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


def signature_block(h: HandoverInfo | None, number: str) -> Story:
    """Who hands over, who takes over and who decided, each with a line to sign and a date."""
    story: Story = [
        SectionHeading(_("Signatures"), number=number),
        Paragraph(
            text(
                _(
                    "By signing, the successor confirms having received the client, its open work and "
                    "this checklist."
                )
            ),
            BODY,
        ),
        Spacer(1, 6),
    ]
    people = [
        (_("Handed over by"), h.from_name if h else ""),
        (_("Taken over by"), h.to_name if h else ""),
        (_("Supervisor"), h.by_name if h else ""),
    ]
    cells = [
        [title for title, _n in people],
        [or_dash(name) for _t, name in people],
        [_("Signature:") + " " + "_" * 14 for _p in people],
        [_("Date:") + " " + "_" * 16 for _p in people],
    ]
    table = Table(cells, colWidths=[CONTENT_WIDTH / 3] * 3, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
                ("TOPPADDING", (0, 2), (-1, -1), 14),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ]
        )
    )
    story.append(table)
    return story


def label_kind(kind: str) -> str:
    from ..models.enums import VisitKind

    return label(VisitKind, kind)


def render_handover(
    ctx: AppContext, client_id: str, out_path: Path | str, *, handover_id: str | None = None
) -> RenderResult:
    """Print the handover report of a client (the given handover, else its latest one)."""
    data = load_handover(ctx, client_id, handover_id)
    d = data.dossier
    meta = meta_for(
        _("Handover report"),
        generated_at=d.generated_at,
        generated_by=d.generated_by,
        title=_("Handover report") + f" — {d.profile.name}",
    )
    pages = build_pdf(out_path, handover_story(data), meta)
    return RenderResult(Path(out_path), pages, 1)
