"""The database files of profiles, plain or encrypted (split off :mod:`.crypto`, issue 17; every
name here is still importable from there): which databases this process holds open, whether a file
is plaintext or encrypted, SQLCipher connections, and comparing two databases row by row."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

PLAIN_HEADER = b"SQLite format 3\x00"


# -- databases this process has open -------------------------------------------------------------
# SQLite coordinates processes with POSIX advisory locks, and POSIX drops *every* lock a process
# holds on a file when the process closes *any* descriptor of that file. Reading a database's header
# with open()/close() while a connection of this process has the database open therefore silently
# releases that connection's locks: another process (the command line, a second window) then takes
# itself for the last user of the database, checkpoints and deletes the WAL the open connection is
# still writing to, and that connection's next commits are lost (reproduced in
# tests/test_store_locks.py). So the header of a database this process holds open is never read
# again: the store registers what it knows here, and the checks below answer from it.
_OPEN_LOCK = threading.Lock()
_OPEN: dict[str, list[Any]] = {}  # real path -> [stores open on it, encrypted]


def _open_key(path: Path | str) -> str:
    return os.path.realpath(path)


def note_open(path: Path | str, encrypted: bool) -> None:
    """A store of this process opened (or re-keyed) the database ``path``."""
    with _OPEN_LOCK:
        entry = _OPEN.setdefault(_open_key(path), [0, encrypted])
        entry[0] += 1
        entry[1] = encrypted


def note_closed(path: Path | str) -> None:
    with _OPEN_LOCK:
        key = _open_key(path)
        entry = _OPEN.get(key)
        if entry is not None:
            entry[0] -= 1
            if entry[0] <= 0:
                del _OPEN[key]


def open_here(path: Path | str) -> bool | None:
    """Whether the database ``path`` is held open by a store of this process and encrypted
    (``True``/``False``), or ``None`` when no store of this process has it open."""
    with _OPEN_LOCK:
        entry = _OPEN.get(_open_key(path))
        return None if entry is None else bool(entry[1])


def is_plain_file(path: Path) -> bool:
    """True when ``path`` is a plaintext SQLite database (its header reads as one)."""
    held = open_here(path)
    if held is not None:
        return not held  # never open() a database this process holds (see above)
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == PLAIN_HEADER
    except OSError:
        return False


def is_encrypted_file(path: Path) -> bool:
    held = open_here(path)
    if held is not None:
        return held
    try:
        size = Path(path).stat().st_size
    except OSError:
        return False
    return size > 0 and not is_plain_file(path)


# -- connections ---------------------------------------------------------------------------------


def driver() -> Any:
    """SQLCipher's DB-API module (the same API as the standard sqlite3)."""
    from sqlcipher3 import dbapi2

    if not _ADAPTED:
        _adapt_cheaply(dbapi2)
    return dbapi2


_ADAPTED: list[bool] = []


def _adapt_cheaply(dbapi2: Any) -> None:
    """Binds ``None`` and booleans through a registered adapter. SQLCipher's module (a fork of an
    older pysqlite) binds every parameter that is not exactly a str, int, float or bytearray by
    looking for ``__adapt__`` and ``__conform__`` on it, raising and clearing two AttributeErrors
    each time: 1.3 us per NULL and 1.6 us per boolean against 0.1 us per text, measured on this
    machine, about a second of a fresh laptop's first pull of a large company (a million NULLs).
    With an adapter registered for their type the lookup is one dict hit and the values bound
    are the same (NULL; 1 and 0). The standard sqlite3 does not have this cost."""
    dbapi2.register_adapter(type(None), _none)
    dbapi2.register_adapter(bool, int)
    _ADAPTED.append(True)


def _none(_value: None) -> None:
    return None


def key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


#: The HMAC that authenticates each page of a file encrypted from now on. SQLCipher 4's default is
#: HMAC-SHA512; HMAC-SHA256 is as sound for a page's integrity and, on processors with SHA
#: extensions (most x86 since 2017-2019, Apple silicon), costs half as much: 4 KB pages read and
#: decrypted 4.2 vs 8.2 us each over plaintext here (benchmarks/bench_encryption.py). The cipher
#: (AES-256-CBC), the raw 256-bit key and the page size are SQLCipher 4's defaults.
HMAC = "HMAC_SHA256"
#: Files encrypted before (SQLCipher 4's default) still open: the HMAC is not written in the file,
#: so a connection that fails to read one with :data:`HMAC` is made again with this.
LEGACY_HMAC = "HMAC_SHA512"
_hmac_of: dict[str, str] = {}  # real path -> the HMAC its file last opened with (tried first)


def _probe(conn: Any) -> None:
    """Read the schema: raises DatabaseError ("file is not a database") when the key or the HMAC
    does not match the file (an empty or new file reads with any)."""
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()


