"""A resignation handled in one sitting (离职交接): what a leaving user holds, who could take it
over (with their workload and region), and the distribution itself.

:func:`holdings` lists everything the leaver holds: the clients they own, back up and serve on,
the complaints they handle, their open improvement items, planned visits and visit plans, and the
open opportunities of their clients. :func:`candidates` lists the active users who can own
clients, each with their current workload and region. :func:`suggest` proposes a distribution
(by workload, or by region first). :func:`resign` carries it out in ONE unit of work:

- each client the leaver owns is handed over to its successor (:func:`handover.hand_over_in`:
  handover with its checklist, ownership history, open work moving along);
- where the leaver is the backup owner, the successor becomes the backup (none when the successor
  already owns the client), recorded in the ownership history;
- where the leaver is on the service team, the successor takes the place (unless they already
  hold the client);
- whatever open work the leaver still holds anywhere moves to the client's owner;
- optionally the leaver is deactivated (the server revokes their devices when it learns it).

Every change is a recorded field change, so field history shows each move.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from ..domain.feedback import OPEN_STATUSES as OPEN_FEEDBACK
from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..i18n import _
from ..labels import label
from ..models import (
    Client,
    ClientTeamMember,
    Feedback,
    ImprovementItem,
    Opportunity,
    OwnershipChange,
    SyncMixin,
    User,
    Visit,
    VisitPlan,
)
from ..models.enums import Role, VisitKind
from ..permissions import sees_all_clients
from ..sync.changes import get_meta
from ..sync.checklist import OPEN_ITEMS
from .context import AppContext
from .handover import hand_over_in, move_open_work
from .scope import serves
from .userref import require_active, resolve_user

OPEN_OPPORTUNITY_STAGES = ("identified", "qualified", "proposal", "negotiation")
#: Roles that may own clients (and so take a leaver's clients over).
OWNER_ROLES = (Role.MANAGER.value, Role.SUPERVISOR.value, Role.ADMIN.value)
BY_WORKLOAD, BY_REGION = "workload", "region"
#: set on a profile that syncs with a company server (whose users are managed there)
META_SERVER_URL = "server_url"
M = TypeVar("M", bound=SyncMixin)


@dataclass(frozen=True)
class HeldClient:
    id: str
    name: str
    province: str | None
    city: str | None
    tier: str
    role: str  # owner | backup | team
    open_complaints: int
    planned_visits: int
    open_items: int
    open_opportunities: int


@dataclass(frozen=True)
class HeldItem:
    entity: str  # feedback | visit | visit_plan | improvement_item | opportunity
    id: str
    client_id: str
    client_name: str
    title: str
    due: dt.datetime | dt.date | None


@dataclass(frozen=True)
class Holdings:
    user_id: str
    login: str
    display_name: str
    role: str
    active: bool
    clients: tuple[HeldClient, ...]  # owned first, then backed up, then served on
    complaints: tuple[HeldItem, ...]  # open feedback they handle
    improvement_items: tuple[HeldItem, ...]
    planned_visits: tuple[HeldItem, ...]
    visit_plans: tuple[HeldItem, ...]
    opportunities: tuple[HeldItem, ...]  # open opportunities of the clients they own

    def of_role(self, role: str) -> tuple[HeldClient, ...]:
        return tuple(c for c in self.clients if c.role == role)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Candidate:
    """A user who could take clients over, with what they already carry."""

    user_id: str
    login: str
    display_name: str
    role: str
    team: str | None
    clients_owned: int
    clients_backed_up: int
    open_complaints: int
    planned_visits: int
    regions: tuple[str, ...]  # the provinces of the clients they own, most frequent first

    @property
    def region(self) -> str:
        return "、".join(self.regions[:2])

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "region": self.region}


def server_managed(ctx: AppContext) -> bool:
    """Does this profile sync with a company server (whose users are managed there)?"""
    with ctx.read() as session:
        return bool(get_meta(session, META_SERVER_URL))


def _require_supervisor(ctx: AppContext) -> None:
    if not sees_all_clients(ctx.actor.role):
        raise PermissionDenied(_("Only supervisors and administrators may reassign clients."))


def _counts(
    session: Session, model: type[SyncMixin], client_ids: Sequence[str], *where: ColumnElement[bool]
) -> Counter[str | None]:
    if not client_ids:
        return Counter()
    stmt = select(model.client_id, func.count()).where(
        model.client_id.in_(client_ids), model.deleted_at.is_(None), *where
    )
    return Counter(dict(session.execute(stmt.group_by(model.client_id)).all()))


def holdings(ctx: AppContext, user: str) -> Holdings:
    """Everything ``user`` (id, login or display name) holds. Supervisors and admins only."""
    _require_supervisor(ctx)
    with ctx.read() as session:
        leaver = resolve_user(session, user, field="from")
        live = Client.deleted_at.is_(None)
        owned = list(
            session.scalars(select(Client).where(live, Client.owner_id == leaver.id).order_by(Client.name))
        )
        backed = list(
            session.scalars(
                select(Client).where(live, Client.backup_owner_id == leaver.id).order_by(Client.name)
            )
        )
        team_ids = select(ClientTeamMember.client_id).where(
            ClientTeamMember.user_id == leaver.id, ClientTeamMember.deleted_at.is_(None)
        )
        served = [
            c
            for c in session.scalars(
                select(Client).where(live, Client.id.in_(team_ids)).order_by(Client.name)
            )
            if c.owner_id != leaver.id and c.backup_owner_id != leaver.id
        ]
        ids = [c.id for c in owned + backed + served]
        complaints = _counts(session, Feedback, ids, Feedback.status.in_(OPEN_FEEDBACK))
        visits = _counts(session, Visit, ids, Visit.status == "planned")
        items = _counts(session, ImprovementItem, ids, ImprovementItem.status.in_(OPEN_ITEMS))
        opps = _counts(session, Opportunity, ids, Opportunity.stage.in_(OPEN_OPPORTUNITY_STAGES))
        held = tuple(
            HeldClient(
                c.id,
                c.name,
                c.province,
                c.city,
                c.tier,
                role,
                complaints[c.id],
                visits[c.id],
                items[c.id],
                opps[c.id],
            )
            for role, group in (("owner", owned), ("backup", backed), ("team", served))
            for c in group
        )
        names = dict(session.execute(select(Client.id, Client.name)).all())

        def items_of(
            model: type[M],
            col: QueryableAttribute[str | None],
            *where: ColumnElement[bool],
            title: Callable[[M], str],
            due: Callable[[M], dt.datetime | dt.date | None],
        ) -> tuple[HeldItem, ...]:
            stmt = select(model).where(col == leaver.id, model.deleted_at.is_(None), *where)
            out = [
                HeldItem(model.__entity__, r.id, cid, names[cid], title(r), due(r))
                for r in session.scalars(stmt)
                if (cid := r.client_id) is not None and names.get(cid) is not None
            ]
            return tuple(sorted(out, key=lambda i: (i.client_name, str(i.due or ""))))

        owned_ids = [c.id for c in owned]
        return Holdings(
            leaver.id,
            leaver.username,
            leaver.display_name,
            leaver.role,
            bool(leaver.active),
            held,
            items_of(
                Feedback,
                Feedback.handler_id,
                Feedback.status.in_(OPEN_FEEDBACK),
                title=lambda r: r.subject,
                due=lambda r: r.due_at,
            ),
            items_of(
                ImprovementItem,
                ImprovementItem.owner_id,
                ImprovementItem.status.in_(OPEN_ITEMS),
                title=lambda r: r.action,
                due=lambda r: r.due_on,
            ),
            items_of(
                Visit,
                Visit.owner_id,
                Visit.status == "planned",
                title=lambda r: r.purpose or label(VisitKind, r.kind),
                due=lambda r: r.planned_start,
            ),
            items_of(
                VisitPlan,
                VisitPlan.owner_id,
                VisitPlan.active.is_(True),
                title=lambda r: r.title or label(VisitKind, r.kind),
                due=lambda r: None,
            ),
            tuple(
                HeldItem("opportunity", o.id, cid, names[cid], o.title, o.expected_on)
                for o in session.scalars(
                    select(Opportunity)
                    .where(
                        Opportunity.client_id.in_(owned_ids),
                        Opportunity.deleted_at.is_(None),
                        Opportunity.stage.in_(OPEN_OPPORTUNITY_STAGES),
                    )
                    .order_by(Opportunity.expected_on)
                )
                if (cid := o.client_id) is not None  # (the query asks for the owned clients')
            )
            if owned_ids
            else (),
        )


def candidates(ctx: AppContext, *, exclude: Sequence[str] = ()) -> list[Candidate]:
    """Active users who may own clients, with their workload and region, lightest load first."""
    with ctx.read() as session:
        users = [
            u
            for u in session.scalars(
                select(User).where(
                    User.deleted_at.is_(None), User.active.is_(True), User.role.in_(OWNER_ROLES)
                )
            )
            if u.id not in exclude
        ]
        live = Client.deleted_at.is_(None)
        owned = Counter(
            dict(
                session.execute(
                    select(Client.owner_id, func.count()).where(live).group_by(Client.owner_id)
                ).all()
            )
        )
        backed = Counter(
            dict(
                session.execute(
                    select(Client.backup_owner_id, func.count()).where(live).group_by(Client.backup_owner_id)
                ).all()
            )
        )
        complaints = Counter(
            dict(
                session.execute(
                    select(Feedback.handler_id, func.count())
                    .where(Feedback.deleted_at.is_(None), Feedback.status.in_(OPEN_FEEDBACK))
                    .group_by(Feedback.handler_id)
                ).all()
            )
        )
        visits = Counter(
            dict(
                session.execute(
                    select(Visit.owner_id, func.count())
                    .where(Visit.deleted_at.is_(None), Visit.status == "planned")
                    .group_by(Visit.owner_id)
                ).all()
            )
        )
        provinces: dict[str | None, Counter[str]] = defaultdict(Counter)
        for owner, province in session.execute(
            select(Client.owner_id, Client.province).where(live, Client.province.is_not(None))
        ):
            if province is not None:  # (the query leaves them out)
                provinces[owner][province] += 1
        out = [
            Candidate(
                u.id,
                u.username,
                u.display_name,
                u.role,
                u.team,
                owned[u.id],
                backed[u.id],
                complaints[u.id],
                visits[u.id],
                tuple(p for p, _n in provinces[u.id].most_common()),
            )
            for u in users
        ]
    return sorted(
        out, key=lambda c: (c.role != Role.MANAGER.value, c.clients_owned, c.open_complaints, c.display_name)
    )


def suggest(
    ctx: AppContext, held: Sequence[HeldClient], successors: Sequence[str], *, rule: str = BY_WORKLOAD
) -> dict[str, str]:
    """A proposed successor (user id) per client: ``workload`` gives each client to the successor
    carrying the least (clients owned, counting what this distribution already gave them);
    ``region`` first prefers a successor whose own clients are in the client's province."""
    if not successors:
        raise ValidationError("to", _("Choose at least one successor."))
    if rule not in (BY_WORKLOAD, BY_REGION):
        raise ValidationError("rule", _("Unknown rule: {rule}").format(rule=rule))
    with ctx.read() as session:
        ids = [require_active(resolve_user(session, s, field="to"), field="to").id for s in successors]
    known = {c.user_id: c for c in candidates(ctx)}
    load = {uid: (known[uid].clients_owned if uid in known else 0) for uid in ids}
    plan: dict[str, str] = {}
    for client in sorted(held, key=lambda c: (c.role != "owner", c.name)):
        pool = ids
        if rule == BY_REGION and client.province:
            local = [uid for uid in ids if uid in known and client.province in known[uid].regions]
            pool = local or ids
        chosen = min(pool, key=lambda uid: (load[uid], ids.index(uid)))
        plan[client.id] = chosen
        if client.role == "owner":
            load[chosen] += 1
    return plan


