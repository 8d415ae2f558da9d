"""Service standards per tier (服务标准): which visit cadences every client of a tier gets.

- A supervisor (or admin) defines each tier's standard (:func:`set_standard`); the rows are
  global ``service_standard`` records synced to every laptop. A tier nobody has defined keeps
  the shipped default (:data:`accountdesk.domain.standards.DEFAULT_STANDARDS`).
- A new client gets its tier's standard as visit plans marked ``from_standard``: every path
  that makes clients on the laptop takes them from :func:`new_client_plans` —
  :func:`.clients.create_client` with ``standard=True`` (the GUI's and the CLI's "new client"),
  the import (:mod:`accountdesk.io.importer`) and the demo generator. The server's import uses
  the same rule (:func:`accountdesk.domain.standards.standard_plans`) with the standards it holds.
- A tier change offers the new standard: :func:`proposed_changes` says what would change,
  :func:`apply_standard` does it. Plans set by hand (``from_standard`` false: made by hand, or
  a standard plan whose interval or kind someone changed) are kept as they are; plans the old
  standard made are brought to the new interval, or retired (made inactive) when the new
  standard has no such cadence.
- :func:`served_figures` counts, per tier and per account manager, the clients served to their
  standard (every cadence of the standard in place, at least as often, none overdue).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..domain.standards import (
    STANDARD_KINDS,
    TIERS,
    effective_standards,
    served_to_standard,
    standard_plans,
)
from ..domain.validation import parse_enum
from ..errors import ValidationError
from ..i18n import _
from ..models import Client, ServiceStandard, VisitPlan
from ..models.enums import Tier, VisitKind
from ..sync.changes import ChangeWriter
from . import records
from .context import AppContext
from .records import RuleContext, register_rule
from .scope import scope_condition


@register_rule("visit_plan")
def _hand_edit_leaves_the_standard(rc: RuleContext) -> None:
    """Changing a standard plan's kind or interval by hand makes it a hand-set plan (a later
    standard keeps it)."""
    if rc.row is None or not getattr(rc.row, "from_standard", False) or "from_standard" in rc.values:
        return
    if ("every_months" in rc.values and rc.values["every_months"] != rc.stored("every_months")) or (
        "kind" in rc.values and rc.values["kind"] != rc.stored("kind")
    ):
        rc.values["from_standard"] = False


@register_rule("service_standard")
def _one_row_per_tier_and_kind(rc: RuleContext) -> None:
    if rc.row is not None and not ({"tier", "kind"} & set(rc.values)):
        return
    stmt = select(ServiceStandard.id).where(
        ServiceStandard.tier == rc.current("tier"),
        ServiceStandard.kind == rc.current("kind"),
        ServiceStandard.deleted_at.is_(None),
    )
    if rc.row is not None:
        stmt = stmt.where(ServiceStandard.id != rc.row.id)
    if rc.session.scalar(stmt) is not None:
        raise ValidationError("kind", _("This tier's standard already has a cadence of this kind."))
    if rc.current("kind") == VisitKind.CUSTOM.value:
        raise ValidationError("kind", _("A custom cadence is set by hand on a client, not in a standard."))


def standards_in(session: Session) -> dict[str, dict[str, int]]:
    rows = session.execute(
        select(
            ServiceStandard.tier, ServiceStandard.kind, ServiceStandard.every_months, ServiceStandard.active
        )
        .where(ServiceStandard.deleted_at.is_(None))
        .order_by(ServiceStandard.updated_at)
    )
    return effective_standards((r.tier, r.kind, r.every_months, bool(r.active)) for r in rows)


def new_client_plans(
    session: Session,
    tier: str | None,
    owner_id: str | None,
    *,
    standards: Mapping[str, Mapping[str, int]] | None = None,
) -> list[dict[str, Any]]:
    """The values of the visit plans a new client of ``tier`` gets (its tier's standard in force,
    marked ``from_standard``, owned by the client's account manager). ``standards``: the result
    of :func:`standards_in`, when the caller makes many clients (read it once)."""
    if standards is None:
        standards = standards_in(session)
    return standard_plans(standards.get(tier or "", {}), owner_id)


def standards(ctx: AppContext) -> dict[str, dict[str, int]]:
    """``{tier: {visit kind: every_months}}`` in force on this laptop."""
    with ctx.read() as session:
        return standards_in(session)


def set_standard(ctx: AppContext, tier: str, cadences: Mapping[str, int | str]) -> dict[str, dict[str, int]]:
    """Define a tier's standard as exactly these cadences (``{kind: every_months}``; empty: no
    cadence at all). Supervisors and admins only. Kinds left out stay as inactive rows, so the
    tier stays defined. Returns every tier's standard afterwards. Clients are not touched: apply
    the new standard with :func:`apply_standard`."""
    tier = str(parse_enum("tier", tier, Tier))
    wanted: dict[str, int | str] = {}
    for kind, months in cadences.items():
        kind = str(parse_enum("kind", kind, VisitKind))
        wanted[kind] = months  # checked by the schema below
    records.require_permission(ctx, "service_standard", "create", {"tier", "kind", "every_months", "active"})
    with ctx.write() as (session, writer):
        rows = {
            r.kind: r
            for r in session.scalars(
                select(ServiceStandard).where(
                    ServiceStandard.tier == tier, ServiceStandard.deleted_at.is_(None)
                )
            )
        }
        for kind in STANDARD_KINDS:
            row = rows.get(kind)
            if kind in wanted:
                values = {"every_months": wanted[kind], "active": True}
            elif row is not None or not rows:
                values = {"every_months": row.every_months if row is not None else 12, "active": False}
            else:
                continue
            if row is None:
                records.create_in(
                    ctx, session, writer, "service_standard", {"tier": tier, "kind": kind, **values}
                )
            else:
                records.update_in(ctx, session, writer, "service_standard", row.id, values)
        if VisitKind.CUSTOM.value in wanted:
            raise ValidationError(
                "kind", _("A custom cadence is set by hand on a client, not in a standard.")
            )
        session.flush()
        return standards_in(session)


@dataclass(frozen=True)
class StandardChange:
    """One step of applying a standard to a client. ``action``: ``add`` (a new plan), ``change``
    (a standard plan gets the new interval), ``retire`` (a standard plan the new standard lacks
    is made inactive), ``keep`` (a plan set by hand stays as it is)."""

    action: str
    kind: str
    every_months: int
    old_months: int | None = None
    plan_id: str | None = None


def _changes_in(session: Session, client_id: str, standard: Mapping[str, int]) -> list[StandardChange]:
    plans = list(
        session.scalars(
            select(VisitPlan).where(
                VisitPlan.client_id == client_id,
                VisitPlan.deleted_at.is_(None),
                VisitPlan.kind != VisitKind.CUSTOM.value,
            )
        )
    )
    by_kind: dict[str, list[VisitPlan]] = {}
    for plan in plans:
        by_kind.setdefault(plan.kind, []).append(plan)
    out: list[StandardChange] = []
    for kind in STANDARD_KINDS:
        mine = by_kind.get(kind, [])
        by_hand = [p for p in mine if not p.from_standard and p.active]
        made = [p for p in mine if p.from_standard and p.active]
        if kind in standard:
            months = int(standard[kind])
            if by_hand:
                out.append(
                    StandardChange(
                        "keep", kind, by_hand[0].every_months, by_hand[0].every_months, by_hand[0].id
                    )
                )
            elif made:
                if made[0].every_months != months:
                    out.append(StandardChange("change", kind, months, made[0].every_months, made[0].id))
            else:
                out.append(StandardChange("add", kind, months))
        else:
            for plan in made:
                out.append(StandardChange("retire", kind, plan.every_months, plan.every_months, plan.id))
    return out


def proposed_changes(ctx: AppContext, client_id: str, tier: str | None = None) -> list[StandardChange]:
    """What applying ``tier``'s standard (default: the client's tier) would change; ``keep``
    rows name the hand-set plans that stay."""
    with ctx.read() as session:
        client = records.get_live_row(session, Client, client_id)
        tier = str(parse_enum("tier", tier, Tier)) if tier else client.tier
        return _changes_in(session, client_id, standards_in(session).get(tier, {}))


def apply_in(
    ctx: AppContext,
    session: Session,
    writer: ChangeWriter,
    client_id: str,
    tier: str,
    standard: Mapping[str, int] | None = None,
) -> list[StandardChange]:
    """Apply ``tier``'s standard to a client inside a unit of work; returns what changed."""
    if standard is None:
        standard = standards_in(session).get(tier, {})
    client = session.get(Client, client_id)
    owner = client.owner_id if client is not None else None
    changes = _changes_in(session, client_id, standard)
    for change in changes:
        if change.action == "add":
            records.create_in(
                ctx,
                session,
                writer,
                "visit_plan",
                {
                    "kind": change.kind,
                    "every_months": change.every_months,
                    "owner_id": owner,
                    "active": True,
                    "from_standard": True,
                },
                client_id=client_id,
            )
        elif change.action == "change":
            assert change.plan_id is not None  # a change names the plan it changes
            records.update_in(
                ctx,
                session,
                writer,
                "visit_plan",
                change.plan_id,
                {"every_months": change.every_months, "from_standard": True},
            )
        elif change.action == "retire":
            assert change.plan_id is not None  # so does a retirement
            records.update_in(ctx, session, writer, "visit_plan", change.plan_id, {"active": False})
        session.flush()
    return [c for c in changes if c.action != "keep"]


