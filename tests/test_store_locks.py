"""An open profile keeps its SQLite locks: nothing the app does while the store is open reads the
database file behind SQLite's back (POSIX drops every lock of a process on a file when the process
closes any descriptor of it; another process then deletes the WAL the store still writes to, and
the store's next commits are lost). Reproduced here with the profile open in this process, the
Settings/About status read, and another process writing to the same profile."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing

from accountdesk.paths import database_path
from accountdesk.services import clients, security
from accountdesk.services.context import open_profile


def _other_process_adds(data_dir, name: str) -> None:
    """The command line adds a client to the same profile (a script, a second window)."""
    subprocess.run(
        [sys.executable, "-m", "accountdesk", "--data-dir", str(data_dir), "clients", "add", "--name", name],
        check=True,
        timeout=120,
        capture_output=True,
    )


def test_an_edit_made_after_the_status_was_shown_survives_another_process(tmp_path):
    ctx = open_profile(tmp_path)
    db = database_path(tmp_path)
    try:
        clients.create_client(ctx, name="Before Co")
        # Settings and About show whether the profile is encrypted (it reads the file's header)
        assert security.folder_status(tmp_path)["encrypted"] is False
        _other_process_adds(tmp_path, "Elsewhere One")
        clients.create_client(ctx, name="After Co")  # the store's connection is still the same
        _other_process_adds(tmp_path, "Elsewhere Two")
        assert [n for _id, n in clients.clients_named(ctx, "Elsewhere Two")] == ["Elsewhere Two"]
    finally:
        ctx.close()
    with closing(sqlite3.connect(db)) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM clients")}
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert names == {"Before Co", "Elsewhere One", "After Co", "Elsewhere Two"}


def test_the_status_of_a_closed_profile_is_read_from_its_file(tmp_path):
    ctx = open_profile(tmp_path)
    ctx.close()
    assert security.folder_status(tmp_path)["encrypted"] is False
    (tmp_path / "other").mkdir()
    assert security.folder_status(tmp_path / "other")["encrypted"] is False
