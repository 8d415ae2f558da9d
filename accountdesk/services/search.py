"""The read side of the client list: paged, filtered, sorted client rows and global search.

Paging is by key ("the rows after this sort key"), never by OFFSET, so a page costs the same
wherever it is in the list and rows changed between two pages are neither skipped nor repeated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypedDict, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, tuple_
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from ..errors import ValidationError
from ..i18n import _
from ..models import Client, Contact, RiskFlag, ServiceNote, User
from ..models.enums import ClientStatus, Tier
from ..store import search as index
from ..sync.changes import get_meta, set_meta
from .context import AppContext
from .scheduling import id_list
from .scope import scope_condition, visible_client_ids

SORTS = ("name", "tier", "status", "province", "owner", "contract_renewal_date")
_TIER_ORDER = [t.value for t in (Tier.STRATEGIC, Tier.KEY, Tier.STANDARD)]
_STATUS_ORDER = [s.value for s in ClientStatus]
_FAR_DATE = "9999-12-31"
_Ts = TypeVarTuple("_Ts")
#: A sort key of the client list: an expression or a column of the clients.
_Key = ColumnElement[Any] | QueryableAttribute[Any]


@dataclass(frozen=True)
class ClientFilter:
    tiers: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    owner_ids: tuple[str, ...] = ()
    #: Only clients with an active (not cleared) risk flag.
    risk_only: bool = False
    #: Only clients without an owner (or whose owner is no longer active).
    needs_owner: bool = False
    #: Only these clients (the list behind a dashboard figure); ``None``: no such limit.
    ids: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class ClientRow:
    id: str
    name: str
    short_name: str | None
    tier: str
    status: str
    province: str | None
    city: str | None
    industry: str | None
    owner_id: str | None
    owner_name: str | None
    backup_owner_id: str | None
    contract_renewal_date: dt.date | None
    health_score: int | None = None
    health_level: str | None = None
    risk_kinds: tuple[str, ...] = ()
    next_due: dt.date | None = None
    overdue: bool = False


@dataclass(frozen=True)
class ClientPage:
    rows: list[ClientRow] = field(default_factory=list)
    #: Pass as ``after`` to get the next page; ``None`` when this was the last page.
    next_after: tuple[Any, ...] | None = None
    #: The rows carry their health, risks and next due date (see ``list_clients_page(extras=...)``).
    extras: bool = True


@dataclass(frozen=True)
class SearchHit:
    client_id: str
    client_name: str
    entity: str  # client | contact | service_note
    row_id: str
    label: str
    snippet: str


# -- the client list --------------------------------------------------------------------------


def _sort_columns(sort: str, owner: type[User], name_key: ColumnElement[Any]) -> list[_Key]:
    if sort == "name":
        return [name_key]
    if sort == "tier":
        return [
            case({t: i for i, t in enumerate(_TIER_ORDER)}, value=Client.tier, else_=len(_TIER_ORDER)),
            name_key,
        ]
    if sort == "status":
        return [
            case({s: i for i, s in enumerate(_STATUS_ORDER)}, value=Client.status, else_=len(_STATUS_ORDER)),
            name_key,
        ]
    # Provinces and people's names in pinyin order too (ad_sort_key: see store/search.py).
    if sort == "province":
        return [func.ad_sort_key(func.coalesce(Client.province, "")), name_key]
    if sort == "owner":
        return [func.ad_sort_key(func.coalesce(owner.display_name, "")), name_key]
    if sort == "contract_renewal_date":
        return [func.coalesce(Client.contract_renewal_date, _FAR_DATE), name_key]
    raise ValidationError("sort", _("Unknown sort order: {sort}").format(sort=sort))


def _filtered(
    ctx: AppContext,
    stmt: Select[*_Ts],
    search: str | None,
    filters: ClientFilter | None,
    *,
    id_sql: str = "clients.id",
) -> Select[*_Ts]:
    stmt = stmt.where(Client.deleted_at.is_(None), scope_condition(ctx))
    f = filters or ClientFilter()
    if f.tiers:
        stmt = stmt.where(Client.tier.in_(f.tiers))
    if f.statuses:
        stmt = stmt.where(Client.status.in_(f.statuses))
    if f.provinces:
        stmt = stmt.where(Client.province.in_(f.provinces))
    if f.industries:
        stmt = stmt.where(Client.industry.in_(f.industries))
    if f.owner_ids:
        stmt = stmt.where(Client.owner_id.in_(f.owner_ids))
    if f.risk_only:
        stmt = stmt.where(
            Client.id.in_(
                select(RiskFlag.client_id).where(RiskFlag.deleted_at.is_(None), RiskFlag.cleared_at.is_(None))
            )
        )
    if f.needs_owner:
        active_users = select(User.id).where(User.deleted_at.is_(None), User.active.is_(True))
        stmt = stmt.where(or_(Client.owner_id.is_(None), Client.owner_id.not_in(active_users)))
    if f.ids is not None:
        from .scheduling import id_list

        stmt = stmt.where(Client.id.in_(id_list(f.ids)))
    text = (search or "").strip()
    if text:
        with ctx.read() as session:
            broad = index.is_broad(session, text)
        stmt = stmt.where(index.matching_clients_clause(text, id_sql, broad=broad))
    return stmt


_ROW_COLUMNS = (
    Client.id,
    Client.name,
    Client.short_name,
    Client.tier,
    Client.status,
    Client.province,
    Client.city,
    Client.industry,
    Client.owner_id,
    Client.backup_owner_id,
    Client.contract_renewal_date,
)


def list_clients_page(
    ctx: AppContext,
    *,
    search: str | None = None,
    filters: ClientFilter | None = None,
    sort: str = "name",
    descending: bool = False,
    after: tuple[Any, ...] | None = None,
    limit: int | None = 200,
    extras: bool = True,
) -> ClientPage:
    """One page of the client list. ``after`` is the ``next_after`` of the previous page
    (an opaque tuple of the last row's sort key); ``limit=None`` returns every row.

    ``extras=False``: without the health, risk and next-due columns (most of a page's cost), for a
    list that shows its rows at once and asks :func:`client_row_extras` for them right after."""
    if limit is not None and limit < 1:
        raise ValidationError("limit", _("The page size must be at least 1."))
    if sort not in SORTS:
        raise ValidationError("sort", _("Unknown sort order: {sort}").format(sort=sort))
    owner = aliased(User)
    sr = index.search_rows_table
    # Name order comes from the index (pinyin collation key), which also serves as the row
    # source, so the default order pages through an index without sorting the whole list.
    # Phase 1: only the sort keys of the page (narrow rows sort fast); phase 2: its columns.
    if sort == "name":
        # Walk the index in name order, from the page position on: no sort step at all.
        keys: list[_Key] = [sr.c.sort_key, sr.c.row_id]
        stmt = (
            select(*[k.label(f"_k{i}") for i, k in enumerate(keys)])
            .select_from(sr)
            .join(Client, Client.id == sr.c.row_id)
            .where(sr.c.entity == "client")
        )
        stmt = _filtered(ctx, stmt, search, filters, id_sql="+search_rows.row_id")
    else:
        # Scan the clients and look each name key up (cheaper than the other way round).
        keys = [*_sort_columns(sort, owner, index.name_sort_expr(Client)), Client.id]
        stmt = select(*[k.label(f"_k{i}") for i, k in enumerate(keys)]).select_from(Client)
        if sort == "owner":
            stmt = stmt.outerjoin(owner, owner.id == Client.owner_id)
        stmt = _filtered(ctx, stmt, search, filters)
    if after is not None:
        if not isinstance(after, (tuple, list)) or len(after) != len(keys):
            raise ValidationError("after", _("The page position does not fit this sort order."))
        row_key = tuple_(*keys)
        bound = tuple_(*[literal(v) for v in after])
        stmt = stmt.where(row_key < bound if descending else row_key > bound)
    stmt = stmt.order_by(*[k.desc() if descending else k.asc() for k in keys])
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    with ctx.read() as session:
        page_keys = session.execute(stmt).all()
        more = limit is not None and len(page_keys) > limit
        if limit is not None:
            page_keys = page_keys[:limit]
        ids = [k[-1] for k in page_keys]
        by_id = {
            r.id: r
            for r in session.execute(
                select(*_ROW_COLUMNS, owner.display_name.label("owner_name"))
                .outerjoin(owner, owner.id == Client.owner_id)
                .where(Client.id.in_(id_list(ids)))
            )
        }
        row_extras = _row_extras(ctx, session, ids) if extras else {}
    rows = []
    # Values repeated from row to row (tier, status, region, industry, owner) are kept once:
    # a list of 10,000 clients holds a few hundred distinct ones.
    same = _shared
    for cid in ids:
        r = by_id[cid]
        rows.append(
            ClientRow(
                id=r.id,
                name=r.name,
                short_name=r.short_name,
                tier=same(r.tier),
                status=same(r.status),
                province=same(r.province),
                city=same(r.city),
                industry=same(r.industry),
                owner_id=same(r.owner_id),
                owner_name=same(r.owner_name),
                backup_owner_id=same(r.backup_owner_id),
                contract_renewal_date=r.contract_renewal_date,
                **row_extras.get(r.id, RowExtras()),
            )
        )
    next_after = tuple(_plain(v) for v in page_keys[-1]) if more and page_keys else None
    return ClientPage(rows, next_after, extras)


_SHARED: dict[Any, Any] = {}


def _shared(value: Any) -> Any:
    """One object for equal values (strings repeated across the rows of the client list)."""
    if value is None:
        return None
    if len(_SHARED) > 50_000:  # a bound, not a cache policy: values are few
        _SHARED.clear()
    return _SHARED.setdefault(value, value)


class RowExtras(TypedDict, total=False):
    """The columns of a :class:`ClientRow` a page read with ``extras=False`` lacks."""

    risk_kinds: tuple[str, ...]
    health_score: int | None
    health_level: str | None
    next_due: dt.date | None
    overdue: bool


def client_row_extras(ctx: AppContext, ids: list[str]) -> dict[str, RowExtras]:
    """The health, risks and next due date of the clients ``ids`` (the columns a page read with
    ``extras=False`` lacks), as ``{client id: {field: value}}`` for ``dataclasses.replace``."""
    with ctx.read() as session:
        return _row_extras(ctx, session, list(ids))


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _row_extras(ctx: AppContext, session: Session, ids: list[str]) -> dict[str, RowExtras]:
    """Risk kinds, health and the next due visit of a page of clients (batched)."""
    if not ids:
        return {}
    risks: dict[str, set[str]] = {}
    for cid, kind in session.execute(
        select(RiskFlag.client_id, RiskFlag.kind).where(
            RiskFlag.client_id.in_(id_list(ids)), RiskFlag.deleted_at.is_(None), RiskFlag.cleared_at.is_(None)
        )
    ):
        if cid is not None:  # (the query asks for these clients' flags)
            risks.setdefault(cid, set()).add(kind)
    from .health import page_extras

    return {
        cid: {
            "risk_kinds": tuple(sorted(risks.get(cid, ()))),
            "health_score": values["health_score"],
            "health_level": values["health_level"],
            "next_due": values["next_due"],
            "overdue": values["overdue"],
        }
        for cid, values in page_extras(ctx, session, ids).items()
    }


def count_clients(ctx: AppContext, *, search: str | None = None, filters: ClientFilter | None = None) -> int:
    stmt = _filtered(ctx, select(func.count(Client.id)), search, filters)
    with ctx.read() as session:
        return int(session.scalar(stmt) or 0)


class FilterOptions(TypedDict):
    """The choices of the client list's filters, each in the order shown."""

    provinces: list[str]
    industries: list[str]
    owners: list[tuple[str, str]]  # (user id, display name)
    tiers: list[str]
    statuses: list[str]


def filter_options(ctx: AppContext) -> FilterOptions:
    """Distinct values for the filter combo boxes of the client list (within the user's scope)."""
    with ctx.read() as session:
        base = and_(Client.deleted_at.is_(None), scope_condition(ctx))
        provinces = [
            p
            for p in session.scalars(
                select(Client.province)
                .where(base, Client.province.is_not(None), Client.province != "")
                .distinct()
                .order_by(Client.province)
            )
            if p is not None  # (none is: the query leaves them out)
        ]
        industries = [
            i
            for i in session.scalars(
                select(Client.industry)
                .where(base, Client.industry.is_not(None), Client.industry != "")
                .distinct()
                .order_by(Client.industry)
            )
            if i is not None
        ]
        owner_ids = select(Client.owner_id).where(base, Client.owner_id.is_not(None)).distinct()
        owners = session.execute(
            select(User.id, User.display_name).where(User.id.in_(owner_ids)).order_by(User.display_name)
        ).all()
    key = label_sort_keys(ctx, [*provinces, *industries, *(o.display_name for o in owners)])
    return {
        "provinces": sorted(provinces, key=key.__getitem__),
        "industries": sorted(industries, key=key.__getitem__),
        "owners": sorted(((o.id, o.display_name) for o in owners), key=lambda o: key[o[1]]),
        "tiers": list(_TIER_ORDER),
        "statuses": list(_STATUS_ORDER),
    }


#: The pinyin sort keys of the filter choices, kept in the store's (device-local) meta table.
META_LABEL_KEYS = "label_sort_keys"


def label_sort_keys(ctx: AppContext, labels: list[str]) -> dict[str, str]:
    """``{label: its pinyin sort key}`` (``store.search.sort_key``) for a few hundred short labels
    (provinces, industries, people), remembered in the store: computing a key loads pypinyin's
    phrase dictionary (~60 MB resident, half a second), which a session that only browses the
    client list would otherwise never need. Keys are computed again after an update of pypinyin."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        stamp = version("pypinyin")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        stamp = ""
    wanted = set(labels)
    with ctx.read() as session:
        stored = get_meta(session, META_LABEL_KEYS) or {}
    known: dict[str, str] = stored.get("keys", {}) if stored.get("pypinyin") == stamp else {}
    missing = wanted - known.keys()
    if not missing:
        return {label: known[label] for label in wanted}
    keys = {label: known[label] for label in wanted if label in known}
    keys.update((label, index.sort_key(label)) for label in missing)
    try:
        with ctx.store.write() as session:
            set_meta(session, META_LABEL_KEYS, {"pypinyin": stamp, "keys": keys})
    except OperationalError:  # the store is busy writing (a sync): computed again next time
        pass
    return keys


# -- global search ----------------------------------------------------------------------------


def search(ctx: AppContext, text: str, *, limit: int = 50) -> list[SearchHit]:
    """Clients, contacts, phones, emails and notes matching ``text`` (Chinese substring, pinyin
    syllables or initials, digits of a phone number): name matches first, clients before
    contacts, then matches in phones, emails and notes."""
    if not (text or "").strip():
        return []
    if limit < 1:
        raise ValidationError("limit", _("The number of results must be at least 1."))
    with ctx.read() as session:
        raw = index.search_rows(session, text, limit=limit * 2 + 20)
        if not raw:
            return []
        client_ids = {h.client_id for h in raw}
        live = dict(
            session.execute(
                select(Client.id, Client.name).where(Client.id.in_(client_ids), Client.deleted_at.is_(None))
            ).all()
        )
        allowed = None if ctx.actor.sees_all_clients else visible_client_ids(ctx, session)
        confidential_ok = ctx.actor.sees_confidential
        hits = [
            h
            for h in raw
            if h.client_id in live
            and (allowed is None or h.client_id in allowed)
            and not (h.confidential and not confidential_ok)
        ][:limit]
        texts = _hit_texts(session, hits)
    out = []
    for h in hits:
        label, body = texts.get(h.row_id, (h.label, h.label))
        out.append(
            SearchHit(
                client_id=h.client_id,
                client_name=live[h.client_id],
                entity=h.entity,
                row_id=h.row_id,
                label=label,
                snippet=index.snippet(body, text),
            )
        )
    return out


def warm_index(ctx: AppContext, cancelled: Any = None, *, plaintext_too: bool = False) -> int:
    """Read the search index once into the store's page cache, so the first keystrokes of a
    search are as fast as the later ones (an encrypted profile decrypts each page the first time a
    connection reads it). The UI runs it on the database lane once the first screen is filled.
    A plaintext profile is left alone (its pages come from the OS file cache) unless
    ``plaintext_too`` (the benchmark, for a fair comparison). Returns how many statements ran."""
    if not ctx.store.encrypted and not plaintext_too:
        return 0
    return ctx.store.warm_search(cancelled)


def _hit_texts(session: Session, hits: Iterable[index.RawHit]) -> dict[str, tuple[str, str]]:
    """(label, text shown around the match) of each hit, read from the records themselves."""
    out: dict[str, tuple[str, str]] = {}
    by_entity: dict[str, list[index.RawHit]] = {}
    for h in hits:
        by_entity.setdefault(h.entity, []).append(h)
    if "client" in by_entity:
        for cl in session.execute(
            select(Client.id, Client.name, Client.short_name, Client.uscc).where(
                Client.id.in_(id_list(h.row_id for h in by_entity["client"]))
            )
        ):
            out[cl.id] = (cl.name, " · ".join(filter(None, [cl.name, cl.short_name, cl.uscc])))
    if "contact" in by_entity:
        name_hits = {h.row_id for h in by_entity["contact"] if h.name_match}
        for c in session.execute(
            select(
                Contact.id,
                Contact.name,
                Contact.title,
                Contact.department,
                Contact.mobile,
                Contact.phone,
                Contact.email,
                Contact.wechat,
                Contact.notes,
            ).where(Contact.id.in_(id_list(h.row_id for h in by_entity["contact"])))
        ):
            label = " · ".join(filter(None, [c.name, c.title]))
            if c.id in name_hits:
                body = " · ".join(filter(None, [c.name, c.title, c.department, c.mobile or c.phone]))
            else:
                body = " · ".join(
                    filter(
                        None, [c.name, c.mobile, c.phone, c.email, c.wechat, c.title, c.department, c.notes]
                    )
                )
            out[c.id] = (label, body)
    if "service_note" in by_entity:
        for n in session.execute(
            select(ServiceNote.id, ServiceNote.category, ServiceNote.text).where(
                ServiceNote.id.in_(id_list(h.row_id for h in by_entity["service_note"]))
            )
        ):
            out[n.id] = (n.category or _("Service note"), n.text)
    return out


__all__ = [
    "ClientFilter",
    "ClientRow",
    "ClientPage",
    "SearchHit",
    "list_clients_page",
    "client_row_extras",
    "count_clients",
    "filter_options",
    "search",
    "warm_index",
    "scope_condition",
    "visible_client_ids",
    "SORTS",
]
