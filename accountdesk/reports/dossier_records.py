"""The dossier's sections about what happened: feedback, risks, equipment, improvement plan,
opportunities and ownership history."""

from __future__ import annotations

import datetime as dt

from ..i18n import _
from ..labels import label
from ..models.enums import (
    EquipmentStatus,
    FeedbackKind,
    FeedbackStatus,
    ItemStatus,
    OpportunityStage,
    OwnershipKind,
    RiskKind,
    Severity,
)
from ..services.dossier import ClientDossier
from .document import SectionHeading
from .dossier_parts import (
    coloured,
    empty,
)
from .styles import (
    BAD,
    Rows,
    Story,
    data_table,
    fmt_date,
    fmt_datetime,
    fmt_money,
)
from .wrap import Paragraph


def feedback_section(d: ClientDossier, number: str) -> Story:
    story: Story = [SectionHeading(_("Feedback"), number=number)]
    if not d.feedback:
        return story + [empty()]
    rows: Rows = []
    for f in d.feedback:
        subject = f.subject + ("\n" + f.description if f.description else "")
        deadline = fmt_datetime(f.due_at)
        if f.overdue:
            deadline_cell: Paragraph | str = coloured(_("{date} (overdue)").format(date=deadline), BAD)
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


def risks_section(d: ClientDossier, number: str) -> Story:
    story: Story = [SectionHeading(_("Risk flags"), number=number)]
    if not d.risks:
        return story + [empty(_("No risk flag."))]
    rows: Rows = []
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


def equipment_section(d: ClientDossier, number: str) -> Story:
    story: Story = [SectionHeading(_("Equipment"), number=number)]
    if not d.equipment:
        return story + [empty()]

    def due(value: dt.date | None) -> Paragraph | str:
        if value is None:
            return "—"
        return (
            coloured(_("{date} (overdue)").format(date=fmt_date(value)), BAD)
            if value < d.as_of
            else fmt_date(value)
        )

    rows: Rows = [
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


def improvement_section(d: ClientDossier, number: str) -> Story:
    story: Story = [SectionHeading(_("Improvement plan"), number=number)]
    if not d.improvement_items:
        return story + [empty(_("No improvement plan yet."))]
    rows: Rows = []
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


def opportunities_section(d: ClientDossier, number: str) -> Story:
    story: Story = [SectionHeading(_("Opportunities"), number=number)]
    if not d.opportunities:
        return story + [empty()]
    head = [_("Opportunity"), _("Stage"), _("Expected")]
    widths = [34, 12, 12]
    if d.confidential_visible:
        head.append(_("Estimated value"))
        widths.append(13)
    head.append(_("Notes"))
    widths.append(29)
    rows: Rows = []
    for o in d.opportunities:
        row: list[str | None] = [o.title, label(OpportunityStage, o.stage), fmt_date(o.expected_on)]
        if d.confidential_visible:
            row.append(fmt_money(o.estimated_value))
        row.append(o.notes)
        rows.append(row)
    story.append(data_table(head, rows, widths, right={3} if d.confidential_visible else set()))
    return story


def ownership_section(d: ClientDossier, number: str) -> Story:
    story: Story = [SectionHeading(_("Ownership history"), number=number)]
    if not d.ownership and not d.handovers:
        return story + [empty(_("No change of account manager."))]
    if d.ownership:
        rows: Rows = [
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