def _keyed(path: Path | str, key: bytes, factory: Callable[[], Any], page_size: int | None = None) -> Any:
    """A new connection of ``factory()`` keyed with ``key`` and the HMAC the file was written with
    (:data:`HMAC`, or :data:`LEGACY_HMAC` for files encrypted before). A new or empty file gets
    :data:`HMAC`. ``page_size``: see :func:`connect`. Raises the driver's DatabaseError when the
    key opens the file with neither."""
    d = driver()
    where = _open_key(path)
    new = _size(Path(path)) == 0
    first = HMAC if new else _hmac_of.get(where, HMAC)
    error: Exception | None = None
    for algorithm in (first,) if new else (first, LEGACY_HMAC if first == HMAC else HMAC):
        conn = factory()
        try:
            conn.execute(key_pragma(key))
            conn.execute(f"PRAGMA cipher_hmac_algorithm = {algorithm}")
            if page_size is not None:
                conn.execute(f"PRAGMA cipher_page_size = {int(page_size)}")
            _probe(conn)
        except d.DatabaseError as exc:
            conn.close()
            if isinstance(exc, d.OperationalError):
                raise  # locked, busy, cannot open: not a question of key or HMAC
            error = exc
            continue
        except BaseException:
            conn.close()
            raise
        _hmac_of[where] = algorithm
        return conn
    assert error is not None
    raise error


#: Prepared statements each SQLCipher connection keeps (the driver's ``cached_statements``; its
#: default is 100). The driver's cache (pysqlite's old ``cache.c``; the standard sqlite3 has an LRU
#: of 128) orders entries by use count and, once full, evicts the *newest* entry: a statement first
#: run after the cache has filled is compiled again at every execution. After the Today page, the
#: search index's warm-up and a few keystrokes (~145 distinct statements) every statement of a
#: client workspace was compiled anew each time (~55 per workspace: +2-3 ms CPU per open, the
#: "workspace open" of bench_encryption.py at 1.15-1.30x plaintext). A statement costs ~5 KB while
#: cached, and the driver resets every cached statement at each rollback (~10 ns each: 512 of them
#: add ~4 us per transaction, measured), so the cache is not made larger than needed.
STATEMENT_CACHE = 512


def connect(path: Path | str, key: bytes | None = None, page_size: int | None = None, **kwargs: Any) -> Any:
    """A DB-API connection: SQLCipher keyed with ``key`` (see :func:`_keyed`), or the standard
    sqlite3 when plain. With a key, a key that does not open the file raises DatabaseError here.
    ``page_size``: the file's pages are not SQLCipher's default 4 KB (the profile's file of
    attachment bytes, store/blobdb.py); SQLCipher cannot read that from the encrypted file, so it
    is set on every connection before the first read (for a plain file it only matters when the
    file is made)."""
    if key is None:
        conn = sqlite3.connect(str(path), **kwargs)
        if page_size is not None:
            conn.execute(f"PRAGMA page_size = {int(page_size)}")
        return conn
    d = driver()
    kwargs.setdefault("cached_statements", STATEMENT_CACHE)
    return _keyed(path, key, lambda: d.connect(str(path), **kwargs), page_size)


def check_key(path: Path, key: bytes, page_size: int | None = None) -> bool:
    """True when ``key`` opens the encrypted database ``path``."""
    d = driver()
    try:
        conn = _keyed(path, key, lambda: d.connect(str(path)), page_size)
    except d.DatabaseError:
        return False
    conn.close()
    return True


def _size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except OSError:
        return 0


def table_digests(conn: Any) -> dict[str, tuple[int, str]]:
    """Rows and a digest of every row of every table (ordered by rowid or the whole row), for
    checking a copy row by row."""
    import hashlib

    out: dict[str, tuple[int, str]] = {}
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    for name in names:
        h = hashlib.sha256()
        n = 0
        try:
            cur = conn.execute(f'SELECT * FROM "{name}" ORDER BY rowid')
        except Exception:  # noqa: BLE001 - WITHOUT ROWID tables and virtual tables: by their content
            try:
                cur = conn.execute(f'SELECT * FROM "{name}" ORDER BY 1')
            except Exception:  # noqa: BLE001 - a contentless FTS table has nothing to select
                continue
        for row in cur:
            h.update(repr(row).encode("utf-8"))
            n += 1
        out[name] = (n, h.hexdigest())
    return out


def _stored_tables(conn: Any) -> list[str]:
    """Every table that stores rows (virtual tables are left out: their shadow tables hold their
    rows and are compared themselves)."""
    return [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
        )
    ]


def same_rows(a: Any, b: Any, batch: int = 2000, on_fraction: Callable[[float], None] | None = None) -> bool:
    """True when the databases of connections ``a`` and ``b`` hold the same tables with the same
    rows, compared row by row in rowid order (tuples compared in C: no hashing). ``on_fraction``
    hears the share of ``a``'s rows compared so far (0..1)."""
    tables = _stored_tables(a)
    if tables != _stored_tables(b):
        return False
    total = done = 0
    if on_fraction is not None:
        total = max(1, sum(a.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in tables))
    for name in tables:
        try:
            ca, cb = (
                a.execute(f'SELECT * FROM "{name}" ORDER BY rowid'),
                b.execute(f'SELECT * FROM "{name}" ORDER BY rowid'),
            )
        except Exception:  # noqa: BLE001 - a WITHOUT ROWID table: by its primary key order
            ca, cb = (
                a.execute(f'SELECT * FROM "{name}" ORDER BY 1'),
                b.execute(f'SELECT * FROM "{name}" ORDER BY 1'),
            )
        while True:
            ra, rb = ca.fetchmany(batch), cb.fetchmany(batch)
            if ra != rb:
                return False
            if not ra:
                break
            if on_fraction is not None:
                done += len(ra)
                on_fraction(done / total)
    return True
