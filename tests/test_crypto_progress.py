"""The progress of the one-time encryption in place of a plaintext profile (issue 14): the store
tells a callback (no Qt) how far it has got, step by step; the command line prints it on standard
error; an encryption killed in the middle of each step leaves a usable profile.

(The desktop app's progress dialog: tests/ui/test_security_ui.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from crypto_env import copy_profile, every_file, leaks, make_demo_profile, mark_company, secrets_of

from accountdesk.cli import main as cli_main
from accountdesk.paths import database_path
from accountdesk.store import Store, crypto

PASS = "progress passphrase 进度"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    return make_demo_profile(tmp_path_factory.mktemp("demo") / "profile", clients=60)


@pytest.fixture
def company(tmp_path, demo_template) -> Path:
    path = copy_profile(demo_template, tmp_path / "company")
    mark_company(database_path(path))
    return path


def digests(db: Path, key: bytes | None) -> dict:
    conn = crypto.connect(db, key)
    try:
        return crypto.table_digests(conn)
    finally:
        conn.close()


def step_of(done: int) -> str:
    return next(name for name, (lo, hi) in crypto.STEPS.items() if lo <= done < hi or done == hi == 1000)


def test_the_store_reports_each_step_from_nothing_to_all(company, no_keyring):
    crypto.set_passphrase_provider(lambda _r, _c: PASS)
    reports: list[tuple[int, int, str]] = []
    store = Store(company, progress=lambda done, total, message: reports.append((done, total, message)))
    store.close()
    assert crypto.is_encrypted_file(database_path(company))
    dones = [d for d, _t, _m in reports]
    assert dones[0] == 0 and dones[-1] == 1000 and dones == sorted(dones)
    assert {t for _d, t, _m in reports} == {1000}
    # every step is heard, in order, with its own words, and each moves inside its range
    messages = list(dict.fromkeys(m for _d, _t, m in reports))
    assert messages == [
        "Encrypting this profile's data (one time): writing the encrypted copy",
        "Encrypting this profile's data (one time): checking the copy row by row",
        "Encrypting this profile's data (one time): removing the unencrypted file",
    ]
    for name, (lo, hi) in crypto.STEPS.items():
        inside = [d for d in dones if lo < d < hi]
        assert inside, f"no report inside the step {name}: {dones}"
    # the next start has nothing to encrypt: nothing is reported
    again: list[int] = []
    Store(company, progress=lambda done, _t, _m: again.append(done)).close()
    assert again == []


CHILD = """
import sys, time
from accountdesk.store import Store, crypto
from accountdesk.store.crypto import STEPS
crypto.set_passphrase_provider(lambda r, c: sys.argv[2])
lo, hi = STEPS[sys.argv[3]]
mid = (lo + hi) // 2

def progress(done, total, message):
    if done >= mid:  # halfway through the step: say so and wait to be killed
        print("at", done, flush=True)
        time.sleep(600)

print("start", flush=True)
Store(sys.argv[1], progress=progress).close()
print("done", flush=True)
"""


@pytest.mark.parametrize("step", ["export", "check", "wipe"])
def test_an_encryption_killed_in_the_middle_of_each_step_leaves_a_usable_profile(company, no_keyring, step):
    db = database_path(company)
    before = digests(db, None)
    needles = secrets_of(db)
    env = {**os.environ, "ACCOUNTDESK_NO_KEYRING": "1"}
    env.pop("ACCOUNTDESK_PLAIN_STORE", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(company), PASS, step], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "start"
        line = proc.stdout.readline().split()
        assert line[0] == "at" and step_of(int(line[1])) == step, line
        # where it was stopped: before the switch the plaintext is in place, after it the encrypted file
        assert crypto.is_plain_file(db) == (step != "wipe")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    crypto.set_passphrase_provider(lambda _r, _c: PASS)
    store = Store(company)
    key = store.protection.key
    store.close()
    assert crypto.is_encrypted_file(db)
    assert digests(db, key) == before
    assert not any(
        p.name.endswith((crypto.WIPE_SUFFIX, crypto.ENCRYPTING_SUFFIX)) for p in every_file(company)
    )
    assert leaks(company, needles) == []


def test_the_command_line_prints_the_progress_on_stderr_and_keeps_stdout_for_json(
    company, no_keyring, monkeypatch, capsys
):
    monkeypatch.setenv("ACCOUNTDESK_PASSPHRASE", PASS)
    code = cli_main(["--data-dir", str(company), "clients", "list", "--json"])
    captured = capsys.readouterr()
    assert code == 0
    assert len(json.loads(captured.out)) == 60  # stdout: the command's own output only
    lines = captured.err.splitlines()
    assert lines[0] == "Encrypting this profile's data (one time): writing the encrypted copy: 0%"
    assert lines[-1] == "Encrypting this profile's data (one time): removing the unencrypted file: 100%"
    assert any("checking the copy row by row" in line for line in lines)
    assert len(lines) <= 16  # not a line per report: one per step and per tenth
    assert crypto.is_encrypted_file(database_path(company))
    # opened again: nothing to encrypt, nothing printed
    assert cli_main(["--data-dir", str(company), "clients", "list", "--json"]) == 0
    assert capsys.readouterr().err == ""


def test_the_command_line_progress_redraws_one_line_on_a_terminal():
    from accountdesk.cli.security import TerminalProgress

    class Tty:
        def __init__(self):
            self.text = ""

        def isatty(self):
            return True

        def write(self, s):
            self.text += s

        def flush(self):
            pass

    out = Tty()
    show = TerminalProgress(out)
    for done in (0, 5, 10, 500, 1000):
        show(done, 1000, "Step")
    assert out.text == "\rStep: 0%\rStep: 1%\rStep: 50%\rStep: 100%\n"