def apply_standard(ctx: AppContext, client_id: str, tier: str | None = None) -> list[StandardChange]:
    """Apply the standard of ``tier`` (default: the client's tier) to a client: after a tier
    change, once the person confirmed :func:`proposed_changes`. Plans set by hand are kept."""
    with ctx.write() as (session, writer):
        client = records.get_live_row(session, Client, client_id)
        tier = str(parse_enum("tier", tier, Tier)) if tier else client.tier
        return apply_in(ctx, session, writer, client_id, tier)


@dataclass(frozen=True)
class ServedFigure:
    """Clients served to their tier's standard in one group (a tier, or an account manager)."""

    key: str | None
    clients: int
    served: int

    @property
    def share(self) -> float:
        return self.served / self.clients if self.clients else 0.0


@dataclass(frozen=True)
class ServedFigures:
    by_tier: list[ServedFigure]
    by_manager: list[ServedFigure]
    #: Ids of the clients not served to their standard (the list behind the figures).
    not_served: frozenset[str]


class PlanState(Protocol):
    """What the figures read of an active plan's state (:class:`~.scheduling.PlanFlag` and
    :class:`~.scheduling.PlanStatus` both have it)."""

    @property
    def client_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def every_months(self) -> int: ...
    @property
    def overdue(self) -> bool: ...


