"""Attachments in the client dossier (issue 18): the list of the client's files, and, when asked
for (``visit_photos``), each visit's photos printed in its visit report, scaled."""

from __future__ import annotations

import io

from reportlab.lib.units import mm
from reportlab.platypus import Image, Table, TableStyle

from ..i18n import _
from ..labels import label
from ..models.enums import AttachmentKind
from ..services.attachments import human_size
from ..services.dossier import ClientDossier, VisitInfo
from .document import SectionHeading
from .previews import scaled_jpeg
from .styles import CONTENT_WIDTH as W
from .styles import EMPTY, Story, data_table, fmt_date, text

#: Printed photos: this many per row, this high at most.
PER_ROW = 3
MAX_HEIGHT = 55 * mm


def attachments_section(d: ClientDossier, number: str) -> Story:
    from reportlab.platypus import Paragraph

    story: Story = [SectionHeading(_("Attachments"), number=number)]
    if not d.attachments:
        return story + [Paragraph(text(_("No files are kept with this client.")), EMPTY)]
    rows = []
    for a in d.attachments:
        title = a.title + (" 🔒" if a.confidential else "")
        rows.append(
            [
                title + "\n" + a.file_name,
                label(AttachmentKind, a.kind),
                a.attached_to or _("the client"),
                human_size(a.size),
                fmt_date(a.added_at.date() if hasattr(a.added_at, "date") else a.added_at),
                a.added_by,
                a.sha256[:10],
            ]
        )
    story.append(
        data_table(
            [_("File"), _("Kind"), _("Attached to"), _("Size"), _("Added"), _("Added by"), "SHA-256"],
            rows,
            [24, 17, 18, 8, 11, 10, 12],
            right={3},
        )
    )
    return story


def visit_photos(v: VisitInfo) -> Story:
    """A grid of the visit's photos (scaled down to print size, upright), or nothing."""
    cells = []
    width = (W - 4 * mm * (PER_ROW - 1)) / PER_ROW
    for data in v.photos:
        jpeg = scaled_jpeg(data, None, max_side=1200)
        if jpeg is None:
            continue
        img = Image(io.BytesIO(jpeg))
        scale = min(width / img.imageWidth, MAX_HEIGHT / img.imageHeight)
        img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
        cells.append(img)
    if not cells:
        return []
    rows = [cells[i : i + PER_ROW] for i in range(0, len(cells), PER_ROW)]
    rows[-1] += [""] * (PER_ROW - len(rows[-1]))
    table = Table(rows, colWidths=[width + 4 * mm] * PER_ROW)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return [table]
