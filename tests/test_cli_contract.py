"""The command line keeps its own contract (README: 0 ok, 2 bad input naming the field, 1 other),
driven as a person types it: the installed commands, in both languages where the words matter."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from accountdesk.cli import main

BIN = Path(sys.executable).parent


def run(data_dir: Path, capsys, *args: str, lang: str = "en") -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--data-dir", str(data_dir), "--lang", lang, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def client(data_dir, capsys) -> dict:
    code, out, err = run(
        data_dir, capsys, "clients", "add", "--name", "护航科技服务有限公司", "--tier", "key", "--json"
    )
    assert code == 0, err
    return json.loads(out)


def test_an_unknown_client_is_bad_input_naming_client(data_dir, capsys, client):
    for command in (["clients", "show"], ["clients", "set"], ["history"], ["dossier"]):
        args = [*command, "没有这家公司"]
        if command == ["dossier"]:
            args += ["--out", str(data_dir / "x.pdf")]
        if command == ["clients", "set"]:
            args += ["city=杭州"]
        code, out, err = run(data_dir, capsys, *args, "--json")
        assert code == 2, (command, err)
        payload = json.loads(out)
        assert payload["field"] == "client" and payload["exit_code"] == 2, command
        assert "client: " in err and "没有这家公司" in err


def test_history_names_fields_by_name_or_label_and_refuses_unknown_ones(data_dir, capsys, client):
    assert run(data_dir, capsys, "clients", "set", client["id"], "tier=strategic", "city=杭州")[0] == 0
    shown = {}
    for key in ("tier", "Tier", "客户等级"):
        code, out, err = run(data_dir, capsys, "history", client["id"], "--field", key, "--json")
        assert code == 0, (key, err)
        shown[key] = {(e["field"], e["new"]) for e in json.loads(out)}
    assert shown["tier"] == shown["Tier"] == shown["客户等级"] == {("tier", "strategic"), ("tier", "key")}
    code, out, err = run(data_dir, capsys, "history", client["id"], "--field", "colour", "--json")
    assert code == 2 and json.loads(out)["field"] == "field" and "colour" in err


def test_history_shows_labels_names_and_only_what_changed(data_dir, capsys, client):
    run(data_dir, capsys, "clients", "set", client["id"], "tier=strategic")
    code, out, _err = run(data_dir, capsys, "history", client["id"], lang="zh_CN")
    assert code == 0
    lines = out.splitlines()
    assert "客户等级" in out and "重点客户" in out and "战略客户" in out  # labels, not tier/key/strategic
    assert not any(word in out for word in ("strategic", " tier ", "owner_id", "None"))
    assert client["owner_id"] not in out  # people by name, not by id
    # a new client's empty fields are no lines: name, tier, status, owner, and the change (the visit
    # plans its tier's service standard gave it have lines of their own, under their entity)
    client_lines = [line for line in lines if line.startswith("*   ") and line.split()[4] == "客户"]
    assert len(client_lines) == 5, out


def test_a_report_file_is_a_pdf(data_dir, capsys, client):
    code, out, err = run(
        data_dir, capsys, "dossier", client["id"], "--out", str(data_dir / "x.txt"), "--json"
    )
    assert code == 2 and json.loads(out)["field"] == "out" and not (data_dir / "x.txt").exists()
    code, out, err = run(
        data_dir, capsys, "dossier", client["id"], "--out", str(data_dir / "dossier"), "--json"
    )
    assert code == 0, err
    assert (
        json.loads(out)["path"].endswith("dossier.pdf")
        and (data_dir / "dossier.pdf").read_bytes()[:5] == b"%PDF-"
    )


def test_a_name_that_exists_already_is_refused_unless_allowed(data_dir, capsys, client):
    code, out, err = run(data_dir, capsys, "clients", "add", "--name", "护航科技服务有限公司 ", "--json")
    assert code == 2 and json.loads(out)["field"] == "name" and client["id"] in err
    code, out, err = run(
        data_dir,
        capsys,
        "clients",
        "add",
        "--name",
        "护航科技服务有限公司",
        "--allow-duplicate-name",
        "--json",
    )
    assert code == 0 and json.loads(out)["id"] != client["id"]


def test_sync_with_a_server_that_is_no_url_is_bad_input(data_dir, capsys):
    code, out, err = run(data_dir, capsys, "sync", "--server", "notaurl", "--user", "admin", "--json")
    assert code == 2 and json.loads(out)["field"] == "server"


def _server(tmp_path: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "LANG": "en_US.UTF-8"}
    return subprocess.run(
        [str(BIN / "accountdesk-server"), "--data-dir", str(tmp_path / "srv"), "--lang", "en", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        **kw,
    )


def test_server_init_without_a_terminal_asks_for_password_stdin(tmp_path):
    done = _server(tmp_path, "init", "--admin", "admin", stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "--password-stdin" in done.stderr and "Traceback" not in done.stderr
    done = _server(tmp_path, "init", "--admin", "admin", "--password-stdin", input="a long enough password\n")
    assert done.returncode == 0, done.stderr


def test_serve_says_where_it_listens_and_when_the_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = _server(tmp_path, "serve", "--port", str(port))
        assert done.returncode == 1 and f"Port {port}" in done.stderr and "in use" in done.stderr
        assert "Traceback" not in done.stderr
    proc = subprocess.Popen(
        [
            str(BIN / "accountdesk-server"),
            "--data-dir",
            str(tmp_path / "srv"),
            "--lang",
            "en",
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line, line + proc.stderr.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
