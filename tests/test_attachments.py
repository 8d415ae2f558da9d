"""Attachments on the laptop (issue 18): services, rules, the blob store and the command line."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3

import pytest
from crypto_env import encryption_on, no_keyring  # noqa: F401 - fixtures

from accountdesk.cli import main
from accountdesk.domain import files as F
from accountdesk.errors import NotFoundError, PermissionDenied, ValidationError
from accountdesk.services import attachments as A
from accountdesk.services import clients, equipment, users, visits
from accountdesk.store import blobs


def _file(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_file_is_kept_in_the_profile_and_comes_back_byte_identical(ctx, tmp_path):
    cid = clients.create_client(ctx, name="护航科技")
    data = os.urandom(3 * blobs.CHUNK + 12345)  # several pieces, the last one short
    aid = A.add_file(ctx, cid, _file(tmp_path, "仪器照片.jpg", data))
    row = A.get_attachment(ctx, aid)
    assert (row["title"], row["kind"], row["file_name"], row["media_type"]) == (
        "仪器照片",
        "photo",
        "仪器照片.jpg",
        "image/jpeg",
    )
    assert row["size"] == len(data) and row["sha256"] == _sha(data) and row["available"] is True
    (tmp_path / "source.bin").unlink(missing_ok=True)
    (tmp_path / "仪器照片.jpg").unlink()  # the original is gone: the profile has its own copy
    out = A.export_attachment(ctx, aid, tmp_path / "copy.jpg")
    assert out.read_bytes() == data
    opened = A.open_copy(ctx, aid)
    assert opened.name == "仪器照片.jpg" and opened.read_bytes() == data


def test_identical_files_are_stored_once(ctx, tmp_path):
    cid = clients.create_client(ctx, name="ACME")
    other = clients.create_client(ctx, name="Other")
    data = os.urandom(200_000)
    a1 = A.add_file(ctx, cid, _file(tmp_path, "a.pdf", data))
    a2 = A.add_file(ctx, other, _file(tmp_path, "b.pdf", data), title="Same bytes")
    with sqlite3.connect(ctx.store.path) as conn, sqlite3.connect(ctx.store.blobs_path) as pieces:
        assert conn.execute("SELECT count(*) FROM local_blobs").fetchone()[0] == 1
        assert pieces.execute("SELECT count(*) FROM blob_chunks").fetchone()[0] == 1
    conn.close()
    pieces.close()
    A.delete_attachment(ctx, a1)  # the other attachment still names the bytes: they stay
    assert A.get_attachment(ctx, a2)["available"] is True
    A.delete_attachment(ctx, a2)  # nothing names them any more: they leave the laptop
    with sqlite3.connect(ctx.store.path) as conn, sqlite3.connect(ctx.store.blobs_path) as pieces:
        assert conn.execute("SELECT count(*) FROM local_blobs").fetchone()[0] == 0
        assert pieces.execute("SELECT count(*) FROM blob_chunks").fetchone()[0] == 0
    conn.close()
    pieces.close()
    assert A.list_attachments(ctx, cid) == []


def test_attach_to_records_of_the_same_client_only(ctx, tmp_path):
    cid = clients.create_client(ctx, name="ACME")
    other = clients.create_client(ctx, name="Other")
    eq = equipment.create_equipment(ctx, cid, "天平 XS205")
    foreign = equipment.create_equipment(ctx, other, "Foreign scale")
    f = _file(tmp_path, "cert.pdf", b"%PDF-1.4 certificate")
    aid = A.add_file(ctx, cid, f, to=("equipment_id", eq), kind="certificate")
    [row] = A.list_attachments(ctx, cid)
    assert row["id"] == aid and row["attached_to"] == {"entity": "equipment", "id": eq, "label": "天平 XS205"}
    assert A.list_attachments(ctx, cid, parent=("equipment_id", eq))[0]["id"] == aid
    with pytest.raises(ValidationError) as err:
        A.add_file(ctx, cid, f, to=("equipment_id", foreign))
    assert err.value.field == "equipment_id"
    with pytest.raises(ValidationError):
        A.add_file(ctx, cid, f, to=("visit_id", "no-such-visit"))
    with pytest.raises(NotFoundError):
        A.add_file(ctx, "no-such-client", f)
    assert A.parse_target("visit:abc") == ("visit_id", "abc")
    assert A.parse_target("service:abc") == ("client_service_id", "abc")
    with pytest.raises(ValidationError) as err:
        A.parse_target("opportunity:abc")
    assert err.value.field == "to"


def test_the_file_of_an_attachment_never_changes(ctx, tmp_path):
    cid = clients.create_client(ctx, name="ACME")
    aid = A.add_file(ctx, cid, _file(tmp_path, "x.txt", b"one"))
    A.update_attachment(ctx, aid, title="Signed SLA", kind="agreement")
    assert A.get_attachment(ctx, aid)["title"] == "Signed SLA"
    for field, value in (("sha256", _sha(b"two")), ("size", 3), ("file_name", "y.txt")):
        with pytest.raises(ValidationError) as err:
            A.update_attachment(ctx, aid, **{field: value})
        assert err.value.field == field


def test_over_the_limit_is_refused_before_anything_is_written(ctx, tmp_path):
    from accountdesk.sync.changes import set_meta

    cid = clients.create_client(ctx, name="ACME")
    with ctx.store.write() as s:
        set_meta(s, A.META_FILE_LIMITS, {"max_file_bytes": 1000})
    with pytest.raises(ValidationError) as err:
        A.add_file(ctx, cid, _file(tmp_path, "big.bin", b"x" * 1001))
    assert err.value.field == "file" and "too large" in err.value.message
    assert A.list_attachments(ctx, cid) == []
    A.add_file(ctx, cid, _file(tmp_path, "ok.bin", b"x" * 1000))
    A.add_file(ctx, cid, _file(tmp_path, "empty.bin", b""))  # a 0-byte file is a file
    empty = [r for r in A.list_attachments(ctx, cid) if r["size"] == 0][0]
    assert (
        empty["sha256"] == _sha(b"")
        and A.export_attachment(ctx, empty["id"], tmp_path / "e").read_bytes() == b""
    )


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "CON.txt", "a" * 300 + ".pdf", "x\x00y.pdf", "..", "汉" * 100 + ".jpg"]
)
def test_hostile_file_names_become_plain_names_and_safe_paths(ctx, tmp_path, name):
    cid = clients.create_client(ctx, name="ACME")
    src = _file(tmp_path, "src.bin", b"payload")
    aid = A.add_file(ctx, cid, src, file_name=name)
    stored = A.get_attachment(ctx, aid)["file_name"]
    assert F.file_name_problem(stored) is None
    assert len(stored.encode()) <= 255 and "/" not in stored and "\x00" not in stored
    folder = tmp_path / "out"
    folder.mkdir()
    out = A.export_attachment(ctx, aid, folder)
    assert out.parent == folder and out.read_bytes() == b"payload"
    assert out.name.split(".")[0].upper() not in F.WINDOWS_RESERVED
    opened = A.open_copy(ctx, aid)
    assert opened.parent.parent == ctx.store.data_dir / "open"


def test_file_name_rules_shared_with_the_server():
    assert F.file_name_problem("report.pdf") is None
    assert F.file_name_problem("../x") and F.file_name_problem("a\\b") and F.file_name_problem("..")
    assert F.file_name_problem("a\x00b") and F.file_name_problem("x" * 256) and F.file_name_problem("")
    assert F.file_name_problem("汉" * 85) is None and F.file_name_problem("汉" * 86)  # 3 bytes each
    assert F.safe_file_name("CON") == "_CON" and F.safe_file_name("lpt1.txt") == "_lpt1.txt"
    assert F.safe_file_name('a<b>:c"d|e?f*.txt') == "a_b__c_d_e_f_.txt"
    assert F.safe_file_name(" . ") == "file"


def test_field_staff_rules(ctx, tmp_path):
    """Field staff add files to the clients they serve, never confidential ones, delete only
    their own, and never see a confidential file's title, name or bytes."""
    boss = ctx.actor.id
    field_id = users.create_user(ctx, "gong", "工程师", "field")
    cid = clients.create_client(ctx, name="ACME")
    secret = A.add_file(
        ctx, cid, _file(tmp_path, "合同.pdf", b"secret contract"), title="主合同", confidential=True
    )
    bosses = A.add_file(ctx, cid, _file(tmp_path, "plain.txt", b"plain"))
    ctx.set_actor(field_id)
    mine = A.add_file(ctx, cid, _file(tmp_path, "photo.png", b"\x89PNG..."))
    with pytest.raises(PermissionDenied):
        A.add_file(ctx, cid, _file(tmp_path, "x.txt", b"x"), confidential=True)
    with pytest.raises(PermissionDenied):
        A.update_attachment(ctx, mine, confidential=True)
    with pytest.raises(PermissionDenied):
        A.delete_attachment(ctx, bosses)
    A.delete_attachment(ctx, mine)
    rows = {r["id"]: r for r in A.list_attachments(ctx, cid)}
    hidden = rows[secret]
    assert hidden["title"] is None and hidden["file_name"] is None and hidden["sha256"] is None
    assert "title" in hidden["_hidden"]
    with pytest.raises(PermissionDenied):
        A.export_attachment(ctx, secret, tmp_path / "leak")
    assert not (tmp_path / "leak").exists()
    ctx.set_actor(boss)
    assert A.get_attachment(ctx, secret)["title"] == "主合同"


