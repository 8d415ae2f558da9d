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

from .queries import (  # noqa: F401
    BROAD_ROWS,
    RawHit,
    _broad_cache,
    _fts_phrase,
    _match_sql,
    _plain_match_sql,
    _sort_key_column,
    is_broad,
    matching_clients_clause,
    name_sort_expr,
    search_rows,
    search_rows_table,
    snippet,
)
from .schema import (  # noqa: F401
    SCHEMA_SQL,
    SOURCES,
    WATCHED,
    _backfill_sql,
    _source_trigger_names,
    _source_triggers,
    drop_statements,
    indexed_in_bulk,
    rebuild,
    restore,
    schema_statements,
    suspend,
    suspended,
)

# The index in three jobs: text (normalisation, pinyin, documents), schema (tables, triggers,
# rebuilds) and queries; every name is re-exported here (callers use ``store.search.X``).
from .text import (  # noqa: F401
    _HAN,
    _PHONEISH,
    _SPACE,
    _SYLLABLE_PREFIXES,
    _WORD,
    MAX_VARIANTS,
    SEP,
    SURNAME_READINGS,
    SYLLABLES,
    _char_readings,
    _consume,
    _han_readings,
    _unit_variants,
    _word_readings,
    body_doc,
    digits,
    grams,
    join_docs,
    mixed_match,
    name_doc,
    normalise,
    normalise_query,
    phones_doc,
    pinyin_forms,
    register_functions,
    segment_mixed,
    sort_key,
)

# the public names of the three modules, for callers of ``store.search.X`` (private ones are
# importable from here too, for the tests)
__all__ = [
    "BROAD_ROWS",
    "RawHit",
    "is_broad",
    "matching_clients_clause",
    "name_sort_expr",
    "search_rows",
    "search_rows_table",
    "snippet",
    "SCHEMA_SQL",
    "SOURCES",
    "WATCHED",
    "drop_statements",
    "indexed_in_bulk",
    "rebuild",
    "restore",
    "schema_statements",
    "suspend",
    "suspended",
    "MAX_VARIANTS",
    "SEP",
    "SURNAME_READINGS",
    "SYLLABLES",
    "body_doc",
    "digits",
    "grams",
    "join_docs",
    "mixed_match",
    "name_doc",
    "normalise",
    "normalise_query",
    "phones_doc",
    "pinyin_forms",
    "register_functions",
    "segment_mixed",
    "sort_key",
]