@dataclass
class ResignationResult:
    leaver_id: str
    handovers: list[dict[str, Any]] = field(default_factory=list)  # one per owned client
    backups: list[dict[str, Any]] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)
    other_moves: list[dict[str, Any]] = field(
        default_factory=list
    )  # open work in clients they held no role in
    unmoved: list[dict[str, Any]] = field(default_factory=list)  # complaints nobody uninvolved could take
    deactivated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resign(
    ctx: AppContext,
    leaver: str,
    plan: Mapping[str, str] | None = None,
    *,
    to: str | None = None,
    reason: str | None = None,
    deactivate: bool = False,
    checklists: Mapping[str, list[dict[str, Any]]] | None = None,
    notes: str | None = None,
) -> ResignationResult:
    """Distribute everything ``leaver`` holds. ``plan`` maps client id -> successor (id, login
    or display name); clients it leaves out go to ``to``. Nothing is written when any part is
    refused (one unit of work). ``checklists`` may give a client's checklist as ticked."""
    _require_supervisor(ctx)
    reason = (reason or "").strip() or None
    plan = dict(plan or {})
    held = holdings(ctx, leaver)
    missing = [c for c in held.clients if c.id not in plan]
    if missing and not to:
        raise ValidationError(
            "to", _("Choose a successor for every client ({n} without one).").format(n=len(missing))
        )
    result = ResignationResult(held.user_id)
    with ctx.write() as (session, writer):
        resolved: dict[str, str] = {}

        def successor(ref: str) -> str:
            if ref not in resolved:
                user = require_active(resolve_user(session, ref, field="to"), field="to")
                if user.id == held.user_id:
                    raise ValidationError(
                        "to",
                        _("{user} is the one leaving; choose someone else.").format(user=user.display_name),
                    )
                if user.role not in OWNER_ROLES:
                    raise ValidationError(
                        "to",
                        _("{user} is field staff and cannot own clients.").format(user=user.display_name),
                    )
                resolved[ref] = user.id
            return resolved[ref]

        targets = {c.id: successor(plan.get(c.id) or to or "") for c in held.clients}
        now = ctx.now()
        for c in held.clients:
            new = targets[c.id]
            client = session.get(Client, c.id)
            if client is None:  # gone from this profile since holdings() read it
                raise NotFoundError(_("The record no longer exists (it may have been deleted)."))
            if c.role == "owner":
                result.handovers.append(
                    hand_over_in(
                        ctx,
                        session,
                        writer,
                        c.id,
                        new,
                        reason,
                        checklist=(checklists or {}).get(c.id),
                        notes=notes,
                    )
                )
            elif c.role == "backup":
                backup = None if new == client.owner_id else new
                writer.create(
                    OwnershipChange,
                    {
                        "kind": "backup",
                        "from_user_id": held.user_id,
                        "to_user_id": backup,
                        "by_user_id": ctx.actor.id,
                        "at": now,
                        "reason": reason,
                    },
                    client_id=c.id,
                )
                writer.update(client, {"backup_owner_id": backup})
                moves = move_open_work(
                    session, writer, c.id, held.user_id, new, fallback_user_id=client.owner_id
                )
                result.backups.append(
                    {
                        "client_id": c.id,
                        "client_name": c.name,
                        "from_user_id": held.user_id,
                        "to_user_id": backup,
                        "moves": moves,
                    }
                )
            # the service team: the leaver's place goes to the successor (unless they already hold the client)
            members = list(
                session.scalars(
                    select(ClientTeamMember).where(
                        ClientTeamMember.client_id == c.id, ClientTeamMember.deleted_at.is_(None)
                    )
                )
            )
            mine = [m for m in members if m.user_id == held.user_id]
            if mine:
                for m in mine:
                    writer.delete(m)
                holds = new in (client.owner_id, client.backup_owner_id) or any(
                    m.user_id == new for m in members
                )
                if not holds:
                    writer.create(ClientTeamMember, {"user_id": new, "role": mine[0].role}, client_id=c.id)
                moves = move_open_work(
                    session, writer, c.id, held.user_id, new, fallback_user_id=client.owner_id
                )
                result.teams.append(
                    {
                        "client_id": c.id,
                        "client_name": c.name,
                        "from_user_id": held.user_id,
                        "to_user_id": None if holds else new,
                        "moves": moves,
                    }
                )
        session.flush()
        # open work left in clients the leaver held no role in: to the client's owner
        rest: set[str] = set()
        for model, col in (
            (Feedback, Feedback.handler_id),
            (Visit, Visit.owner_id),
            (VisitPlan, VisitPlan.owner_id),
            (ImprovementItem, ImprovementItem.owner_id),
        ):
            rest.update(
                session.scalars(
                    select(model.client_id).where(col == held.user_id, model.deleted_at.is_(None))
                )
            )
        for cid in sorted(rest - set(targets)):
            client = session.get(Client, cid)
            if (
                client is None
                or client.deleted_at is not None
                or not client.owner_id
                or client.owner_id == held.user_id
            ):
                continue
            result.other_moves += move_open_work(
                session, writer, cid, held.user_id, client.owner_id, fallback_user_id=client.backup_owner_id
            )
        for group in (
            *(h["moves"] for h in result.handovers),
            *(b["moves"] for b in result.backups),
            *(t["moves"] for t in result.teams),
            result.other_moves,
        ):
            result.unmoved += [m for m in group if not m["moved"]]
        if deactivate:
            if get_meta(session, META_SERVER_URL):
                raise ValidationError(
                    "deactivate",
                    _(
                        "Users are managed on the company server: deactivate {user} there once this handover has synced "
                        "(accountdesk-server user deactivate, or user handover --deactivate)."
                    ).format(user=held.display_name),
                )
            user = session.get(User, held.user_id)
            if user is None:
                raise NotFoundError(_("The record no longer exists (it may have been deleted)."))
            result.deactivated = bool(writer.update(user, {"active": False}))
    return result


def assign_clients(
    ctx: AppContext, client_refs: Sequence[str], to: str, *, reason: str | None = None
) -> list[dict[str, Any]]:
    """Hand several clients to one new owner in one unit of work (``clients assign A B C --to``)."""
    from .clients import resolve_client

    _require_supervisor(ctx)
    ids = list(dict.fromkeys(resolve_client(ctx, ref) for ref in client_refs))
    if not ids:
        raise ValidationError("client", _("Name at least one client."))
    with ctx.write() as (session, writer):
        return [hand_over_in(ctx, session, writer, cid, to, reason) for cid in ids]


def clients_held_by(ctx: AppContext, user: str) -> list[str]:
    """Ids of the live clients ``user`` owns, backs up or serves on."""
    with ctx.read() as session:
        uid = resolve_user(session, user, field="from").id
        return list(session.scalars(select(Client.id).where(Client.deleted_at.is_(None), serves(uid))))
