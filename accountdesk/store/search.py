"""The local search index: clients, contacts and service notes, in Chinese and pinyin.

How it works
------------
``search_rows`` holds one row per live indexed record (a client, a contact, a service note) with
two normalised documents:

- ``name_doc``: the record's name(s) as typed, plus for Chinese text the full pinyin (syllables
  run together) and the initials, for the usual reading and, where characters have several
  readings, for the common alternative (``护航科技`` → ``护航科技``, ``huhangkeji``, ``hhkj``);
- ``body_doc``: the other searchable text — phones as digits, emails, WeChat ids, titles and
  notes.

Normalised means NFKC, case-folded and without white space, so ``Hu Hang`` and ``huhang`` are
the same query. Two FTS5 indexes sit on ``search_rows``: ``search_tri`` (trigram tokenizer:
any substring of three or more characters) and ``search_bi`` (the two-character grams of each
word: queries of one or two characters such as ``华为`` or ``hw``, which a trigram index cannot
answer).

The index is kept by SQLite triggers on ``clients``, ``contacts`` and ``service_notes`` that call
the deterministic Python functions below, registered on every connection by the store's connect
hook. So the index stays right whoever writes the rows: services, the sync engine applying
pulled rows, bulk demo generation, imports, or plain SQL. Tombstoned rows (``deleted_at`` set)
leave the index. :func:`rebuild` recreates it from the tables. A large import of new rows indexes
them in one pass instead (:func:`indexed_in_bulk`), inside its own transaction.
"""

from __future__ import annotations

import contextlib
import functools
import operator
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import column, func, table, text
from sqlalchemy.orm import Session

from ..models import Client

SEP = "\x1f"  # between the parts of a document; never part of a query
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[^\W_]+")  # runs of letters/digits (Han included)
_PHONEISH = re.compile(r"^[\d\s+\-().]+$")
_SPACE = re.compile(r"\s+")
MAX_VARIANTS = 4
#: Surnames read otherwise than the character's usual reading.
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao", "查": "zha",
    "盖": "ge", "乐": "yue", "缪": "miao", "覃": "qin", "翟": "zhai", "秘": "bi", "种": "chong",
    "召": "shao", "员": "yun", "洗": "xian", "柏": "bai", "折": "she", "隗": "wei", "宿": "su",
    "薄": "bo", "句": "gou", "阚": "kan",
}  # pinyin readings indexed per name: the usual one and common alternatives


# -- normalisation ------------------------------------------------------------------------------


def normalise(value: str | None) -> str:
    """NFKC, case-folded, white space removed (used for documents and queries alike)."""
    if not value:
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", value).casefold())


def normalise_query(query: str | None) -> str:
    """A query as it is looked up: phone-like input keeps only its digits."""
    q = normalise(query).replace(SEP, "")
    if q and _PHONEISH.match(query.strip()) and any(ch.isdigit() for ch in q):
        return "".join(ch for ch in q if ch.isdigit())
    return q


def digits(value: str | None) -> str:
    return "".join(filter(str.isdigit, value or ""))


# -- pinyin -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=65536)
def _han_readings(run: str) -> tuple[tuple[str, ...], ...]:
    """Pinyin variants (syllable tuples) of a run of Han characters: the phrase-aware reading
    first, then per-character common readings that differ from it."""
    from pypinyin.seg.simpleseg import seg

    # pypinyin reads a run word by word (its own segmentation, then each word's reading): the
    # words repeat across names (有限公司, 科技, surnames) and are cached, which makes the first
    # indexing of thousands of new names (an initial sync, an import) several times faster.
    # tests/store/test_search_pinyin.py checks this against lazy_pinyin of the whole run.
    usual = tuple(syllable for word in seg(run) for syllable in _word_readings(word))
    variants = [usual]
    if len(usual) == len(run) <= 4:
        # The character-by-character most common reading (where phrases read otherwise), for
        # short runs: people's names and short names (long company names would only grow the
        # index with readings nobody types).
        default = tuple(_char_readings(ch)[0] for ch in run)
        if default not in variants:
            variants.append(default)
    # Surnames often read otherwise than the character does elsewhere (曾 zeng, 单 shan).
    surname = SURNAME_READINGS.get(run[0])
    if surname and len(variants) < MAX_VARIANTS:
        alt = (surname, *usual[1:])
        if alt not in variants:
            variants.append(alt)
    return tuple(variants[:MAX_VARIANTS])