def test_a_visit_photo_lists_with_its_visit(ctx, tmp_path):
    import datetime as dt

    cid = clients.create_client(ctx, name="ACME")
    vid = visits.create_visit(
        ctx, cid, kind="return_visit", planned_start=dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC), status="done"
    )
    A.add_file(ctx, cid, _file(tmp_path, "site.jpg", b"jpegdata"), to=("visit_id", vid))
    assert A.counts_by_parent(ctx, cid) == {vid: 1}
    [row] = A.list_attachments(ctx, cid, parent=("visit_id", vid))
    assert row["attached_to"]["entity"] == "visit" and row["attached_to"]["label"].startswith("Return visit")


def test_keep_offline_switch(ctx):
    cid = clients.create_client(ctx, name="ACME")  # owned by the person at the keyboard
    other = clients.create_client(
        ctx, name="Not mine", owner_id=users.create_user(ctx, "li", "李", "manager")
    )
    assert A.keeps_offline(ctx, cid) is True and A.keeps_offline(ctx, other) is False
    A.set_keep_offline(ctx, other, True)
    A.set_keep_offline(ctx, cid, False)
    assert A.keeps_offline(ctx, cid) is False and A.keeps_offline(ctx, other) is True
    A.set_keep_offline(ctx, cid, None)
    assert A.keeps_offline(ctx, cid) is True


