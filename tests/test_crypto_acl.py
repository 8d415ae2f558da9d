"""The owner-only ACL of the profile folder on Windows (issue 14, point 4): the ``icacls`` command
built for it, run once per folder, where the POSIX modes are set. Run here on Linux with the
command runner replaced: the command itself has not been run on Windows by these tests."""

from __future__ import annotations

import logging
import os
import subprocess
import types
from pathlib import Path

import pytest

from accountdesk.store import crypto_files


def test_the_command_removes_inherited_entries_and_grants_the_account_alone():
    folder = Path("/profiles/wang li")  # a space in the path stays one argument
    assert crypto_files.icacls_owner_only_command(folder, "CORP\\wang.li") == [
        "icacls",
        str(folder),
        "/inheritance:r",
        "/grant:r",
        "CORP\\wang.li:(OI)(CI)F",
        "/Q",
    ]


def test_the_account_is_the_domain_and_user_of_the_session():
    assert crypto_files.windows_account({"USERNAME": "wang.li", "USERDOMAIN": "CORP"}) == "CORP\\wang.li"
    assert crypto_files.windows_account({"USERNAME": "wang.li"}) == "wang.li"


class Runner:
    def __init__(self, returncode: int = 0, error: Exception | None = None):
        self.calls: list[tuple[list[str], dict]] = []
        self.returncode, self.error = returncode, error

    def __call__(self, command, **kwargs):
        self.calls.append((command, kwargs))
        if self.error is not None:
            raise self.error
        return subprocess.CompletedProcess(command, self.returncode, stdout="Access is denied.", stderr="")


@pytest.fixture(autouse=True)
def _fresh_cache(monkeypatch):
    monkeypatch.setattr(crypto_files, "_acl_done", set())


def test_it_runs_once_per_folder_without_a_console_window(tmp_path, monkeypatch):
    monkeypatch.setenv("USERNAME", "wang.li")
    monkeypatch.setenv("USERDOMAIN", "CORP")
    run = Runner()
    assert crypto_files.windows_owner_only(tmp_path, run=run)
    assert crypto_files.windows_owner_only(tmp_path, run=run)
    [(command, kwargs)] = run.calls
    assert command == crypto_files.icacls_owner_only_command(tmp_path, "CORP\\wang.li")
    assert kwargs["timeout"] > 0 and kwargs["capture_output"]
    assert kwargs["creationflags"] == getattr(subprocess, "CREATE_NO_WINDOW", 0)


@pytest.mark.parametrize("run", [Runner(returncode=5), Runner(error=FileNotFoundError("icacls"))])
def test_a_refusal_is_logged_and_the_profile_still_opens(tmp_path, run, caplog):
    with caplog.at_level(logging.WARNING, logger="accountdesk.store.crypto_files"):
        assert not crypto_files.windows_owner_only(tmp_path, run=run)
    assert str(tmp_path) in caplog.text
    assert not crypto_files.windows_owner_only(tmp_path, run=Runner(returncode=5))  # tried again next time


def test_on_windows_the_folder_gets_the_acl_where_posix_gets_its_modes(tmp_path, monkeypatch):
    folder = tmp_path / "profile"
    (folder / "backups").mkdir(parents=True)
    (folder / "accountdesk.sqlite3").write_bytes(b"x")
    os.chmod(folder / "accountdesk.sqlite3", 0o644)
    done: list[Path] = []
    fake_os = types.SimpleNamespace(**{k: getattr(os, k) for k in dir(os) if not k.startswith("__")})
    fake_os.name = "nt"
    monkeypatch.setattr(crypto_files, "os", fake_os)
    monkeypatch.setattr(crypto_files, "windows_owner_only", lambda path: done.append(path) or True)
    crypto_files.secure_tree(folder)
    crypto_files.owner_only(folder / "accountdesk.sqlite3")  # a file: its folder's ACL covers it
    assert done == [folder]
    assert (folder / "accountdesk.sqlite3").stat().st_mode & 0o777 == 0o644  # no chmod on Windows
