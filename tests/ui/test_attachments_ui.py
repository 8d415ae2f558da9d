"""The Attachments tab with real widgets (pytest-qt, offscreen): drop files, paste an image,
import a folder of phone photos, thumbnails of photos and PDF first pages, open with the system's
application, keep offline, delete; in both languages."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QObject, QPoint, QPointF, Qt, QUrl, Slot
from PySide6.QtGui import QColor, QDesktopServices, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication

from accountdesk.i18n import set_language
from accountdesk.services import attachments as A
from accountdesk.services import equipment, visits

from .conftest_workspace import client_id, reload, settle, shown, staff, tasks, workspace  # noqa: F401

pytestmark = pytest.mark.gui


def _photo(path: Path, color: str = "#1f6feb", size=(640, 480)) -> Path:
    image = QImage(size[0], size[1], QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    assert image.save(str(path), "JPEG")
    return path


def _pdf(path: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("Helvetica", 28)
    c.drawString(72, 760, "Calibration certificate")
    c.rect(72, 500, 400, 200, fill=1)
    c.save()
    return path


def _drop(widget, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(widget.rect().center())
    for kind in ("enter", "drop"):
        if kind == "enter":
            from PySide6.QtGui import QDragEnterEvent

            event = QDragEnterEvent(
                QPoint(int(pos.x()), int(pos.y())),
                Qt.DropAction.CopyAction,
                mime,
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
            )
        else:
            event = QDropEvent(
                pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
            )
        QApplication.sendEvent(widget, event)
        assert event.isAccepted()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Opened(QObject):
    """Receives the URLs the app hands to the system (Qt's own URL handler hook)."""

    def __init__(self):
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def opened():
    receiver = Opened()
    QDesktopServices.setUrlHandler("file", receiver, "handle")
    yield receiver
    QDesktopServices.unsetUrlHandler("file")


def test_drop_files_onto_a_visit_thumbnails_and_open(
    qtbot, workspace, ctx, client_id, tasks, tmp_path, opened
):  # noqa: F811
    vid = visits.create_visit(
        ctx,
        client_id,
        kind="return_visit",
        planned_start=dt.datetime(2026, 3, 10, 2, tzinfo=dt.UTC),
        status="done",
    )
    reload(qtbot, workspace)
    tab = shown(qtbot, workspace, "attachments")
    assert workspace.current_tab_name() == "attachments"
    assert tab.set_target("visit_id", vid)
    photo, cert = _photo(tmp_path / "现场 照片.jpg"), _pdf(tmp_path / "certificate.pdf")
    _drop(tab, [photo, cert])
    qtbot.waitUntil(lambda: not tab.adding, timeout=10_000)  # attached on the database lane
    settle(qtbot, tab)
    rows = A.list_attachments(ctx, client_id)
    assert {r["file_name"] for r in rows} == {"现场 照片.jpg", "certificate.pdf"}
    assert all(r["attached_to"]["id"] == vid for r in rows)
    assert tab.list.count() == 2 and "2 file(s) attached." in tab.message.text()
    tasks.wait(20000)
    qtbot.waitUntil(lambda: all(tab.has_thumbnail(r["id"]) for r in rows), timeout=20000)
    by_name = {r["file_name"]: r for r in rows}
    # double-click opens a copy with the system's application
    tab.select(by_name["certificate.pdf"]["id"])
    item = tab.list.selectedItems()[0]
    tab.list.itemDoubleClicked.emit(item)
    assert len(opened.urls) == 1
    handed = Path(opened.urls[0].toLocalFile())
    assert handed.name == "certificate.pdf" and _sha(handed) == _sha(cert)
    # the same files show from the visit's side
    assert [r["id"] for r in A.list_attachments(ctx, client_id, parent=("visit_id", vid))] == [
        r["id"] for r in rows
    ]


def attach(qtbot, tab, paths) -> list[str]:
    """Attach files as the buttons do (on the database lane) and wait for the result."""
    tab.add_paths(paths)
    qtbot.waitUntil(lambda: not tab.adding, timeout=10_000)
    settle(qtbot, tab)
    return tab.last_added


def test_attaching_files_does_not_hold_the_window(qtbot, workspace, ctx, client_id, tasks, tmp_path):  # noqa: F811
    """Hashing and storing a large file or a folder of photos runs on the database lane: the
    window answers meanwhile, says what it is doing, and shows the result when it is done."""
    import threading

    tab = shown(qtbot, workspace, "attachments")
    folder = tmp_path / "DCIM"
    folder.mkdir()
    for i in range(3):
        _photo(folder / f"IMG_{i}.jpg", ("#12b76a", "#f79009", "#2e90fa")[i])
    gate = threading.Event()
    tasks.run_db(lambda: gate.wait(10))  # the lane is busy: the attaching waits behind it
    try:
        tab.add_paths([folder])
        assert tab.adding and A.list_attachments(ctx, client_id) == []  # returned at once
        assert "Attaching" in tab.message.text()
    finally:
        gate.set()
    qtbot.waitUntil(lambda: not tab.adding, timeout=10_000)
    settle(qtbot, tab)
    assert len(tab.last_added) == 3 and "3 file(s) attached." in tab.message.text()
    assert {r["file_name"] for r in A.list_attachments(ctx, client_id)} == {f"IMG_{i}.jpg" for i in range(3)}


def test_paste_an_image_and_import_a_phone_folder(qtbot, workspace, ctx, client_id, tasks, tmp_path):  # noqa: F811
    tab = shown(qtbot, workspace, "attachments")
    image = QImage(200, 120, QImage.Format.Format_RGB32)
    image.fill(QColor("#d92d20"))
    QGuiApplication.clipboard().setImage(image)
    made = tab.paste_image()
    settle(qtbot, tab)
    assert made is not None
    row = A.get_attachment(ctx, made)
    assert row["kind"] == "photo" and row["media_type"] == "image/png" and row["file_name"].endswith(".png")
    back = QImage.fromData(A.read_bytes(ctx, made))
    assert back.size() == image.size() and back.pixelColor(10, 10) == QColor("#d92d20")
    phone = tmp_path / "DCIM" / "Camera"
    phone.mkdir(parents=True)
    for i, color in enumerate(("#12b76a", "#f79009")):
        _photo(phone / f"IMG_000{i}.jpg", color)
    (phone / "notes.txt").write_text("not a photo")
    added = attach(qtbot, tab, [tmp_path / "DCIM"])
    assert len(added) == 2
    again = attach(qtbot, tab, [tmp_path / "DCIM"])
    assert again == [] and "2 already attached." in tab.message.text()
    assert tab.list.count() == 3


def test_refusals_show_beside_the_list_and_nothing_is_written(qtbot, workspace, ctx, client_id, tmp_path):  # noqa: F811
    from accountdesk.sync.changes import set_meta
    from accountdesk.sync.files import META_FILE_LIMITS

    with ctx.store.write() as s:
        set_meta(s, META_FILE_LIMITS, {"max_file_bytes": 1000})
    tab = shown(qtbot, workspace, "attachments")
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 5000)
    assert attach(qtbot, tab, [big]) == []
    assert "too large" in tab.message.text() and A.list_attachments(ctx, client_id) == []


