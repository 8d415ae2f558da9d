"""Helpers of the encryption tests: a demo profile, the secrets to look for in raw bytes, and
walking every file of a profile folder."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest

from accountdesk.services.context import open_profile
from accountdesk.services.demo import generate_demo
from accountdesk.store import crypto

#: (table, column) pairs whose values must never be readable in a company profile's files
SECRET_COLUMNS = [
    ("clients", "name"),
    ("contacts", "name"),
    ("contacts", "mobile"),
    ("contacts", "phone"),
    ("contacts", "notes"),
    ("interactions", "summary"),
    ("service_notes", "text"),
    ("feedback", "description"),
    ("risk_flags", "note"),
]


def secrets_of(db: Path, key: bytes | None = None, per_column: int = 25) -> list[bytes]:
    """Values (UTF-8, at least 6 bytes) of the demo's names, phone numbers and note texts."""
    conn = crypto.connect(db, key)
    try:
        out: list[bytes] = []
        for table, column in SECRET_COLUMNS:
            rows = conn.execute(
                f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL AND length("{column}") >= 4 '
                f"ORDER BY rowid LIMIT {per_column}"
            ).fetchall()
            out += [r[0].encode("utf-8") for r in rows if len(r[0].encode("utf-8")) >= 6]
        return out
    finally:
        conn.close()


def every_file(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.is_file())


def leaks(folder: Path, needles: list[bytes]) -> list[tuple[str, bytes]]:
    """(file, value) for every secret found in the raw bytes of a file under ``folder``."""
    found = []
    for path in every_file(folder):
        data = path.read_bytes()
        found += [(str(path.relative_to(folder)), n) for n in needles if n in data]
    return found


def loose_modes(folder: Path) -> list[str]:
    """Files and folders under ``folder`` (itself included) that others may read."""
    bad = []
    for p in [Path(folder), *Path(folder).rglob("*")]:
        mode = stat.S_IMODE(p.stat().st_mode)
        want = 0o700 if p.is_dir() else 0o600
        if mode & 0o077 or (mode & want) != want:
            bad.append(f"{p}: {oct(mode)}")
    return bad


def make_demo_profile(path: Path, clients: int = 40) -> Path:
    """A plaintext demo profile (made with the encryption kept off)."""
    old = os.environ.get("ACCOUNTDESK_PLAIN_STORE")
    os.environ["ACCOUNTDESK_PLAIN_STORE"] = "1"
    try:
        ctx = open_profile(path)
        try:
            generate_demo(ctx, clients=clients, seed=3)
        finally:
            ctx.close()
    finally:
        if old is None:
            os.environ.pop("ACCOUNTDESK_PLAIN_STORE", None)
        else:
            os.environ["ACCOUNTDESK_PLAIN_STORE"] = old
    return path


def mark_company(db: Path, url: str = "https://crm.example.com") -> None:
    """Make a plaintext profile look joined to a company server (its meta, as a sync writes it)."""
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('server_url', ?)", (f'"{url}"',))
    conn.close()


def copy_profile(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


@pytest.fixture
def encryption_on(monkeypatch):
    """The real thing: profiles may be encrypted (the suite keeps them plain otherwise)."""
    monkeypatch.delenv("ACCOUNTDESK_PLAIN_STORE", raising=False)
    monkeypatch.delenv("ACCOUNTDESK_PASSPHRASE", raising=False)
    yield
    crypto.set_passphrase_provider(None)


@pytest.fixture
def no_keyring(monkeypatch, encryption_on):
    monkeypatch.setenv("ACCOUNTDESK_NO_KEYRING", "1")
