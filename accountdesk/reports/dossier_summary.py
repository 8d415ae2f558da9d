"""The dossier's one-page summary at the front: tiles of figures, what is open, the commitments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from reportlab.lib.colors import Color
from reportlab.platypus import KeepInFrame, PageBreak, Spacer, Table, TableStyle

from ..domain.validation import format_phone
from ..i18n import _
from ..labels import label
from ..models.enums import (
    Attitude,
    BuyingRole,
    RiskKind,
    Severity,
    VisitKind,
)
from ..services.dossier import ClientDossier, CommitmentInfo
from .document import SectionHeading
from .dossier_parts import (
    coloured,
    empty,
    metric_label,
)
from .fonts import FONT
from .styles import (
    BAD,
    BODY_SMALL,
    GOOD,
    KPI_LABEL,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    NAVY,
    NAVY_LIGHT,
    PAGE,
    RULE,
    SLATE,
    WARN,
    Story,
    data_table,
    fmt_date,
    fmt_datetime,
    kpi_style,
    or_dash,
    text,
)
from .styles import CONTENT_WIDTH as W
from .wrap import Paragraph

SUMMARY_ROWS = 5
FEEDBACK_ANSWER_KINDS = ("complaint", "appeal")


def _tiles(items: list[tuple[str, str, Color]]) -> Table:
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


def commitment_state(c: CommitmentInfo, as_of: dt.date) -> tuple[str, Color]:
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


def summary_page(d: ClientDossier) -> Story:
    """One page at the front: health and its reasons, what falls due next, open complaints, key
    contacts and the service level commitments, so a reader need not go through the visit log."""
    p = d.profile
    story: Story = [SectionHeading(_("At a glance"))]
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
        rows: list[list[Any]] = []  # cells: text, Paragraphs or None
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
        for cm in d.commitments[:SUMMARY_ROWS]:
            state, colour = commitment_state(cm, d.as_of)
            target = "—" if cm.target is None else f"{cm.target:g}"
            rows.append([cm.title, metric_label(cm.metric), target, coloured(state, colour)])
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
