"""The app lock unlocked with the OS account's password (issue 14, point 6): on Linux through PAM
for real - a local account made for the test with a password, checked by this (root) process and
by a process running as that account, which checks its own password as the app does - and the
fallback to the AccountDesk password where the OS password is off or not given.

Needs root (to make the account) and useradd/chpasswd/userdel; skipped otherwise, saying so.
Windows (LogonUserW) and macOS (PAM) are not run by these tests."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from accountdesk.services import os_password, security
from accountdesk.services.context import open_profile
from accountdesk.sync.changes import set_meta
from accountdesk.sync.lease import META_UNLOCK_VERIFIER

PASSWORD = "Os-口令-" + "unlock 7"  # not ASCII only: PAM gets UTF-8
SERVER_PASSWORD = "the AccountDesk password 9"


def _why_no_account() -> str | None:
    if not sys.platform.startswith("linux"):
        return "PAM is tested on Linux only"
    if os.geteuid() != 0:
        return "making a local test account needs root"
    for tool in ("useradd", "chpasswd", "userdel"):
        if shutil.which(tool) is None:
            return f"no {tool} here to make a local test account"
    if os_password.method() != os_password.PAM:
        return "python-pam or libpam is not installed here"
    return None


@pytest.fixture
def os_account():
    """A local account with a password (no home, no shell), removed afterwards."""
    reason = _why_no_account()
    if reason:
        pytest.skip(reason)
    name = "adlock" + secrets.token_hex(3)
    subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", name], check=True, capture_output=True)
    try:
        subprocess.run(["chpasswd"], input=f"{name}:{PASSWORD}\n".encode(), check=True, capture_output=True)
        yield name
    finally:
        subprocess.run(["userdel", name], capture_output=True)


@pytest.fixture
def profile(tmp_path):
    ctx = open_profile(tmp_path / "p")
    yield ctx
    ctx.close()


def test_pam_checks_the_password_of_a_local_account(os_account):
    assert os_password.check(PASSWORD, os_account)
    assert not os_password.check(PASSWORD + "x", os_account)
    assert not os_password.check("", os_account)
    assert not os_password.check(PASSWORD, "adlock-nobody")


def test_the_lock_screen_takes_the_os_password(os_account, profile):
    assert security.os_password_available() and security.can_unlock_offline(profile)
    assert security.unlock(profile, PASSWORD, os_user=os_account)
    assert not security.unlock(profile, "not it", os_user=os_account)


CHILD = """
import importlib.util, sys
sys.path.append(sys.argv[2])  # python-pam's folder
spec = importlib.util.spec_from_file_location("os_password", sys.argv[1])
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
print(m.current_user(), m.check(sys.argv[3]), m.check(sys.argv[3] + "x"))
"""


def test_an_account_that_is_not_root_checks_its_own_password(os_account):
    """As the app runs: an ordinary user's process, PAM's setuid helper reading the shadow file."""
    import pam

    python = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
    module = Path(os_password.__file__)
    site = Path(pam.__file__).resolve().parent.parent
    runuser = shutil.which("runuser")
    if python is None or runuser is None:
        pytest.skip("no system python3 or runuser to run a process as the test account")
    probe = subprocess.run(
        [
            runuser,
            "-u",
            os_account,
            "--",
            python,
            "-c",
            f"open({str(module)!r}).close(); import os; os.listdir({str(site)!r})",
        ],
        capture_output=True,
    )
    if probe.returncode != 0:
        pytest.skip(f"the test account cannot read the code here: {probe.stderr.decode()[-200:]}")
    done = subprocess.run(
        [runuser, "-u", os_account, "--", python, "-c", CHILD, str(module), str(site), PASSWORD],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [os_account, "True", "False"]


def test_without_the_os_password_the_accountdesk_password_still_unlocks(profile, monkeypatch):
    """The fallback: the OS check turned off (or not offered by the platform)."""
    from argon2 import PasswordHasher

    with profile.store.write() as session:
        set_meta(session, META_UNLOCK_VERIFIER, PasswordHasher().hash(SERVER_PASSWORD))
    monkeypatch.setenv("ACCOUNTDESK_OS_PASSWORD", "0")
    assert os_password.method() is None and not security.os_password_available()
    assert not os_password.check(PASSWORD, "root")
    assert security.can_unlock_offline(profile)  # by the AccountDesk password
    assert security.unlock(profile, SERVER_PASSWORD)
    assert not security.unlock(profile, PASSWORD)


def test_with_the_os_password_on_the_accountdesk_password_works_too(os_account, profile):
    from argon2 import PasswordHasher

    with profile.store.write() as session:
        set_meta(session, META_UNLOCK_VERIFIER, PasswordHasher().hash(SERVER_PASSWORD))
    assert security.unlock(profile, SERVER_PASSWORD, os_user=os_account)
    assert security.unlock(profile, PASSWORD, os_user=os_account)


def test_no_os_check_and_no_sign_in_yet_means_only_a_sign_in_unlocks(profile, monkeypatch):
    monkeypatch.setenv("ACCOUNTDESK_OS_PASSWORD", "0")
    assert not security.can_unlock_offline(profile)
