"""The customer pyramid (客户金字塔) and segment counts. Derived on demand, never stored.

Pyramid: the paying clients (not prospects, not lost) ranked by annual fees; the top 20 % of
them (rounded up) form band A (strategic), the next 30 % band B (key), the rest band C
(standard). Each band reports its number of clients, fee total and shares. The band is compared
with the tier the client is assigned: a client in band A assigned "standard" is worth a look,
and so is a strategic client that pays like band C.

Annual fees are confidential: field staff get :class:`PermissionDenied`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, select

from ..errors import PermissionDenied, ValidationError
from ..i18n import N_, _
from ..labels import label
from ..models import Client
from ..models.enums import ClientStatus, Tier
from .context import AppContext
from .scope import scope_condition

BANDS: tuple[tuple[str, float, str], ...] = (
    ("A", 0.20, Tier.STRATEGIC.value),
    ("B", 0.30, Tier.KEY.value),
    ("C", 0.50, Tier.STANDARD.value),
)
BAND_LABELS = {
    "A": N_("A: strategic band (top 20%)"),
    "B": N_("B: key band (next 30%)"),
    "C": N_("C: standard band (other 50%)"),
}
_TIER_RANK = {Tier.STRATEGIC.value: 0, Tier.KEY.value: 1, Tier.STANDARD.value: 2}
_BAND_RANK = {"A": 0, "B": 1, "C": 2}
SEGMENT_KEYS = ("province", "industry", "tier", "service_frequency", "deadline_demands")
#: Buckets of services per year: (upper bound inclusive, label).
FREQUENCY_BUCKETS: tuple[tuple[int, str], ...] = (
    (4, N_("Up to 4 a year")),
    (12, N_("5 to 12 a year")),
    (52, N_("13 to 52 a year")),
    (10**9, N_("More than 52 a year")),
)


@dataclass(frozen=True)
class Band:
    code: str
    label: str
    clients: int
    fees: int
    client_share: float  # 0..1
    fee_share: float  # 0..1
    min_fees: int | None
    max_fees: int | None


@dataclass(frozen=True)
class Mismatch:
    client_id: str
    client_name: str
    tier: str
    band: str
    fees: int
    #: "under": the assigned tier is below the band (serve better); "over": above it.
    direction: str


@dataclass(frozen=True)
class Pyramid:
    bands: list[Band]
    total_clients: int
    total_fees: int
    #: ``{tier: {band: clients}}``: assigned tier against pyramid band.
    tier_by_band: dict[str, dict[str, int]]
    mismatches: list[Mismatch] = field(default_factory=list)
    #: Paying clients without annual fees (ranked last, in band C).
    without_fees: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "bands": [b.__dict__ for b in self.bands],
            "total_clients": self.total_clients,
            "total_fees": self.total_fees,
            "tier_by_band": self.tier_by_band,
            "mismatches": [m.__dict__ for m in self.mismatches],
            "without_fees": self.without_fees,
        }


@dataclass(frozen=True)
class Segment:
    key: str | None
    label: str
    clients: int
    fees: int | None
    client_share: float
    fee_share: float | None


def _require_fees(ctx: AppContext) -> None:
    if not ctx.actor.sees_confidential:
        raise PermissionDenied(_("Your role may not see annual fees."))


def _paying_clients(ctx: AppContext, *columns: Any) -> Select[Any]:
    return select(Client.id, Client.name, Client.tier, Client.annual_fees, *columns).where(
        Client.deleted_at.is_(None),
        Client.status.not_in([ClientStatus.PROSPECT.value, ClientStatus.LOST.value]),
        scope_condition(ctx),
    )


def assign_bands(fees: list[tuple[str, int | None]]) -> dict[str, str]:
    """``{id: band}`` for ``(id, annual fees)`` pairs: top 20 % (rounded up) A, up to the top 50 %
    (rounded up) B, the rest C. Clients without fees rank last; ties keep the given order."""
    ranked = sorted(fees, key=lambda p: -(p[1] or 0))
    n = len(ranked)
    a_count = math.ceil(n * BANDS[0][1]) if n else 0
    b_count = math.ceil(n * (BANDS[0][1] + BANDS[1][1])) - a_count if n else 0
    out = {}
    for i, (cid, _fee) in enumerate(ranked):
        out[cid] = "A" if i < a_count else "B" if i < a_count + b_count else "C"
    return out


def pyramid(ctx: AppContext) -> Pyramid:
    """The customer pyramid of the clients the user sees, by annual fees."""
    _require_fees(ctx)
    with ctx.read() as session:
        rows = session.execute(
            _paying_clients(ctx).order_by(Client.annual_fees.desc().nulls_last(), Client.name)
        ).all()
    bands = assign_bands([(r.id, r.annual_fees) for r in rows])
    total_fees = sum(r.annual_fees or 0 for r in rows)
    total = len(rows)
    per_band: dict[str, list[Any]] = {code: [] for code, _s, _t in BANDS}
    tier_by_band: dict[str, dict[str, int]] = {t.value: {code: 0 for code in per_band} for t in Tier}
    mismatches = []
    for r in rows:
        band = bands[r.id]
        per_band[band].append(r)
        tier_by_band.setdefault(r.tier, {code: 0 for code in per_band})[band] += 1
        tier_rank, band_rank = _TIER_RANK.get(r.tier, 2), _BAND_RANK[band]
        if tier_rank != band_rank:
            mismatches.append(
                Mismatch(
                    r.id,
                    r.name,
                    r.tier,
                    band,
                    r.annual_fees or 0,
                    "under" if tier_rank > band_rank else "over",
                )
            )
    out_bands = []
    for code, _share, _tier in BANDS:
        members = per_band[code]
        fees = sum(m.annual_fees or 0 for m in members)
        values = [m.annual_fees for m in members if m.annual_fees is not None]
        out_bands.append(
            Band(
                code=code,
                label=_(BAND_LABELS[code]),
                clients=len(members),
                fees=fees,
                client_share=len(members) / total if total else 0.0,
                fee_share=fees / total_fees if total_fees else 0.0,
                min_fees=min(values) if values else None,
                max_fees=max(values) if values else None,
            )
        )
    mismatches.sort(key=lambda m: (-m.fees, m.client_name))
    return Pyramid(
        bands=out_bands,
        total_clients=total,
        total_fees=total_fees,
        tier_by_band=tier_by_band,
        mismatches=mismatches,
        without_fees=sum(1 for r in rows if r.annual_fees is None),
    )


def _frequency_bucket(value: int | None) -> tuple[str | None, str]:
    if value is None:
        return None, _("Not stated")
    for bound, text in FREQUENCY_BUCKETS:
        if value <= bound:
            return f"<={bound}" if bound < 10**9 else ">52", _(text)
    return ">52", _(FREQUENCY_BUCKETS[-1][1])  # pragma: no cover


def segments(ctx: AppContext, by: str = "province") -> list[Segment]:
    """Clients and annual fees per segment (``by``: province, industry, tier, service_frequency
    or deadline_demands), largest fee total first (client count for users who may not see
    fees)."""
    if by not in SEGMENT_KEYS:
        raise ValidationError("by", _("Segment by one of: {choices}").format(choices=", ".join(SEGMENT_KEYS)))
    col = getattr(Client, by)
    with ctx.read() as session:
        rows = session.execute(_paying_clients(ctx, col.label("seg"))).all()
    show_fees = ctx.actor.sees_confidential
    groups: dict[str | None, dict[str, Any]] = {}
    for r in rows:
        value = r.seg
        if by == "service_frequency":
            key, text = _frequency_bucket(value)
        elif by == "tier":
            key, text = value, label(Tier, value)
        else:
            key = (value or "").strip() or None
            text = key or _("Not stated")
        g = groups.setdefault(key, {"label": text, "clients": 0, "fees": 0})
        g["clients"] += 1
        g["fees"] += r.annual_fees or 0
    total = len(rows)
    total_fees = sum(g["fees"] for g in groups.values())
    out = [
        Segment(
            key=key,
            label=g["label"],
            clients=g["clients"],
            fees=g["fees"] if show_fees else None,
            client_share=g["clients"] / total if total else 0.0,
            fee_share=(g["fees"] / total_fees if total_fees else 0.0) if show_fees else None,
        )
        for key, g in groups.items()
    ]
    if show_fees:
        out.sort(key=lambda s: (-(s.fees or 0), -s.clients, s.label))
    else:
        out.sort(key=lambda s: (-s.clients, s.label))
    return out


__all__ = ["Band", "Mismatch", "Pyramid", "Segment", "assign_bands", "pyramid", "segments", "SEGMENT_KEYS"]
