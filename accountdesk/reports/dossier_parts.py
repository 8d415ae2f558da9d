"""What the dossier's pages share: the marking, the cover, numbered sections, empty and coloured
cells, metric labels (also used by the handover and portfolio reports)."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Spacer, Table, TableStyle

from ..i18n import _
from ..labels import label
from ..labels import metric_label as _metric_label
from ..models.enums import (
    ClientStatus,
    Tier,
)
from ..services.dossier import ClientDossier
from .document import DocStart, TocPlaceholder
from .fonts import FONT
from .styles import (
    BAD,
    BODY,
    BODY_SMALL,
    CELL,
    COVER_SUB,
    COVER_TITLE,
    EMPTY,
    MARGIN_TOP,
    Story,
    fmt_date,
    key_value_table,
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


def coloured(value: str, colour: Color) -> Paragraph:
    return Paragraph(f'<font color="{colour.hexval()}">{text(value)}</font>', CELL)


def cover(d: ClientDossier, kind: str, *, extra: Sequence[tuple[str, str]] = ()) -> Story:
    """The cover of a dossier-like report (also used by the handover report)."""
    p = d.profile
    from .document import COVER_BAND

    story: Story = [DocStart(p.id, p.name, cover=True), Spacer(1, COVER_BAND - MARGIN_TOP + 12 * mm)]
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
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return str(self.n)