@functools.lru_cache(maxsize=65536)
def _word_readings(word: str) -> tuple[str, ...]:
    """pypinyin's toneless reading of one word of its segmentation."""
    from pypinyin import Style, lazy_pinyin

    return tuple(lazy_pinyin(word, style=Style.NORMAL))


@functools.lru_cache(maxsize=32768)
def _char_readings(ch: str) -> tuple[str, ...]:
    """A character's toneless readings, most common first."""
    from pypinyin import Style, pinyin

    return tuple(dict.fromkeys(pinyin(ch, style=Style.NORMAL, heteronym=True)[0]))


@functools.lru_cache(maxsize=65536)
def pinyin_forms(value: str) -> tuple[str, ...]:
    """Full pinyin and initials of each reading variant of ``value`` (normalised, deduplicated).
    Non-Han parts are kept as they are in both forms."""
    value = normalise(value)
    if not value or not _HAN.search(value):
        return ()
    parts: list[str | tuple[tuple[str, ...], ...]] = []
    pos = 0
    for m in _HAN.finditer(value):
        if m.start() > pos:
            parts.append(value[pos : m.start()])
        parts.append(_han_readings(m.group()))
        pos = m.end()
    if pos < len(value):
        parts.append(value[pos:])
    n_variants = max(len(p) for p in parts if isinstance(p, tuple))
    forms: list[str] = []
    for v in range(n_variants):
        full, initials = [], []
        for p in parts:
            if isinstance(p, str):
                full.append(p)
                initials.append(p)
            else:
                syllables = p[min(v, len(p) - 1)]
                full.append("".join(syllables))
                initials.append("".join(s[0] for s in syllables if s))
        forms.extend(["".join(full), "".join(initials)])
    return tuple(dict.fromkeys(forms))


@functools.lru_cache(maxsize=65536)
def sort_key(name: str | None) -> str:
    """A collation key ordering Chinese names by pinyin syllable by syllable (华 hua after 护 hu),
    Latin names among them (阿里 a-li < Acme < 安徽 an-hui)."""
    if not name:
        return ""
    text_ = unicodedata.normalize("NFKC", name).casefold().strip()
    out = []
    pos = 0
    for m in _HAN.finditer(text_):
        out.append(text_[pos : m.start()])
        out.append("".join(syllable + "\x01" for syllable in _han_readings(m.group())[0]))
        pos = m.end()
    out.append(text_[pos:])
    # Append the text itself so that homophones order stably and distinct names never tie.
    return "".join(out) + "\x00" + text_


# -- mixed pinyin (full syllables and initials in one query) ------------------------------------

#: Every toneless pinyin syllable (ü written v, as pypinyin's NORMAL style does).
SYLLABLES = frozenset(
    """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu ca cai
    can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai
    chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di
    dia dian diao die din ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng
    fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha
    hai han hang hao he hei hen heng hm hng hong hou hu hua huai huan huang hui hun huo ji jia jian
    jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku
    kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei len leng li lia lian liang liao lie lin
    ling liu lo long lou lu luan lun luo lv lve m ma mai man mang mao me mei men meng mi mian miao mie
    min ming miu mo mou mu n na nai nan nang nao ne nei nen neng ng ni nia nian niang niao nie nin ning
    niu nong nou nu nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping
    po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri
    rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei
    shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta
    tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei
    wen weng wo wong wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye
    yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao
    zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan
    zui zun zuo
    """.split()
)


