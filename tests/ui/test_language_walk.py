"""No English in the Chinese UI and no Chinese in the English UI.

For each language the test walks every screen of the main window, every tab of a client's
workspace, the menus, the common dialogs (a form of every entity, the quick ones, Qt's own file
dialog) and the validation messages of every field, collects the text a person reads (labels,
buttons, headers, placeholders, tooltips, menu entries, titles; not the data: the values stored
in the profile are taken out first) and fails on a string in the other language.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QTabWidget,
    QWidget,
)
from sqlalchemy import String, Text, select

from accountdesk.domain.schema import SCHEMAS, parse_value
from accountdesk.errors import ValidationError
from accountdesk.i18n import set_language
from accountdesk.models import SYNCABLE
from accountdesk.services import clients, contacts, records, visits
from accountdesk.services.feedback import record_feedback
from accountdesk.ui.app import install_language

pytestmark = pytest.mark.gui

CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
WORD = re.compile(r"[A-Za-z]{2,}")
#: Latin words that belong in a Chinese UI too: product and format names, key names.
LATIN_OK = {
    "AccountDesk",
    "SLA",
    "PDF",
    "CSV",
    "Excel",
    "xlsx",
    "vCard",
    "vcf",
    "iCalendar",
    "ics",
    "ICS",
    "JSON",
    "UTF",
    "GBK",
    "URL",
    "HTTPS",
    "HTTP",
    "ID",
    "IT",
    "SHA",
    "Ctrl",
    "Shift",
    "Alt",
    "Enter",
    "Esc",
    "Del",
    "Tab",
    "Home",
    "End",
    "PgUp",
    "PgDn",
    "yyyy",
    "MM",
    "dd",
    "HH",
    "mm",
    "ss",
    "AM",
    "PM",
    "Qt",
    "PySide",
    "SQLite",
    "SQLCipher",
    "PostgreSQL",
    "TLS",
    "VPN",
    "API",
    "GB",
    "MB",
    "KB",
    "Python",
    "zh",
    "CN",
    "en",
    "YYYY",
    "DD",
    "Argon",
    "id",
    "Windows",
    "Linux",
    "macOS",
    "webhook",
    "Webhook",
    "SMTP",
    "IMAP",
    "Outlook",
}
#: Each language is offered under its own name (an endonym), in either UI.
LANGUAGE_NAMES = {"English", "简体中文"}
STRIP_TAGS = re.compile(r"<[^>]+>|&[a-z]+;")
#: e-mail addresses, URLs, paths and file names: data, not language
NEUTRAL = re.compile(
    r"\b[0-9A-Z]{18}\b|\S+@\S+|https?://\S+|[\w./\\-]+\.(?:pdf|csv|xlsx|ics|vcf|json|zip|sqlite3|ini)\b|/[\w./-]+"
)


def world(ctx, clock):
    ids = {}
    ids["client"] = clients.create_client(
        ctx,
        name="护航科技有限公司",
        tier="strategic",
        province="上海市",
        city="上海市",
        industry="专业技术服务业",
    )
    ids["contact"] = contacts.create_contact(
        ctx, ids["client"], name="王建国", title="总经理", department="总经办"
    )
    ids["plan"] = visits.create_visit_plan(
        ctx, ids["client"], "satisfaction_survey", starts_on=dt.date(2025, 6, 1)
    )
    ids["visit"] = visits.plan_visit(ctx, ids["client"], "return_visit", clock.now() + dt.timedelta(hours=3))
    ids["feedback"] = record_feedback(
        ctx,
        ids["client"],
        "complaint",
        "报告延期",
        description="第三批报告晚了五天",
        received_at=clock.now() - dt.timedelta(days=2),
    )
    records.create_record(
        ctx,
        "service_commitment",
        {"title": "现场响应", "metric": "onsite_hours", "target": 24},
        client_id=ids["client"],
    )
    return ids


def data_values(ctx) -> list[str]:
    """Every text stored in the profile (names, notes, codes…), longest first."""
    out: set[str] = set()
    with ctx.read() as session:
        for model in SYNCABLE:
            cols = [c for c in model.__table__.columns if isinstance(c.type, (String, Text))]
            for row in session.execute(select(*cols)):
                out.update(v for v in row if isinstance(v, str) and v.strip())
    return sorted(out, key=len, reverse=True)


def texts_of(root: QWidget) -> list[tuple[str, str]]:
    """``(where, text)`` of what a person reads in a widget tree."""
    out: list[tuple[str, str]] = []
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        if not w.isVisibleTo(root) and w is not root:
            continue
        name = f"{type(w).__name__}:{w.objectName()}"
        if w.isWindow() and w.windowTitle():
            out.append((name + " title", w.windowTitle()))
        if w.toolTip():
            out.append((name + " tooltip", w.toolTip()))
        if isinstance(w, QLabel):
            out.append((name, w.text()))
        elif isinstance(w, QAbstractButton):
            out.append((name, w.text()))
        elif isinstance(w, QLineEdit):
            out.append((name + " placeholder", w.placeholderText()))
        elif isinstance(w, QGroupBox):
            out.append((name, w.title()))
        elif isinstance(w, QTabWidget):
            out += [(name + " tab", w.tabText(i)) for i in range(w.count())]
        elif isinstance(w, QComboBox) and not w.isEditable():
            out += [(name + " item", w.itemText(i)) for i in range(min(w.count(), 60))]
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            model = w.model()
            try:
                columns = model.columnCount(QModelIndex())
            except TypeError:  # a list model (QAbstractListModel keeps it private): one column, no header
                continue
            out += [
                (name + " header", str(model.headerData(c, Qt.Orientation.Horizontal) or ""))
                for c in range(columns)
            ]
    return out


def menu_texts(menu: QMenu, where: str) -> list[tuple[str, str]]:
    out = [(where, menu.title())]
    for action in menu.actions():
        if action.menu() is not None:
            out += menu_texts(action.menu(), where + "/" + action.text())
        else:
            out.append((where, action.text()))
            if action.toolTip() != action.text().replace("&", ""):
                out.append((where + " tooltip", action.toolTip()))
    return out


def foreign(lang: str, text: str, data: list[str]) -> str | None:
    """The part of ``text`` that is in the other language (None: fine)."""
    if (text or "").strip() in LANGUAGE_NAMES:
        return None
    text = STRIP_TAGS.sub(" ", text or "")
    for value in data:
        if value in text:
            text = text.replace(value, " ")
    text = NEUTRAL.sub(" ", text)
    if lang == "en":
        found = CJK.findall(text)
        return "".join(found) if found else None
    words = [w for w in WORD.findall(text) if w not in LATIN_OK]
    return " ".join(words) if words else None


def validation_messages() -> list[tuple[str, str]]:
    """A message of every kind of bad input, for every field of every entity."""
    bad = {
        "int": "abc",
        "float": "x",
        "date": "2026-13-45",
        "datetime": "yesterday",
        "enum": "nonsense",
        "uscc": "123",
        "phone": "12",
        "mobile": "123",
        "email": "wang.example.com",
        "bool": "perhaps",
        "str": "x" * 400,
        "sha256": "zz",
        "filename": "../a",
    }
    out = []
    for entity, specs in SCHEMAS.items():
        for spec in specs.values():
            for raw in (bad.get(spec.kind), None if spec.required else "skip"):
                if raw in (None, "skip") and not (raw is None and spec.required):
                    continue
                try:
                    parse_value(spec, raw)
                except ValidationError as exc:
                    out += [(f"{entity}.{spec.name} <- {raw!r}", m) for _f, m in exc.errors]
    return out


def walk(window, ctx, ids, qtbot) -> list[tuple[str, str]]:
    from accountdesk.ui.main_window import NAV
    from accountdesk.ui.pages.clients import NewClientDialog
    from accountdesk.ui.pages.today import DateDialog

    seen: list[tuple[str, str]] = []
    tasks = window.tasks
    for entry in NAV:
        window.show_page(entry.key)
        tasks.wait(5000)
        QApplication.processEvents()
        seen += [(f"page {entry.key}: {w}", t) for w, t in texts_of(window)]
    # the bell: its tooltip and the history of alerts (the reminder of the world's visit in 3 h)
    window.settings.set("visit_reminder_min", 240)
    window.alerts.check()
    tasks.wait(5000)
    window.alerts.show_history()
    tasks.wait(5000)
    QApplication.processEvents()
    seen += [(f"alerts: {w}", t) for w, t in texts_of(window.alerts.bell.popup)]
    seen.append(("bell", window.alerts.bell.toolTip()))
    assert window.alerts.bell.popup.list.count() == 1
    window.alerts.bell.popup.hide()
    bar = window.menuBar()
    for action in bar.actions():
        if action.menu() is not None:
            seen += menu_texts(action.menu(), "menu")
    window.open_client(ids["client"])
    tasks.wait(5000)
    workspace = window.workspace_host.widget
    for name in workspace.tab_names():
        workspace.show_tab(name)
        tasks.wait(5000)
        QApplication.processEvents()
        seen += [(f"workspace {name}: {w}", t) for w, t in texts_of(workspace)]
    # dialogs: a form of every entity a person fills in, the quick ones, Qt's own file dialog
    from accountdesk.ui.forms import RecordDialog

    for entity in SCHEMAS:
        if entity in ("user", "service_offering", "attachment"):
            continue
        dlg = RecordDialog(ctx, entity, client_id=ids["client"])
        dlg.save()  # the empty form's messages too
        seen += [(f"dialog {entity}: {w}", t) for w, t in texts_of(dlg)]
        dlg.deleteLater()
    visits_tab = workspace.show_tab("visits")
    survey = visits_tab.record_visit(plan_id=ids["plan"])
    survey.save()
    seen += [(f"survey visit: {w}", t) for w, t in texts_of(survey)]
    survey.reject()
    new_client = NewClientDialog(ctx, tasks)
    seen += [(f"new client: {w}", t) for w, t in texts_of(new_client)]
    new_client.deleteLater()
    date_dialog = DateDialog("x", ctx.today(), ctx.today())
    seen += [(f"date dialog: {w}", t) for w, t in texts_of(date_dialog) if t != "x"]
    date_dialog.deleteLater()
    file_dialog = QFileDialog(window, "")
    file_dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    seen += [(f"Qt file dialog: {w}", t) for w, t in texts_of(file_dialog)]
    file_dialog.deleteLater()
    seen += validation_messages()
    return seen


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_screen_speaks_one_language(qtbot, ctx, clock, tasks, settings, lang):
    from accountdesk.ui.main_window import MainWindow

    ids = world(ctx, clock)
    install_language(lang)
    try:
        window = MainWindow(ctx, tasks, settings, notifier=lambda *_a: None)
        qtbot.addWidget(window)
        window.resize(1366, 768)
        window.show()
        qtbot.waitExposed(window)
        seen = walk(window, ctx, ids, qtbot)
        data = data_values(ctx) + [u for u in (ctx.actor.username, ctx.actor.display_name) if u]
        problems = sorted(
            {(where, text.strip()[:120], bad) for where, text in seen if (bad := foreign(lang, text, data))}
        )
        assert len(seen) > 500  # the walk saw the screens
        assert not problems, f"{len(problems)} strings in the other language:\n" + "\n".join(
            f"  {where}: {text!r} ({bad})" for where, text, bad in problems
        )
    finally:
        tasks.wait(5000)
        install_language("en")
        set_language("en")
