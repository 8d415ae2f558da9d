"""Queries over the search index: matching SQL for trigram and two-character indexes, broad
queries, the rows found, the clause the client list filters with, pinyin sort order, snippets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnClause, ColumnElement, TextClause, column, func, table, text
from sqlalchemy.orm import Session

from ...models import Client
from .text import _SPACE, digits, normalise_query, segment_mixed

# -- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawHit:
    entity: str
    row_id: str
    client_id: str
    label: str
    name_match: bool
    confidential: bool = False


def _fts_phrase(q: str) -> str:
    return '"' + q.replace('"', '""') + '"'


def _match_sql(q: str, column: str | None = None, cap: int | None = None) -> tuple[str, dict[str, str]]:
    """SQL selecting the ``search_rows.id`` of rows matching the normalised query ``q``, in
    ``column`` (``name_doc`` or ``body_doc``) or in either; at most ``cap`` rows (any of them)."""
    sql, params = _plain_match_sql(q, column)
    if cap:
        sql += f" LIMIT {int(cap)}"
    units = segment_mixed(q) if column != "body_doc" else None
    if units:
        # Mixed full syllables and initials: candidates from the index (every whole syllable of
        # three letters or more, and the initials), each confirmed by ad_mixed_match.
        initials = "".join(u[0] for u in units)
        terms = list(
            dict.fromkeys([u for u in units if len(u) >= 3] + ([initials] if len(initials) >= 3 else []))
        )
        if terms:
            cand = "SELECT rowid FROM search_tri WHERE search_tri MATCH :mfts"
            cparams = {"mfts": "{name_doc} : (" + " AND ".join(_fts_phrase(t) for t in terms) + ")"}
        else:
            cand, cparams = _plain_match_sql(initials, "name_doc")
            cparams = {f"m{k}": v for k, v in cparams.items()}
            for k in ("fts", "q"):
                cand = cand.replace(f":{k}", f":m{k}")
        mixed = f"SELECT m.id FROM search_rows m WHERE m.id IN ({cand}) AND ad_mixed_match(m.name_doc, :mixq)"
        if cap:
            mixed += f" LIMIT {int(cap)}"
        sql = f"SELECT * FROM ({sql}) UNION SELECT * FROM ({mixed})"
        params = {**params, **cparams, "mixq": q}
    return sql, params


def _plain_match_sql(q: str, column: str | None = None) -> tuple[str, dict[str, str]]:
    if len(q) >= 3:
        expr = _fts_phrase(q) if column is None else "{" + column + "} : " + _fts_phrase(q)
        return "SELECT rowid FROM search_tri WHERE search_tri MATCH :fts", {"fts": expr}
    # One or two characters: the gram index narrows the rows, the stored text confirms where.
    expr = _fts_phrase(q) if len(q) == 2 else _fts_phrase(q) + " *"
    where = {
        None: "(instr(s.name_doc, :q) > 0 OR instr(s.body_doc, :q) > 0)",
        "name_doc": "instr(s.name_doc, :q) > 0",
        "body_doc": "instr(s.body_doc, :q) > 0",
    }[column]
    sql = f"SELECT s.id FROM search_rows s WHERE s.id IN (SELECT rowid FROM search_bi WHERE search_bi MATCH :fts) AND {where}"
    return sql, {"fts": expr, "q": q}


#: A short query matching at least this many indexed rows is "broad" (see matching_clients_clause).
BROAD_ROWS = 1500


def is_broad(session: Session, query: str) -> bool:
    """Does a one- or two-character query match many rows? (A cheap, capped probe of the gram
    index; longer queries are selective enough for the trigram index.)

    The answer only picks a query plan (both plans give the same rows), so it is remembered per
    store: a stale answer after many edits costs a few milliseconds, never a wrong result."""
    q = normalise_query(query)
    if not q or len(q) > 2:
        return False
    bind = session.get_bind()
    key = (str(bind.engine.url), q)
    known = _broad_cache.get(key)
    if known is not None:
        return known
    expr = _fts_phrase(q) if len(q) == 2 else _fts_phrase(q) + " *"
    sql = f"SELECT count(*) FROM (SELECT rowid FROM search_bi WHERE search_bi MATCH :fts LIMIT {BROAD_ROWS})"
    broad = bool(session.execute(text(sql), {"fts": expr}).scalar_one() >= BROAD_ROWS)
    if len(_broad_cache) >= 4096:
        _broad_cache.clear()
    _broad_cache[key] = broad
    return broad


_broad_cache: dict[tuple[str, str], bool] = {}


def matching_clients_clause(query: str, id_sql: str = "clients.id", *, broad: bool = False) -> TextClause:
    """A WHERE clause: ``id_sql`` is the id of a client with an indexed record matching ``query``.

    Pass ``"+search_rows.row_id"`` when the statement walks ``ix_search_rows_sort`` (the client
    list in name order): the unary plus keeps SQLite from driving the query by the match list,
    so it pages through the name index and checks each row against the list, which bounds the
    cost of broad queries (``有限公司`` matches nearly every client) by one index walk.

    ``broad`` (from :func:`is_broad`): a one- or two-character query that matches a large share
    of all rows (the first keystrokes: ``h``, ``zh``, ``华``). Building the list of its matches
    costs more than checking each client's own rows as the walk reaches them, and the walk stops
    once the page is full.
    """
    q = normalise_query(query)
    if not q:
        return text("1")
    if broad and len(q) <= 2:
        return text(
            f"EXISTS (SELECT 1 FROM search_rows s1 WHERE s1.client_id = {id_sql} "
            "AND (instr(s1.name_doc, :q1) > 0 OR instr(s1.body_doc, :q1) > 0))"
        ).bindparams(q1=q)
    inner, params = _match_sql(q)
    return text(f"{id_sql} IN (SELECT client_id FROM search_rows WHERE id IN ({inner}))").bindparams(**params)


def search_rows(session: Session, query: str, *, limit: int = 200) -> list[RawHit]:
    """Indexed records matching ``query``: name matches first (clients, then contacts), then
    matches in the other text; at most ``limit``."""
    q = normalise_query(query)
    if not q:
        return []
    out: list[RawHit] = []
    seen: set[int] = set()
    for where in ("name_doc", "body_doc"):
        if len(out) >= limit:
            break
        # A broad query (``有限``, ``xian``) matches most rows: look at a bounded number of them.
        inner, params = _match_sql(q, where, cap=max(limit * 5, 250))
        # Clients, then contacts, then notes; within each, names that begin with the query (as
        # typed, in full pinyin or in initials) before names that contain it, shorter first.
        sql = (
            "SELECT r.id, r.entity, r.row_id, r.client_id, r.label, r.confidential FROM search_rows r "
            f"WHERE r.id IN ({inner}) "
            "ORDER BY CASE r.entity WHEN 'client' THEN 0 WHEN 'contact' THEN 1 ELSE 2 END, "
            "instr(char(31) || r.name_doc, char(31) || :prefix) = 0, length(r.label), r.id LIMIT :limit"
        )
        rows = session.execute(text(sql), {**params, "prefix": q, "limit": limit - len(out)})
        for rid, entity, row_id, client_id, label, conf in rows:
            if rid in seen:
                continue
            seen.add(rid)
            out.append(RawHit(entity, row_id, client_id, label, where == "name_doc", bool(conf)))
    return out[:limit]


#: The index table for SQLAlchemy Core statements (not part of the ORM metadata).
search_rows_table = table(
    "search_rows",
    column("id"),
    column("entity"),
    column("row_id"),
    column("client_id"),
    column("label"),
    column("sort_key"),
    column("confidential"),
)


def _sort_key_column() -> ColumnClause[Any]:
    from sqlalchemy import literal_column

    return literal_column("(SELECT sort_key FROM search_rows WHERE search_rows.row_id = clients.id)")


def name_sort_expr(model: Any = Client) -> ColumnElement[Any]:
    """The pinyin collation key of a client's name (from the index; the lower-cased name as fallback)."""
    return func.coalesce(_sort_key_column(), func.lower(model.name))


def snippet(value: str, query: str, width: int = 60) -> str:
    """Up to ``width`` characters of ``value`` around the first match of ``query`` (if any)."""
    value = _SPACE.sub(" ", value or "").strip()
    q = (query or "").strip().casefold()
    i = value.casefold().find(q) if q else -1
    if i < 0:
        d = digits(query)
        if len(d) >= 3:
            # Find the digits inside a formatted number.
            flat = [(j, ch) for j, ch in enumerate(value) if ch.isdigit()]
            s = "".join(ch for _j, ch in flat).find(d)
            if s >= 0:
                i = flat[s][0]
    if i < 0:
        return value[:width] + ("…" if len(value) > width else "")
    start = max(0, i - width // 3)
    return ("…" if start else "") + value[start : start + width] + ("…" if start + width < len(value) else "")