_SYLLABLE_PREFIXES = frozenset(syl[:i] for syl in SYLLABLES for i in range(1, len(syl) + 1))


def segment_mixed(query: str) -> list[str] | None:
    """Split a letters-only query into pinyin units, each the longest run that begins a syllable:
    ``huhkj`` → ``[hu, h, k, j]``, ``hhang`` → ``[h, hang]``. ``None`` unless the query really
    mixes forms, i.e. a unit other than the last is not a whole syllable (full pinyin, initials
    and a full-pinyin prefix are found by plain substring search)."""
    if not query.isascii() or not query.isalpha():
        return None
    units: list[str] = []
    i = 0
    while i < len(query):
        size = 1
        for n in range(min(6, len(query) - i), 1, -1):
            if query[i : i + n] in _SYLLABLE_PREFIXES:
                size = n
                break
        units.append(query[i : i + size])
        i += size
    if len(units) < 2 or all(len(u) == 1 for u in units):
        return None
    if all(u in SYLLABLES for u in units[:-1]):
        return None
    return units


@functools.lru_cache(maxsize=65536)
def _unit_variants(part: str) -> tuple[tuple[str, ...], ...]:
    """The reading variants of a normalised name as unit tuples (syllables; other runs whole)."""
    pieces: list[tuple[tuple[str, ...], ...] | str] = []
    pos = 0
    for m in _HAN.finditer(part):
        if m.start() > pos:
            pieces.append(part[pos : m.start()])
        pieces.append(_han_readings(m.group()))
        pos = m.end()
    if pos < len(part):
        pieces.append(part[pos:])
    n = max((len(p) for p in pieces if isinstance(p, tuple)), default=0)
    out = []
    for v in range(n):
        units: list[str] = []
        for p in pieces:
            units.extend([p] if isinstance(p, str) else p[min(v, len(p) - 1)])
        out.append(tuple(units))
    return tuple(out)


def _consume(units: tuple[str, ...], i: int, q: str, j: int) -> bool:
    if j == len(q):
        return True
    if i == len(units):
        return False
    u = units[i]
    k = 0
    while k < len(u) and j + k < len(q) and u[k] == q[j + k]:
        k += 1
        if _consume(units, i + 1, q, j + k):
            return True
    return False


def mixed_match(doc: str | None, query: str | None) -> int:
    """1 when consecutive syllables of a name in ``doc`` (a ``name_doc``) spell ``query`` with each
    syllable given in full or by its first letters (``huhkj``, ``hhang``, ``zhongguoyh``)."""
    if not doc or not query:
        return 0
    for part in doc.split(SEP):
        if not _HAN.search(part):
            continue
        for units in _unit_variants(part):
            if any(_consume(units, start, query, 0) for start in range(len(units))):
                return 1
    return 0


# -- document builders (registered as SQL functions) --------------------------------------------


def name_doc(*names: str | None) -> str:
    parts: list[str] = []
    for name in names:
        n = normalise(name)
        if n:
            parts.append(n)
            parts.extend(pinyin_forms(n))
    return SEP.join(dict.fromkeys(parts))


def body_doc(*values: str | None) -> str:
    parts = [normalise(v) for v in values]
    return SEP.join(p for p in parts if p)


def phones_doc(*values: str | None) -> str:
    """Phone numbers as digits (a number without its country code is a substring of them)."""
    return SEP.join(dict.fromkeys(d for d in (digits(v) for v in values) if d))


def join_docs(*docs: str | None) -> str:
    return SEP.join(d for d in docs if d)