def test_keep_offline_and_delete(qtbot, workspace, ctx, client_id, tmp_path):  # noqa: F811
    tab = shown(qtbot, workspace, "attachments")
    eq = equipment.create_equipment(ctx, client_id, "电子天平")
    reload(qtbot, tab)
    assert tab.set_target("equipment_id", eq)
    [aid] = attach(qtbot, tab, [_photo(tmp_path / "nameplate.jpg")])
    assert A.get_attachment(ctx, aid)["attached_to"]["label"] == "电子天平"
    # the acting supervisor does not own this client: its files are fetched on demand by default
    assert tab.keep.isChecked() is False
    tab.keep.setChecked(True)
    settle(qtbot, tab)
    assert A.keeps_offline(ctx, client_id) is True
    tab.select(aid)
    assert tab.delete_selected(confirm=False) == 1
    settle(qtbot, tab)
    assert tab.list.count() == 0 and A.list_attachments(ctx, client_id) == []


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_screens_in_both_languages(qtbot, ctx, tasks, client_id, tmp_path, lang):  # noqa: F811
    from accountdesk.ui.workspace import ClientWorkspace

    set_language(lang)
    try:
        vid = visits.create_visit(
            ctx,
            client_id,
            kind="return_visit",
            planned_start=dt.datetime(2026, 3, 10, 2, tzinfo=dt.UTC),
            status="done",
        )
        A.add_file(
            ctx, client_id, _photo(tmp_path / "installed-instrument.jpg", "#2e90fa"), to=("visit_id", vid)
        )
        A.add_file(ctx, client_id, _pdf(tmp_path / "calibration-certificate.pdf"), kind="certificate")
        A.add_file(ctx, client_id, _photo(tmp_path / "signed-service-report.jpg", "#fdb022"), kind="report")
        w = ClientWorkspace(ctx, tasks, client_id)
        qtbot.addWidget(w)
        w.resize(1200, 700)
        w.show()
        tab = shown(qtbot, w, "attachments")
        tasks.wait(20000)
        qtbot.waitUntil(lambda: all(tab.has_thumbnail(r["id"]) for r in tab.rows), timeout=20000)
        title = w.tab_widget.tabText(w.tab_names().index("attachments"))
        assert title == ("Attachments" if lang == "en" else "附件")
        assert tab.add_button.text() == ("Add files…" if lang == "en" else "添加文件…")
        out = tmp_path / f"attachments-{lang}.png"
        assert w.grab().save(str(out))  # docs/screenshots/attachments-LANG.png were made this way
    finally:
        set_language("en")


