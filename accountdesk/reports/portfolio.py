"""The portfolio / business-analysis report (客户经营分析报告): the customer pyramid and share of
fees per tier, segmentation by region, industry and tier, visits done against planned per
manager, overdue visits, the satisfaction trend, complaints and the share answered on time,
at-risk clients with their reasons, and renewals due."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer, Table, TableStyle

from ..i18n import _
from ..labels import label
from ..models.enums import Tier, VisitKind
from ..services.context import AppContext
from ..services.dossier import TIER_ORDER, PortfolioData, SegmentRow, load_portfolio
from . import charts
from .batch import RenderResult, meta_for
from .document import COVER_BAND, DocStart, ProgressFn, SectionHeading, TocPlaceholder, build_pdf
from .dossier import _Numbers, coloured, empty, marking
from .fonts import FONT
from .styles import (
    BAD,
    BODY,
    BODY_SMALL,
    COVER_SUB,
    COVER_TITLE,
    GOOD,
    KPI_LABEL,
    KPI_PAD,
    MARGIN_TOP,
    NAVY_LIGHT,
    NOTE,
    RULE,
    SERIES,
    WARN,
    Rows,
    Story,
    data_table,
    fmt_date,
    fmt_money,
    fmt_pct,
    key_value_table,
    kpi_style,
    text,
)
from .styles import CONTENT_WIDTH as W
from .wrap import Paragraph

MAX_ROWS = 40


def _kpis(items: list[tuple[str, str]]) -> Table:
    width = W / len(items)
    cells = [
        [Paragraph(text(v), kpi_style(v, width)) for _l, v in items],
        [Paragraph(text(lab), KPI_LABEL) for lab, _v in items],
    ]
    t = Table(cells, colWidths=[width] * len(items))
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("BACKGROUND", (0, 0), (-1, -1), NAVY_LIGHT),
                ("LINEBEFORE", (1, 0), (-1, -1), 0.6, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), KPI_PAD),
                ("RIGHTPADDING", (0, 0), (-1, -1), KPI_PAD),
                ("TOPPADDING", (0, 0), (-1, 0), 8),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 8),
            ]
        )
    )
    return t


def _cover(p: PortfolioData) -> Story:
    story: Story = [
        DocStart(
            "portfolio",
            _("Portfolio and business analysis") + f"  {fmt_date(p.date_from)} – {fmt_date(p.date_to)}",
            cover=True,
        ),
        Spacer(1, COVER_BAND - MARGIN_TOP + 12 * mm),
    ]
    story.append(Paragraph(text(_("Portfolio and business analysis")), COVER_TITLE))
    story.append(
        Paragraph(
            text(_("Period {start} – {end}").format(start=fmt_date(p.date_from), end=fmt_date(p.date_to))),
            COVER_SUB,
        )
    )
    story.append(Spacer(1, 8 * mm))
    visits_planned = sum(m.planned for m in p.visits_by_manager)
    visits_done = sum(m.done for m in p.visits_by_manager)
    kpis = [(_("Number of clients"), f"{p.clients:,}")]
    if p.confidential_visible:
        kpis.append((_("Annual fees"), fmt_money(p.total_fees)))
    kpis += [
        (_("Visits done / planned"), f"{visits_done} / {visits_planned}"),
        (_("Overdue visits"), str(len(p.overdue_visits))),
        (_("Complaints answered on time"), fmt_pct(p.on_time_share)),
        (_("At-risk clients"), str(len(p.at_risk))),
    ]
    story.append(_kpis(kpis))
    story.append(Spacer(1, 6 * mm))
    story.append(
        key_value_table(
            [
                (_("Period"), f"{fmt_date(p.date_from)} – {fmt_date(p.date_to)}"),
                (_("As of"), fmt_date(p.as_of)),
                (_("Prepared by"), p.generated_by),
                (_("Marking"), marking()),
            ]
        )
    )
    if not p.confidential_visible:
        story.append(
            Paragraph(
                text(
                    _(
                        "Confidential figures (annual fees, values, confidential notes) are left out of this copy."
                    )
                ),
                NOTE,
            )
        )
    story += [Spacer(1, 10 * mm), TocPlaceholder(300), PageBreak()]
    return story


def _segment_table(
    rows: tuple[SegmentRow, ...], head: str, p: PortfolioData, *, tier_labels: bool = False
) -> Flowable:
    if not rows:
        return empty(_("No paying client."))
    shown = list(rows[:15])
    rest = rows[15:]
    total = sum(r.clients for r in rows) or 1
    total_fees = p.total_fees or 0
    headers = [head, _("Number of clients"), _("Share of clients"), _("At risk")]
    widths = [34, 12, 16, 12]
    if p.confidential_visible:
        headers += [_("Annual fees"), _("Share of fees")]
        widths += [16, 14]
    out: Rows = []

    def line(name: str, clients: int, at_risk: int, fees: float | None) -> list[str]:
        row = [name, str(clients), fmt_pct(clients / total), str(at_risk) if at_risk else "—"]
        if p.confidential_visible:
            row += [fmt_money(fees), fmt_pct((fees or 0) / total_fees if total_fees else None)]
        return row

    for r in shown:
        out.append(line(label(Tier, r.key) if tier_labels else r.key, r.clients, r.at_risk, r.fees))
    if rest:
        out.append(
            line(
                _("Others ({n})").format(n=len(rest)),
                sum(r.clients for r in rest),
                sum(r.at_risk for r in rest),
                sum(r.fees or 0 for r in rest),
            )
        )
    return data_table(headers, out, widths, right={1, 2, 3, 4, 5})


def _more(n: int) -> str | None:
    return _("… and {n} more.").format(n=n) if n > 0 else None


def pyramid_definition(total: int) -> str:
    """The grouping of the pyramid, printed under it."""
    return _(
        "Each layer counts the paying clients (not prospects, not lost) by the tier assigned to the client — the same "
        "grouping as the table “By tier”. Total: {n} clients."
    ).format(n=total)


def _served_cell(share: float | None) -> str:
    if share is None:
        return "—"
    return coloured(fmt_pct(share), GOOD if share >= 0.9 else WARN if share >= 0.7 else BAD)


def _served_section(p: PortfolioData, number: str) -> Story:
    """Served to the tier's standard, per tier and per account manager: the figures the
    dashboard shows (the same function computes both)."""
    story: Story = [SectionHeading(_("Served to the tier's standard"), number=number)]
    if not p.clients:
        return story + [empty(_("No clients."))]
    story.append(
        Paragraph(
            text(
                _(
                    "A client is served to its standard when every cadence of its tier's service standard is in "
                    "place, at least as often, and none is overdue (as of {date})."
                ).format(date=fmt_date(p.as_of))
            ),
            NOTE,
        )
    )
    head = [_("Number of clients"), _("Served to standard"), _("Share served")]
    rows: Rows = [
        [label(Tier, r.key), str(r.clients), str(r.served), _served_cell(r.share)] for r in p.served_by_tier
    ]
    story.append(SectionHeading(_("By tier"), level=2))
    story.append(data_table([_("Tier"), *head], rows, [34, 22, 22, 22], right={1, 2, 3}))
    rows = [[r.key, str(r.clients), str(r.served), _served_cell(r.share)] for r in p.served_by_manager]
    story.append(SectionHeading(_("By account manager"), level=2))
    story.append(
        data_table(
            [_("Account manager"), *head],
            rows[:MAX_ROWS],
            [34, 22, 22, 22],
            right={1, 2, 3},
            more=_more(len(rows) - MAX_ROWS),
        )
    )
    return story


def portfolio_story(p: PortfolioData) -> Story:
    story = _cover(p)
    num = _Numbers()
    # 1 pyramid: one grouping, the tier assigned to each client, the same clients as "By tier"
    story.append(SectionHeading(_("Customer pyramid"), number=num()))
    paying = sum(t.clients for t in p.pyramid)
    levels: list[tuple[str, str, str]] = []
    for t in p.pyramid:
        detail = (
            _("{n} clients").format(n=t.clients)
            + " · "
            + _("{share} of clients").format(share=fmt_pct(t.clients / paying if paying else None))
        )
        if p.confidential_visible:
            detail += " · " + _("{share} of fees").format(share=fmt_pct(t.fee_share))
        levels.append((label(Tier, t.tier), str(t.clients), detail))
    story.append(charts.pyramid(levels, tiers=[t.tier for t in p.pyramid]))
    story.append(Paragraph(text(pyramid_definition(paying)), NOTE))
    story.append(Spacer(1, 6))
    if p.confidential_visible and paying:
        share_rows = [(label(Tier, t.tier), t.clients / paying, t.fee_share or 0.0) for t in p.pyramid]
        story.append(charts.share_bars(share_rows, (_("Share of clients"), _("Share of annual fees"))))
        story.append(
            Paragraph(
                text(
                    _(
                        "A few clients bring most of the business: compare each tier's share of clients with its share of fees."
                    )
                ),
                NOTE,
            )
        )
    if p.bands:
        story.append(SectionHeading(_("Tier against fee band"), level=2))
        story.append(
            Paragraph(
                text(
                    _(
                        "Fee bands rank the same paying clients by annual fees: band A holds the top 20%, band B the next 30%, band C the rest. "
                        "A client whose band differs from its tier is listed below."
                    )
                ),
                NOTE,
            )
        )
        band_rows = [
            [
                _("Fee band {code}").format(code=b.code),
                str(b.clients),
                fmt_pct(b.client_share),
                fmt_money(b.fees),
                fmt_pct(b.fee_share),
            ]
            for b in p.bands
        ]
        story.append(
            data_table(
                [
                    _("Fee band"),
                    _("Number of clients"),
                    _("Share of clients"),
                    _("Annual fees"),
                    _("Share of fees"),
                ],
                band_rows,
                [28, 18, 18, 18, 18],
                right={1, 2, 3, 4},
            )
        )
        if p.mismatches:
            story.append(Spacer(1, 6))
            rows = [
                [
                    m.client,
                    label(Tier, m.tier),
                    m.band,
                    fmt_money(m.fees),
                    _("pays like a higher tier: serve better")
                    if m.direction == "under"
                    else _("pays like a lower tier"),
                ]
                for m in p.mismatches[:15]
            ]
            story.append(
                data_table(
                    [_("Client"), _("Tier"), _("Fee band"), _("Annual fees"), _("Finding")],
                    rows,
                    [32, 14, 10, 16, 28],
                    right={3},
                    more=_more(len(p.mismatches) - 15),
                )
            )
    # 2 segmentation
    story.append(SectionHeading(_("Segmentation"), number=num()))
    story.append(SectionHeading(_("By tier"), level=2))
    story.append(_segment_table(p.by_tier, _("Tier"), p, tier_labels=True))
    story.append(SectionHeading(_("By region"), level=2))
    story.append(_segment_table(p.by_region, _("Region"), p))
    story.append(SectionHeading(_("By industry"), level=2))
    story.append(_segment_table(p.by_industry, _("Industry"), p))
    # 3 visits per manager
    story.append(SectionHeading(_("Visits done against planned"), number=num()))
    managers = [m for m in p.visits_by_manager if m.planned or m.clients]
    if managers:
        story.append(
            charts.bar_chart(
                [m.manager for m in managers],
                [[m.planned for m in managers], [m.done for m in managers]],
                [_("Planned"), _("Done")],
                x_title=_("Account manager"),
                y_title=_("Number of visits"),
                colours=[SERIES[2], SERIES[0]],
            )
        )
        rows = []
        for m in managers:
            rate = m.rate
            cell = (
                "—"
                if rate is None
                else coloured(fmt_pct(rate), GOOD if rate >= 0.9 else WARN if rate >= 0.7 else BAD)
            )
            rows.append(
                [
                    m.manager,
                    str(m.clients),
                    str(m.planned),
                    str(m.done),
                    cell,
                    str(m.overdue) if m.overdue else "—",
                ]
            )
        story.append(
            data_table(
                [
                    _("Account manager"),
                    _("Number of clients"),
                    _("Planned"),
                    _("Done"),
                    _("Done / planned"),
                    _("Overdue"),
                ],
                rows,
                [30, 12, 13, 13, 16, 16],
                right={1, 2, 3, 4, 5},
            )
        )
    else:
        story.append(empty())
    # 4 served to the tier's standard (the dashboard's figures)
    story += _served_section(p, num())
    # 5 overdue
    story.append(SectionHeading(_("Overdue visits"), number=num()))
    if p.overdue_visits:
        rows = [
            [
                o.client,
                label(VisitKind, o.kind),
                fmt_date(o.due) + ("\n" + _("never held") if o.never_held else ""),
                o.owner,
                str(o.days),
            ]
            for o in p.overdue_visits[:MAX_ROWS]
        ]
        story.append(
            data_table(
                [_("Client"), _("Visit"), _("Due"), _("Owner"), _("Days overdue")],
                rows,
                [38, 18, 14, 16, 14],
                right={4},
                more=_more(len(p.overdue_visits) - MAX_ROWS),
            )
        )
    else:
        story.append(empty(_("No visit is overdue.")))
    # 6 satisfaction
    story.append(SectionHeading(_("Satisfaction trend"), number=num()))
    if any(s.surveys for s in p.satisfaction):
        story.append(
            charts.line_chart(
                [s.label for s in p.satisfaction],
                [[s.average for s in p.satisfaction]],
                [_("Average overall score")],
                x_title=_("Quarter"),
                y_title=_("Score (1–5)"),
            )
        )
        rows = [
            [s.label, str(s.surveys), "—" if s.average is None else f"{s.average:.2f}"]
            for s in p.satisfaction
        ]
        story.append(
            data_table(
                [_("Quarter"), _("Surveys"), _("Average overall score")], rows, [40, 30, 30], right={1, 2}
            )
        )
    else:
        story.append(empty(_("No satisfaction survey in the period.")))
    # 7 complaints
    story.append(SectionHeading(_("Complaints"), number=num()))
    if p.complaints_total or p.complaints_open_overdue:
        unanswered = [m.received - m.answered_on_time - m.answered_late for m in p.complaints]
        story.append(
            charts.bar_chart(
                [m.label for m in p.complaints],
                [
                    [m.answered_on_time for m in p.complaints],
                    [m.answered_late for m in p.complaints],
                    unanswered,
                ],
                [_("Answered on time"), _("Answered late"), _("Not answered yet")],
                x_title=_("Month received"),
                y_title=_("Number of complaints"),
                stacked=True,
                colours=[GOOD, WARN, RULE],
            )
        )
        story.append(
            Paragraph(
                text(
                    _(
                        "{total} complaints and appeals received in the period; {share} of those answered were answered on time; "
                        "{overdue} open past their deadline today."
                    ).format(
                        total=p.complaints_total,
                        share=fmt_pct(p.on_time_share),
                        overdue=p.complaints_open_overdue,
                    )
                ),
                BODY,
            )
        )
    else:
        story.append(empty(_("No complaint in the period.")))
    # 8 at risk
    story.append(SectionHeading(_("At-risk clients"), number=num()))
    if p.at_risk:
        rows = []
        for a in p.at_risk[:MAX_ROWS]:
            score = "—" if a.score is None else coloured(str(a.score), BAD if a.score < 50 else WARN)
            rows.append([a.client, label(Tier, a.tier), a.owner, score, "；".join(a.reasons)])
        story.append(
            data_table(
                [_("Client"), _("Tier"), _("Account manager"), _("Health"), _("Reasons")],
                rows,
                [26, 12, 14, 8, 40],
                right={3},
                more=_more(len(p.at_risk) - MAX_ROWS),
            )
        )
        story.append(
            Paragraph(text(_("Clients marked “at risk” and clients whose account health is below 50.")), NOTE)
        )
    else:
        story.append(empty(_("No client is at risk.")))
    # 9 renewals
    story.append(SectionHeading(_("Renewals due"), number=num()))
    if p.renewals:
        head = [_("Client"), _("Tier"), _("Account manager"), _("Renewal date")]
        widths = [36, 14, 18, 16]
        if p.confidential_visible:
            head.append(_("Annual fees"))
            widths.append(16)
        rows = []
        for r in p.renewals[:MAX_ROWS]:
            date_cell = coloured(fmt_date(r.date), BAD) if r.date < p.as_of else fmt_date(r.date)
            row = [r.client, label(Tier, r.tier), r.owner, date_cell]
            if p.confidential_visible:
                row.append(fmt_money(r.fees))
            rows.append(row)
        story.append(data_table(head, rows, widths, right={4}))
        story.append(
            Paragraph(
                text(_("Contracts up for renewal within three months (and those lapsed in the last month).")),
                BODY_SMALL,
            )
        )
    else:
        story.append(empty(_("No renewal due in the next three months.")))
    return story


def render_portfolio(
    ctx: AppContext,
    out_path: Path | str,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    progress: ProgressFn | None = None,
) -> RenderResult:
    """Print the portfolio / business-analysis report for a period (default: the last 12 months)."""
    if progress:
        progress(0, 2)
    data = load_portfolio(ctx, date_from=date_from, date_to=date_to)
    if progress:
        progress(1, 2)
    meta = meta_for(
        _("Portfolio report"),
        generated_at=data.generated_at,
        generated_by=data.generated_by,
        title=_("Portfolio and business analysis"),
    )
    pages = build_pdf(out_path, portfolio_story(data), meta)
    if progress:
        progress(2, 2)
    return RenderResult(Path(out_path), pages, 1)


__all__ = ["render_portfolio", "portfolio_story", "TIER_ORDER"]