# -- the command line ---------------------------------------------------------------------------


def _run(data_dir, capsys, *args, lang="en"):
    capsys.readouterr()
    code = main(["--data-dir", str(data_dir), "--lang", lang, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_add_list_get_delete(data_dir, capsys, tmp_path):
    code, out, err = _run(data_dir, capsys, "clients", "add", "--name", "护航科技", "--json")
    cid = json.loads(out)["id"]
    a = _file(tmp_path, "SLA signed.pdf", b"%PDF signed")
    b = _file(tmp_path, "site.jpg", os.urandom(5000))
    code, out, err = _run(data_dir, capsys, "attachments", "add", "护航科技", str(a), str(b), "--json")
    assert code == 0, err
    made = json.loads(out)
    assert [m["file_name"] for m in made] == ["SLA signed.pdf", "site.jpg"]
    assert made[0]["sha256"] == _sha(b"%PDF signed") and made[0]["attached_to"] is None
    code, out, err = _run(data_dir, capsys, "attachments", "list", cid, "--json")
    listed = json.loads(out)
    assert {r["id"] for r in listed} == {m["id"] for m in made}
    assert set(listed[0]) >= {"id", "title", "file_name", "size", "sha256", "attached_to"}
    target = tmp_path / "got.jpg"
    code, out, err = _run(data_dir, capsys, "attachments", "get", made[1]["id"], "--out", str(target))
    assert code == 0 and target.read_bytes() == b.read_bytes()
    code, out, err = _run(data_dir, capsys, "attachments", "delete", made[1]["id"])
    assert code == 0
    assert len(json.loads(_run(data_dir, capsys, "attachments", "list", cid, "--json")[1])) == 1
    code, out, err = _run(data_dir, capsys, "attachments", "list", cid, lang="zh_CN")
    assert code == 0 and "SLA signed.pdf" in out


def test_cli_exit_codes(data_dir, capsys, tmp_path):
    _run(data_dir, capsys, "clients", "add", "--name", "ACME")
    code, out, err = _run(
        data_dir, capsys, "attachments", "add", "ACME", str(tmp_path / "missing.pdf"), "--json"
    )
    assert code == 2 and json.loads(out)["field"] == "file"
    f = _file(tmp_path, "a.txt", b"a")
    code, out, err = _run(
        data_dir, capsys, "attachments", "add", "ACME", str(f), "--to", "nothing:1", "--json"
    )
    assert code == 2 and json.loads(out)["field"] == "to"
    code, out, err = _run(data_dir, capsys, "attachments", "add", "No such client", str(f))
    assert code == 2
    code, out, err = _run(data_dir, capsys, "attachments", "get", "nope", "--out", str(tmp_path / "x"))
    assert code == 2
    code, out, err = _run(data_dir, capsys, "attachments", "delete", "nope")
    assert code == 2


# -- reports --------------------------------------------------------------------------------------


def _jpeg(path, size=(1600, 1200), color=(30, 110, 235)):
    from PIL import Image

    Image.new("RGB", size, color).save(path, "JPEG")
    return path


def test_the_dossier_lists_the_files_and_prints_visit_photos_when_asked(ctx, tmp_path):
    import datetime as dt

    from pypdf import PdfReader

    from accountdesk.reports import render_dossiers

    cid = clients.create_client(ctx, name="护航科技")
    vid = visits.create_visit(
        ctx,
        cid,
        kind="return_visit",
        planned_start=dt.datetime(2026, 3, 10, 2, tzinfo=dt.UTC),
        status="done",
        outcome="Installed",
    )
    A.add_file(ctx, cid, _jpeg(tmp_path / "site-photo.jpg"), to=("visit_id", vid), title="安装现场")
    A.add_file(
        ctx,
        cid,
        _file(tmp_path, "SLA-signed.pdf", b"%PDF-1.4 not really"),
        title="签署的SLA",
        kind="agreement",
    )
    A.add_file(ctx, cid, _file(tmp_path, "secret.pdf", b"secret"), title="机密合同", confidential=True)
    plain, photos = tmp_path / "plain.pdf", tmp_path / "photos.pdf"
    render_dossiers(ctx, [cid], plain)
    render_dossiers(ctx, [cid], photos, visit_photos=True)
    text = "".join(p.extract_text() or "" for p in PdfReader(str(plain)).pages).replace("\n", "")
    for expected in (
        "Attachments",
        "安装现场",
        "site-photo.jpg",
        "签署的SLA",
        "Signed agreement",
        "机密合同",
    ):
        assert expected in text, expected

    def images(path):
        return sum(len(p.images) for p in PdfReader(str(path)).pages)

    assert images(photos) == images(plain) + 1  # the visit's photo, printed once, only when asked
    # scaled: the embedded image is not the 1600 px original
    embedded = [img for p in PdfReader(str(photos)).pages for img in p.images]
    import io as _io

    from PIL import Image as PILImage

    sizes = [PILImage.open(_io.BytesIO(img.data)).size for img in embedded]
    assert (1200, 900) in sizes and (1600, 1200) not in sizes
    # a field engineer's dossier omits the confidential file
    field_id = users.create_user(ctx, "gong", "工程师", "field")
    from accountdesk.services import team

    team.add_team_member(ctx, cid, field_id)
    ctx.set_actor(field_id)
    render_dossiers(ctx, [cid], tmp_path / "field.pdf")
    text = "".join(p.extract_text() or "" for p in PdfReader(str(tmp_path / "field.pdf")).pages)
    assert "签署的SLA" in text and "机密合同" not in text


def test_copies_opened_with_the_system_viewer_do_not_stay(ctx, tmp_path):
    import time

    cid = clients.create_client(ctx, name="ACME")
    old = A.open_copy(ctx, A.add_file(ctx, cid, _file(tmp_path, "old.pdf", b"old")))
    past = time.time() - 13 * 3600
    os.utime(old.parent, (past, past))
    fresh = A.open_copy(ctx, A.add_file(ctx, cid, _file(tmp_path, "new.pdf", b"new")))
    assert not old.exists() and fresh.read_bytes() == b"new"
    assert A.clear_open_copies(ctx, older_than_hours=0) == 1 and not fresh.exists()


def test_files_of_a_company_profile_are_encrypted_with_it(tmp_path, no_keyring):  # noqa: F811
    """A file attached while the profile was plain, and one attached after the profile joined a
    company and was encrypted: neither can be read in the profile's files, both come back whole."""
    from crypto_env import leaks, make_demo_profile, mark_company

    from accountdesk.paths import database_path
    from accountdesk.services.context import open_profile
    from accountdesk.store import crypto

    path = make_demo_profile(tmp_path / "company", clients=1)
    before, after = os.urandom(2 * 1024 * 1024 + 7), os.urandom(300_000)
    os.environ["ACCOUNTDESK_PLAIN_STORE"] = "1"
    try:
        ctx = open_profile(path)
        cid = clients.create_client(ctx, name="File Crypt Ltd")
        first = A.add_file(ctx, cid, _file(tmp_path, "before.pdf", before))
        ctx.close()
    finally:
        del os.environ["ACCOUNTDESK_PLAIN_STORE"]
    needles = [before[:64], before[-64:], before[1024 * 1024 : 1024 * 1024 + 64]]
    assert leaks(path, needles)  # plain so far: the check below can fail
    mark_company(database_path(path))
    crypto.set_passphrase_provider(lambda _reason, _confirm: "correct horse battery staple 文件")
    ctx = open_profile(path)  # encrypted in place
    try:
        assert ctx.store.encrypted
        second = A.add_file(ctx, cid, _file(tmp_path, "after.jpg", after))
    finally:
        ctx.close()
    assert leaks(path, needles + [after[:64], after[-64:]]) == []
    ctx = open_profile(path)
    try:
        assert A.export_attachment(ctx, first, tmp_path / "b.pdf").read_bytes() == before
        assert A.export_attachment(ctx, second, tmp_path / "a.jpg").read_bytes() == after
    finally:
        ctx.close()