def grams(*docs: str | None) -> str:
    """Space-separated two-character grams of every word of the documents, plus each word's last
    character: the tokens of the ``search_bi`` index."""
    out: list[str] = []  # in order, repeats dropped at the end (a third faster than a dict grown word by word)
    for doc in docs:
        if doc:
            for word in _WORD.findall(doc):
                out += map(operator.add, word, word[1:])  # each character and the next
                # The last character alone, so a one-character prefix query finds every position.
                out.append(word[-1])
    return " ".join(dict.fromkeys(out))


def register_functions(conn: sqlite3.Connection) -> None:
    """Register the index's SQL functions on a raw sqlite3 connection (every connection)."""
    conn.create_function("ad_name_doc", -1, name_doc, deterministic=True)
    conn.create_function("ad_body_doc", -1, body_doc, deterministic=True)
    conn.create_function("ad_phones_doc", -1, phones_doc, deterministic=True)
    conn.create_function("ad_join_docs", -1, join_docs, deterministic=True)
    conn.create_function("ad_grams", -1, grams, deterministic=True)
    conn.create_function("ad_sort_key", 1, sort_key, deterministic=True)
    conn.create_function("ad_mixed_match", 2, mixed_match, deterministic=True)


# -- schema (used by the migration) ------------------------------------------------------------

#: entity -> (table, label SQL, name_doc SQL, body_doc SQL, confidential SQL), over ``NEW``.
SOURCES: dict[str, tuple[str, str, str, str, str]] = {
    "client": (
        "clients",
        "NEW.name",
        "ad_name_doc(NEW.name, NEW.short_name)",
        "ad_body_doc(NEW.uscc)",
        "0",
    ),
    "contact": (
        "contacts",
        "NEW.name",
        "ad_name_doc(NEW.name)",
        "ad_join_docs(ad_phones_doc(NEW.mobile, NEW.phone), "
        "ad_body_doc(NEW.email, NEW.wechat, NEW.title, NEW.department, NEW.notes))",
        "0",
    ),
    "service_note": (
        "service_notes",
        "COALESCE(NEW.category, '')",
        "''",
        "ad_body_doc(NEW.category, NEW.text)",
        "COALESCE(NEW.confidential, 0)",
    ),
}
#: Columns whose change re-indexes a row.
WATCHED = {
    "client": ("name", "short_name", "uscc", "deleted_at"),
    "contact": ("name", "mobile", "phone", "email", "wechat", "title", "department", "notes", "client_id", "deleted_at"),
    "service_note": ("category", "text", "confidential", "client_id", "deleted_at"),
}