def _drop_on(view, row: int, paths: list[Path]) -> QDropEvent:
    from PySide6.QtGui import QDragEnterEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    rect = view.visualRect(view.model().index(row, 0))
    pos = rect.center()
    enter = QDragEnterEvent(
        pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(view.viewport(), enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(pos),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(view.viewport(), drop)
    return drop


def test_drop_files_onto_an_instrument_or_a_visit_in_their_own_lists(
    qtbot, workspace, ctx, client_id, tmp_path
):  # noqa: F811
    first = equipment.create_equipment(ctx, client_id, "A 天平")
    second = equipment.create_equipment(ctx, client_id, "B 气相色谱仪")
    vid = visits.create_visit(
        ctx,
        client_id,
        kind="return_visit",
        planned_start=dt.datetime(2026, 3, 10, 2, tzinfo=dt.UTC),
        status="done",
    )
    reload(qtbot, workspace)
    tab = shown(qtbot, workspace, "equipment")
    panel = tab.equipment
    assert getattr(panel, "file_drop", None) is not None
    row = next(i for i, r in enumerate(panel.model.rows) if r["id"] == second)
    drop = _drop_on(panel.view, row, [_pdf(tmp_path / "certificate-B.pdf")])
    assert drop.isAccepted()
    qtbot.waitUntil(lambda: getattr(panel.file_drop, "last", None) is not None)  # attached on the lane
    [att] = A.list_attachments(ctx, client_id)
    assert att["attached_to"]["id"] == second and att["file_name"] == "certificate-B.pdf"
    assert A.list_attachments(ctx, client_id, parent=("equipment_id", first)) == []
    visits_tab = shown(qtbot, workspace, "visits")
    vrow = next(i for i, r in enumerate(visits_tab.visits.model.rows) if r["id"] == vid)
    _drop_on(visits_tab.visits.view, vrow, [_photo(tmp_path / "site.jpg")])
    qtbot.waitUntil(lambda: getattr(visits_tab.visits.file_drop, "last", None) is not None)
    assert [r["attached_to"]["id"] for r in A.list_attachments(ctx, client_id, parent=("visit_id", vid))] == [
        vid
    ]
    # the attachments tab shows both (it reloads when shown: another tab wrote)
    assert shown(qtbot, workspace, "attachments").list.count() == 2


def test_an_unexpected_failure_while_attaching_is_said_beside_the_list(
    qtbot, workspace, ctx, client_id, tmp_path, monkeypatch
):  # noqa: F811
    tab = shown(qtbot, workspace, "attachments")

    def broken(*_a, **_k):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(A, "add_file", broken)
    assert attach(qtbot, tab, [_photo(tmp_path / "site.jpg")]) == []
    assert "could not be attached: the disk went away" in tab.message.text()
    assert "read" not in tab.message.text()