def served_figures_from(
    session: Session, clients: Sequence[tuple[str, str, str | None]], statuses: Iterable[PlanState]
) -> ServedFigures:
    """The figures for these clients ``(id, tier, owner_id)`` given the state of their active
    plans (:class:`~.scheduling.PlanFlag` from :func:`~.scheduling.plan_flags_in`, as the
    dashboard and the portfolio report pass them, or :class:`~.scheduling.PlanStatus`)."""
    plans: dict[str, dict[str, tuple[int, bool]]] = {c[0]: {} for c in clients}
    for s in statuses:
        mine = plans.get(s.client_id)
        if mine is None:  # not one of these clients
            continue
        have = mine.get(s.kind)
        if have is None or s.every_months < have[0]:
            mine[s.kind] = (s.every_months, s.overdue)
    std = standards_in(session)
    tiers: dict[str, list[int]] = {t: [0, 0] for t in TIERS}
    managers: dict[str | None, list[int]] = {}
    not_served = set()
    none: dict[str, int] = {}
    for cid, tier, owner in clients:
        ok = served_to_standard(std.get(tier, none), plans[cid])
        if not ok:
            not_served.add(cid)
        bucket = tiers.get(tier) or tiers.setdefault(tier, [0, 0])
        bucket[0] += 1
        bucket[1] += ok
        bucket = managers.get(owner) or managers.setdefault(owner, [0, 0])
        bucket[0] += 1
        bucket[1] += ok
    return ServedFigures(
        by_tier=[ServedFigure(t, n, s) for t, (n, s) in tiers.items()],
        by_manager=[
            ServedFigure(m, n, s)
            for m, (n, s) in sorted(managers.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ],
        not_served=frozenset(not_served),
    )


def served_figures_in(session: Session, ctx: AppContext, *, owner_id: str | None = None) -> ServedFigures:
    from .scheduling import plan_flags_in

    stmt = select(Client.id, Client.tier, Client.owner_id).where(
        Client.deleted_at.is_(None), scope_condition(ctx)
    )
    if owner_id is not None:
        stmt = stmt.where(Client.owner_id == owner_id)
    clients = [(r.id, r.tier, r.owner_id) for r in session.execute(stmt)]
    whole = ctx.actor.sees_all_clients and owner_id is None
    flags = plan_flags_in(session, None if whole else [c[0] for c in clients], ctx.today())
    return served_figures_from(session, clients, flags)


def served_figures(ctx: AppContext, *, owner_id: str | None = None) -> ServedFigures:
    """Per tier and per account manager: how many of the clients the user sees (or one manager's)
    are served to their tier's standard."""
    with ctx.read() as session:
        return served_figures_in(session, ctx, owner_id=owner_id)


__all__ = [
    "ServedFigure",
    "ServedFigures",
    "StandardChange",
    "apply_in",
    "apply_standard",
    "new_client_plans",
    "proposed_changes",
    "served_figures",
    "served_figures_from",
    "served_figures_in",
    "set_standard",
    "standards",
    "standards_in",
]