SCHEMA_SQL = [
    """CREATE TABLE IF NOT EXISTS search_rows (
        id INTEGER PRIMARY KEY,
        entity TEXT NOT NULL,
        row_id TEXT NOT NULL UNIQUE,
        client_id TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        name_doc TEXT NOT NULL DEFAULT '',
        body_doc TEXT NOT NULL DEFAULT '',
        sort_key TEXT,
        confidential INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_rows_client ON search_rows (client_id)",
    # The client list in name order pages through this index (keyset paging, no sort step).
    "CREATE INDEX IF NOT EXISTS ix_search_rows_sort ON search_rows (sort_key, row_id) WHERE entity = 'client'",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_tri USING fts5("
    "name_doc, body_doc, tokenize='trigram', content='search_rows', content_rowid='id')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_bi USING fts5(grams, tokenize='unicode61', content='', detail='none')",
    """CREATE TRIGGER IF NOT EXISTS search_rows_ai AFTER INSERT ON search_rows BEGIN
        INSERT INTO search_tri(rowid, name_doc, body_doc) VALUES (NEW.id, NEW.name_doc, NEW.body_doc);
        INSERT INTO search_bi(rowid, grams) VALUES (NEW.id, ad_grams(NEW.name_doc, NEW.body_doc));
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_rows_ad AFTER DELETE ON search_rows BEGIN
        INSERT INTO search_tri(search_tri, rowid, name_doc, body_doc) VALUES ('delete', OLD.id, OLD.name_doc, OLD.body_doc);
        INSERT INTO search_bi(search_bi, rowid, grams) VALUES ('delete', OLD.id, ad_grams(OLD.name_doc, OLD.body_doc));
    END""",
]


def _source_triggers(entity: str) -> list[str]:
    table, label, ndoc, bdoc, conf = SOURCES[entity]
    client_id = "NEW.id" if entity == "client" else "NEW.client_id"
    put = (
        f"DELETE FROM search_rows WHERE row_id = NEW.id;\n"
        f"        INSERT INTO search_rows (entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential)\n"
        f"        SELECT '{entity}', NEW.id, {client_id}, {label}, {ndoc}, {bdoc}, "
        f"{'ad_sort_key(NEW.name)' if entity == 'client' else 'NULL'}, {conf}\n"
        f"        WHERE NEW.deleted_at IS NULL AND {client_id} IS NOT NULL;"
    )
    cols = ", ".join(WATCHED[entity])
    return [
        f"CREATE TRIGGER IF NOT EXISTS search_{table}_ai AFTER INSERT ON {table} BEGIN\n        {put}\n    END",
        f"CREATE TRIGGER IF NOT EXISTS search_{table}_au AFTER UPDATE OF {cols} ON {table} BEGIN\n        {put}\n    END",
        f"CREATE TRIGGER IF NOT EXISTS search_{table}_ad AFTER DELETE ON {table} BEGIN\n"
        f"        DELETE FROM search_rows WHERE row_id = OLD.id;\n    END",
    ]


def schema_statements() -> list[str]:
    out = list(SCHEMA_SQL)
    for entity in SOURCES:
        out.extend(_source_triggers(entity))
    return out


def drop_statements() -> list[str]:
    out = []
    for entity in SOURCES:
        table = SOURCES[entity][0]
        out.extend(f"DROP TRIGGER IF EXISTS search_{table}_{s}" for s in ("ai", "au", "ad"))
    out += [
        "DROP TRIGGER IF EXISTS search_rows_ai",
        "DROP TRIGGER IF EXISTS search_rows_ad",
        "DROP TABLE IF EXISTS search_tri",
        "DROP TABLE IF EXISTS search_bi",
        "DROP TABLE IF EXISTS search_rows",
    ]
    return out


def _backfill_sql(entity: str) -> str:
    table, label, ndoc, bdoc, conf = SOURCES[entity]
    client_id = "NEW.id" if entity == "client" else "NEW.client_id"
    sortk = "ad_sort_key(NEW.name)" if entity == "client" else "NULL"
    sql = (
        f"INSERT INTO search_rows (entity, row_id, client_id, label, name_doc, body_doc, sort_key, confidential) "
        f"SELECT '{entity}', NEW.id, {client_id}, {label}, {ndoc}, {bdoc}, {sortk}, {conf} "
        f"FROM {table} AS NEW WHERE NEW.deleted_at IS NULL AND {client_id} IS NOT NULL"
    )
    return sql


@contextlib.contextmanager
def indexed_in_bulk(conn, entity: str) -> Iterator[None]:
    """Rows of ``entity`` inserted inside the block are indexed in one pass at its end rather than
    by the insert trigger once per row (several times faster for thousands of rows). For a write
    transaction that inserts many new rows (an import); ``conn`` is its SQLAlchemy connection.

    The insert trigger is dropped for the block and put back, as it was, at its end — all within
    the caller's transaction, so a rollback leaves the schema and the index as they were. Updates
    inside the block still index through their own trigger (a row already indexed is left as is)."""
    table = SOURCES[entity][0]
    name = f"search_{table}_ai"
    ddl = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)).scalar()
    if ddl is None:  # no index in this database
        yield
        return
    start = conn.exec_driver_sql(f"SELECT coalesce(max(rowid), 0) FROM {table}").scalar()
    conn.exec_driver_sql(f"DROP TRIGGER {name}")
    try:
        yield
        conn.exec_driver_sql(
            _backfill_sql(entity)
            + " AND NEW.rowid > ? AND NOT EXISTS (SELECT 1 FROM search_rows AS s WHERE s.row_id = NEW.id)",
            (start,),
        )
    finally:
        conn.exec_driver_sql(ddl)


def rebuild(conn) -> int:
    """Recreate the index from the tables (a DB-API or SQLAlchemy connection); returns rows indexed."""
    exec_ = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    # The rows first, then each full-text index in one pass (rather than through the rows'
    # triggers row by row: a third faster for an initial sync); the triggers are put back.
    exec_("DROP TRIGGER IF EXISTS search_rows_ai")
    exec_("DROP TRIGGER IF EXISTS search_rows_ad")
    exec_("DELETE FROM search_rows")
    exec_("INSERT INTO search_tri(search_tri) VALUES ('delete-all')")
    exec_("INSERT INTO search_bi(search_bi) VALUES ('delete-all')")
    for entity in SOURCES:
        exec_(_backfill_sql(entity))
    exec_("INSERT INTO search_tri(search_tri) VALUES ('rebuild')")
    exec_("INSERT INTO search_bi(rowid, grams) SELECT id, ad_grams(name_doc, body_doc) FROM search_rows")
    for stmt in SCHEMA_SQL:
        if stmt.startswith("CREATE TRIGGER"):
            exec_(stmt)
    result = exec_("SELECT count(*) FROM search_rows")
    return int(result.fetchone()[0])


def _source_trigger_names() -> list[str]:
    return [f"search_{SOURCES[entity][0]}_{s}" for entity in SOURCES for s in ("ai", "au", "ad")]


def suspend(conn) -> None:
    """Stop keeping the index row by row, before a bulk load (a large pull): the source tables'
    triggers are dropped, and :func:`restore` rebuilds the index in one pass afterwards. The
    missing triggers are themselves the mark, committed with the rows: a store that is opened
    without them (the load was interrupted by a crash) restores the index first."""
    exec_ = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for name in _source_trigger_names():
        exec_(f"DROP TRIGGER IF EXISTS {name}")


def suspended(conn) -> bool:
    exec_ = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    names = _source_trigger_names()
    found = exec_(f"SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ({', '.join('?' * len(names))})",
                  tuple(names)).fetchone()[0]
    if found == len(names):
        return False
    return exec_("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'search_rows'").fetchone()[0] > 0


def restore(conn) -> int:
    """Recreate the triggers :func:`suspend` dropped and rebuild the index; returns rows indexed."""
    exec_ = conn.exec_driver_sql if hasattr(conn, "exec_driver_sql") else conn.execute
    for stmt in schema_statements():
        exec_(stmt)
    return rebuild(conn)


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
        terms = list(dict.fromkeys([u for u in units if len(u) >= 3] + ([initials] if len(initials) >= 3 else [])))
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
    key = (str(session.get_bind().url), q)
    known = _broad_cache.get(key)
    if known is not None:
        return known
    expr = _fts_phrase(q) if len(q) == 2 else _fts_phrase(q) + " *"
    sql = f"SELECT count(*) FROM (SELECT rowid FROM search_bi WHERE search_bi MATCH :fts LIMIT {BROAD_ROWS})"
    broad = session.execute(text(sql), {"fts": expr}).scalar_one() >= BROAD_ROWS
    if len(_broad_cache) >= 4096:
        _broad_cache.clear()
    _broad_cache[key] = broad
    return broad


_broad_cache: dict[tuple[str, str], bool] = {}


def matching_clients_clause(query: str, id_sql: str = "clients.id", *, broad: bool = False):
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


def _sort_key_column():
    from sqlalchemy import literal_column

    return literal_column("(SELECT sort_key FROM search_rows WHERE search_rows.row_id = clients.id)")


def name_sort_expr(model=Client):
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
