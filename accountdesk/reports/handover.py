"""The handover report (工作交接): what a successor needs on day one — the reason and checklist
of the handover, key contacts and their attitudes, open feedback, commitments, upcoming visits,
open improvement items, active risks and the service notes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from reportlab.platypus import Spacer

from ..i18n import _
from ..labels import label
from ..models.enums import HandoverStatus
from ..services.context import AppContext
from ..services.dossier import HandoverReportData, load_handover
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
from .styles import (
    BODY,
    GOOD,
    LABEL,
    WARN,
    data_table,
    fmt_date,
    fmt_datetime,
    key_value_table,
    or_dash,
    text,
)
from .wrap import Paragraph


def handover_story(data: HandoverReportData) -> list:
    d = data.dossier
    h = data.handover
    extra = []
    if h is not None:
        extra = [(_("Handed over by"), or_dash(h.from_name)), (_("Taken over by"), or_dash(h.to_name)), (_("Handover date"), fmt_date(h.at))]
    story = cover(d, _("Handover report"), extra=extra)
    num = _Numbers()
    story.append(SectionHeading(_("The handover"), number=num()))
    if h is None:
        story.append(empty(_("No handover has been recorded for this client yet; this report shows what a successor would need.")))
    else:
        story.append(key_value_table([
            (_("From"), h.from_name), (_("To"), h.to_name), (_("Decided by"), h.by_name), (_("Date"), fmt_datetime(h.at)),
            (_("Status"), label(HandoverStatus, h.status)), (_("Checklist"), f"{sum(c.done for c in h.checklist)} / {len(h.checklist)}"),
        ]))
        story += [Spacer(1, 4), Paragraph(text(_("Reason")), LABEL), Paragraph(text(or_dash(h.reason)), BODY)]
        if h.notes:
            story += [Paragraph(text(_("Notes")), LABEL), Paragraph(text(h.notes), BODY)]
        story.append(SectionHeading(_("Checklist"), level=2))
        if h.checklist:
            rows = [[coloured(_("Done"), GOOD) if c.done else coloured(_("Open"), WARN), _(c.label) if c.label else "", c.detail] for c in h.checklist]
            story.append(data_table([_("State"), _("Item"), _("Detail")], rows, [12, 38, 50]))
        else:
            story.append(empty())
    # key contacts: the people still at the client, most influential first
    current = tuple(sorted((c for c in d.contacts if not c.has_left), key=lambda c: (-(c.influence or 0), c.name)))
    story += contacts_section(dataclasses.replace(d, contacts=current), num())
    open_fb = dataclasses.replace(d, feedback=tuple(f for f in d.feedback if f.is_open))
    fb = feedback_section(open_fb, num())
    fb[0].title = _("Open feedback")
    story += fb
    story.append(SectionHeading(_("Commitments and services"), number=num()))
    if d.commitments:
        rows = [[c.title, metric_label(c.metric), "—" if c.target is None else f"{c.target:g}", or_dash(c.coverage), fmt_date(c.valid_to)] for c in d.commitments]
        story.append(data_table([_("Commitment"), _("Metric"), _("Target"), _("Coverage"), _("Valid to")], rows, [36, 18, 10, 16, 20], right={2}))
    else:
        story.append(empty())
    active = [s for s in d.services if s.status == "active"]
    if active:
        story.append(Paragraph(text(_("Active services: {names}").format(names="、".join(s.name for s in active))), BODY))
    story.append(SectionHeading(_("Upcoming visits"), number=num()))
    if d.plans:
        rows = [[p.title or label_kind(p.kind), p.owner_name, fmt_date(p.last_done),
                 coloured(_("{date} (overdue)").format(date=fmt_date(p.next_due)), WARN) if p.overdue else fmt_date(p.next_due)] for p in d.plans]
        story.append(data_table([_("Cadence"), _("Owner"), _("Last held"), _("Next due")], rows, [34, 22, 20, 24]))
        story.append(Spacer(1, 4))
    if d.upcoming_visits:
        rows = [[fmt_datetime(v.planned_start), label_kind(v.kind), v.owner_name, v.purpose] for v in d.upcoming_visits[:10]]
        story.append(data_table([_("When"), _("Kind"), _("Owner"), _("Purpose")], rows, [18, 18, 16, 48]))
    elif not d.plans:
        story.append(empty(_("No visit planned.")))
    if d.recent_visits:
        story.append(SectionHeading(_("The last visits"), level=2))
        for v in d.recent_visits[:3]:
            story += _visit_block(v)
    open_items = dataclasses.replace(d, improvement_items=tuple(i for i in d.improvement_items if i.is_open))
    imp = improvement_section(open_items, num())
    imp[0].title = _("Open improvement items")
    story += imp
    story += risks_section(dataclasses.replace(d, risks=d.active_risks), num())
    story.append(SectionHeading(_("Service notes"), number=num()))
    if d.notes:
        rows = [[or_dash(n.category) + ("\n" + _("Confidential") if n.confidential else ""), n.text] for n in d.notes]
        story.append(data_table([_("Category"), _("Note")], rows, [18, 82]))
    else:
        story.append(empty())
    return story


def label_kind(kind: str) -> str:
    from ..models.enums import VisitKind

    return label(VisitKind, kind)


def render_handover(ctx: AppContext, client_id: str, out_path: Path | str, *, handover_id: str | None = None) -> RenderResult:
    """Print the handover report of a client (the given handover, else its latest one)."""
    data = load_handover(ctx, client_id, handover_id)
    d = data.dossier
    meta = meta_for(_("Handover report"), generated_at=d.generated_at, generated_by=d.generated_by,
                    title=_("Handover report") + f" — {d.profile.name}")
    pages = build_pdf(out_path, handover_story(data), meta)
    return RenderResult(Path(out_path), pages, 1)
