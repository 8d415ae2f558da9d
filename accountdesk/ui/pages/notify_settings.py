"""The Settings screen's notification sections (issue 19).

- **Calendar and messages**, for every signed-in user: the calendar subscription address with
  Copy, New address and Switch off, and the language of the messages the server sends them.
- **Notifications (administrator)**, for administrators: the e-mail server and group robots
  (WeCom, DingTalk, Feishu), who receives which event, a test message on every channel, and the
  messages that could not be delivered, with Resend.

Everything goes through the server's authenticated endpoints (:mod:`accountdesk.sync.notify_api`)
on the task pool; the server decides who may do what. Secrets typed here are sent once and
never shown again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from ...i18n import _
from .notify_channels import (
    SmtpDialog,
    WebhookDialog,
)
from .notify_parts import (
    EVENTS,
    PEOPLE,
    _fill,
    _Section,
    _selected,
    _table,
    event_label,
    kind_label,
    recipient_label,
    severity_label,
    tier_label,
)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from ...sync.notify_api import NotifyClient
    from ..tasks import TaskManager
    from .notify_parts import ClientSource

__all__ = [
    "CalendarSection",
    "NotifyAdminSection",
    "SmtpDialog",
    "WebhookDialog",
    "event_label",
    "recipient_label",
]


class CalendarSection(_Section):
    """The user's calendar feed and the language of their messages."""

    feed_changed = Signal(object)

    def __init__(
        self, client_source: ClientSource, tasks: TaskManager, parent: QWidget | None = None
    ) -> None:
        super().__init__(client_source, tasks, parent)
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.url_edit = QLineEdit()
        self.url_edit.setReadOnly(True)
        self.copy_button = QPushButton()
        self.copy_button.clicked.connect(self.copy_url)
        self.reset_button = QPushButton()
        self.reset_button.clicked.connect(self._confirm_reset)
        self.revoke_button = QPushButton()
        self.revoke_button.clicked.connect(self.revoke)
        buttons = QHBoxLayout()
        for b in (self.copy_button, self.reset_button, self.revoke_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.url_label = QLabel()
        form.addRow(self.url_label, self.url_edit)
        form.addRow("", buttons)
        self.hint = QLabel()
        self.hint.setObjectName("Hint")
        self.hint.setWordWrap(True)
        form.addRow("", self.hint)
        self.language_combo = QComboBox()
        for code in ("", "zh_CN", "en"):
            self.language_combo.addItem("", code)
        self.language_combo.activated.connect(self._language_chosen)
        self.language_label = QLabel()
        form.addRow(self.language_label, self.language_combo)
        form.addRow("", self.status)
        self.feed: dict[str, Any] | None = None
        self.retranslate()

    def retranslate(self) -> None:
        self.setTitle(_("Calendar and messages"))
        self.url_label.setText(_("Calendar address"))
        self.copy_button.setText(_("Copy"))
        self.reset_button.setText(_("New address…"))
        self.revoke_button.setText(_("Switch off"))
        self.hint.setText(
            _(
                "Subscribe to this address in Outlook, Apple, Google, WeCom or Feishu calendar to see your "
                "visits, tasks, complaint deadlines and renewals. Anyone with it sees your appointments: keep it private."
            )
        )
        self.language_label.setText(_("Messages in"))
        self.language_combo.setItemText(0, _("The server's language"))
        self.language_combo.setItemText(1, "简体中文")
        self.language_combo.setItemText(2, "English")
        self._show_feed(self.feed)

    def refresh(self) -> None:
        """Ask the server for the feed (making it the first time) and the message language."""

        def work(client: NotifyClient) -> tuple[dict[str, Any], dict[str, Any]]:
            return client.calendar_feed(), client.preferences()

        self._call(work, self._loaded, "calendar-feed", quiet=True)

    def _loaded(self, result: tuple[dict[str, Any], dict[str, Any]]) -> None:
        feed, prefs = result
        self._show_feed(feed)
        self.language_combo.setCurrentIndex(max(0, self.language_combo.findData(prefs.get("language") or "")))

    def _show_feed(self, feed: dict[str, Any] | None) -> None:
        self.feed = feed
        url = (feed or {}).get("url")
        active = bool((feed or {}).get("active"))
        self.url_edit.setText(url or "")
        if feed is None:
            self.url_edit.setPlaceholderText("")
        elif not active:
            self.url_edit.setPlaceholderText(_("Switched off: New address… makes one"))
        else:
            self.url_edit.setPlaceholderText(
                _("Shown only on the computer that made it: New address… makes another")
            )
        self.copy_button.setEnabled(bool(url))
        self.revoke_button.setEnabled(active)
        self.feed_changed.emit(feed)

    def copy_url(self) -> None:
        if self.url_edit.text():
            QGuiApplication.clipboard().setText(self.url_edit.text())
            self._say(_("Copied."))

    def _confirm_reset(self) -> None:
        if (self.feed or {}).get("active"):
            box = QMessageBox(
                QMessageBox.Icon.Question,
                _("New calendar address"),
                _("The old address stops working at once; calendars subscribed to it must subscribe again."),
                QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
                self,
            )
            box.button(QMessageBox.StandardButton.Ok).setText(_("Make a new address"))
            box.button(QMessageBox.StandardButton.Cancel).setText(_("Cancel"))
            self._question = box
            box.accepted.connect(self.reset)
            box.open()
            return
        self.reset()

    def reset(self) -> None:
        self._call(lambda c: c.calendar_feed(reset=True), self._show_feed, "calendar-feed-reset")

    def revoke(self) -> None:
        self._call(lambda c: c.revoke_calendar_feed(), self._show_feed, "calendar-feed-revoke")

    def _language_chosen(self, _index: int) -> None:
        code = self.language_combo.currentData() or None
        if code is None:
            return  # the server's language is the default: nothing to send
        self._call(
            lambda c: c.set_preferences(language=code), lambda _r: self._say(_("Saved.")), "notify-language"
        )


class NotifyAdminSection(_Section):
    """Channels, rules, test and dead letters (administrators)."""

    #: The channel dialog opened last (tests fill it in).
    dialog: SmtpDialog | WebhookDialog

    def __init__(
        self, client_source: ClientSource, tasks: TaskManager, parent: QWidget | None = None
    ) -> None:
        super().__init__(client_source, tasks, parent)
        layout = QVBoxLayout(self)
        self.channels_title = QLabel()
        self.channels_title.setObjectName("SectionTitle")
        self.channels = _table(["", "", ""])
        self.add_smtp_button = QPushButton()
        self.add_smtp_button.clicked.connect(self.open_smtp_dialog)
        self.add_webhook_button = QPushButton()
        self.add_webhook_button.clicked.connect(self.open_webhook_dialog)
        self.remove_channel_button = QPushButton()
        self.remove_channel_button.clicked.connect(self.remove_channel)
        self.test_button = QPushButton()
        self.test_button.clicked.connect(self.send_test)
        row = QHBoxLayout()
        for b in (
            self.add_smtp_button,
            self.add_webhook_button,
            self.remove_channel_button,
            self.test_button,
        ):
            row.addWidget(b)
        row.addStretch(1)
        layout.addWidget(self.channels_title)
        layout.addWidget(self.channels)
        layout.addLayout(row)

        self.rules_title = QLabel()
        self.rules_title.setObjectName("SectionTitle")
        self.rules = _table(["", "", ""])
        self.event_combo = QComboBox()
        for event in EVENTS:
            self.event_combo.addItem("", event)
        self.to_combo = QComboBox()
        self.to_combo.setEditable(True)
        for who in PEOPLE:
            self.to_combo.addItem(who, who)
        self.tier_combo = QComboBox()
        for tier in ("", "strategic", "key", "standard"):
            self.tier_combo.addItem("", tier)
        self.add_rule_button = QPushButton()
        self.add_rule_button.clicked.connect(self.add_rule)
        self.remove_rule_button = QPushButton()
        self.remove_rule_button.clicked.connect(self.remove_rule)
        self.reset_rules_button = QPushButton()
        self.reset_rules_button.clicked.connect(self.reset_rules)
        add_row = QHBoxLayout()
        for w in (self.event_combo, self.to_combo, self.tier_combo, self.add_rule_button):
            add_row.addWidget(w)
        rule_buttons = QHBoxLayout()
        for b in (self.remove_rule_button, self.reset_rules_button):
            rule_buttons.addWidget(b)
        rule_buttons.addStretch(1)
        layout.addWidget(self.rules_title)
        layout.addWidget(self.rules)
        layout.addLayout(add_row)
        layout.addLayout(rule_buttons)

        self.failed_title = QLabel()
        self.failed_title.setObjectName("SectionTitle")
        self.failed = _table(["", "", "", ""])
        self.resend_button = QPushButton()
        self.resend_button.clicked.connect(self.resend)
        layout.addWidget(self.failed_title)
        layout.addWidget(self.failed)
        layout.addWidget(self.resend_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.status)
        self._rules: list[dict[str, Any]] = []
        self.retranslate()

    def retranslate(self) -> None:
        self.setTitle(_("Notifications (administrator)"))
        self.channels_title.setText(_("Channels"))
        self.channels.setHorizontalHeaderLabels([_("Name"), _("Kind"), _("Where")])
        self.add_smtp_button.setText(_("E-mail server…"))
        self.add_webhook_button.setText(_("Add group robot…"))
        self.remove_channel_button.setText(_("Remove"))
        self.test_button.setText(_("Send a test message"))
        self.rules_title.setText(_("Who receives what"))
        self.rules.setHorizontalHeaderLabels([_("Event"), _("Recipient"), _("Only for")])
        for i in range(self.event_combo.count()):
            self.event_combo.setItemText(i, event_label(self.event_combo.itemData(i)))
        for i in range(self.to_combo.count()):
            self.to_combo.setItemText(i, recipient_label(self.to_combo.itemData(i)))
        if (line := self.to_combo.lineEdit()) is not None:  # editable: it has one
            line.setPlaceholderText(_("or user:NAME, group:CHANNEL"))
        for i in range(self.tier_combo.count()):
            self.tier_combo.setItemText(i, tier_label(self.tier_combo.itemData(i)) or _("Every client"))
        self.add_rule_button.setText(_("Add rule"))
        self.remove_rule_button.setText(_("Remove rule"))
        self.reset_rules_button.setText(_("Restore the default rules"))
        self.failed_title.setText(_("Messages not delivered"))
        self.failed.setHorizontalHeaderLabels([_("Created"), _("Event"), _("Recipient"), _("Error")])
        self.resend_button.setText(_("Resend all"))
        if self._rules:
            self._show_rules(self._rules)

    # -- loading -------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._call(lambda c: (c.channels(), c.rules(), c.failed()), self._loaded, "notify-admin", quiet=True)

    def _loaded(
        self, result: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]
    ) -> None:
        channels, rules, failed = result
        self._show_channels(channels)
        self._show_rules(rules)
        self._show_failed(failed)

    def _show_channels(self, channels: list[dict[str, Any]]) -> None:
        rows = []
        for c in channels:
            if c["kind"] == "smtp":
                where = f"{c['host']}:{c['port']} ({c['security']}) {c['sender']}"
            else:
                where = c.get("url") or ""
                if c.get("signed"):
                    where += " · " + _("signed")
            rows.append([c["name"], kind_label(c["kind"]), where])
        _fill(self.channels, rows, [c["name"] for c in channels])

    def _show_rules(self, rules: list[dict[str, Any]]) -> None:
        self._rules = rules
        rows = [
            [
                event_label(r["event"]),
                recipient_label(r["to"]),
                " · ".join(x for x in (tier_label(r.get("tier")), severity_label(r.get("severity"))) if x),
            ]
            for r in rules
        ]
        _fill(self.rules, rows, [r["id"] for r in rules])

    def _show_failed(self, failed: list[dict[str, Any]]) -> None:
        rows = [
            [m["created_at"][:16].replace("T", " "), m["event"], m["to"], m.get("error") or ""]
            for m in failed
        ]
        _fill(self.failed, rows, [m["id"] for m in failed])
        self.resend_button.setEnabled(bool(failed))

    # -- actions -------------------------------------------------------------------------------
    def open_smtp_dialog(self) -> SmtpDialog:
        dialog = SmtpDialog(self._client_source, self._tasks, self)
        dialog.saved.connect(lambda _c: self.refresh())
        dialog.open()
        self.dialog = dialog
        return dialog

    def open_webhook_dialog(self) -> WebhookDialog:
        dialog = WebhookDialog(self._client_source, self._tasks, self)
        dialog.saved.connect(lambda _c: self.refresh())
        dialog.open()
        self.dialog = dialog
        return dialog

    def remove_channel(self) -> None:
        name = _selected(self.channels)
        if name:
            self._call(lambda c: c.remove_channel(name), lambda _r: self.refresh(), "notify-remove-channel")

    def send_test(self) -> None:
        self._say(_("Sending…"))
        self._call(lambda c: c.test(), self._tested, "notify-test")

    def _tested(self, results: list[dict[str, Any]]) -> None:
        if not results:
            self._say(_("No channels yet."), error=True)
            return
        lines = [
            f"{r['channel']}: " + (_("sent") if r["ok"] else _("failed ({error})").format(error=r["error"]))
            for r in results
        ]
        self._say("\n".join(lines), error=not all(r["ok"] for r in results))

    def add_rule(self) -> None:
        to = (
            self.to_combo.currentData()
            if self.to_combo.currentText() == self.to_combo.itemText(self.to_combo.currentIndex())
            else self.to_combo.currentText().strip()
        )
        values = {
            "event": self.event_combo.currentData(),
            "to": to,
            "tier": self.tier_combo.currentData() or None,
        }
        self._call(lambda c: (c.add_rule(**values), c.rules())[1], self._show_rules, "notify-add-rule")

    def remove_rule(self) -> None:
        rule_id = _selected(self.rules)
        if rule_id is not None:

            def work(c: NotifyClient) -> list[dict[str, Any]]:
                c.remove_rule(rule_id)
                return c.rules()

            self._call(work, self._show_rules, "notify-remove-rule")

    def reset_rules(self) -> None:
        self._call(lambda c: c.reset_rules(), self._show_rules, "notify-reset-rules")

    def resend(self) -> None:
        self._say(_("Sending…"))

        def work(c: NotifyClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
            result = c.resend()
            return result, c.failed()

        def done(result: tuple[dict[str, Any], list[dict[str, Any]]]) -> None:
            summary, failed = result
            self._show_failed(failed)
            self._say(
                _("{sent} of {resent} delivered.").format(sent=summary["sent"], resent=summary["resent"]),
                error=summary["sent"] < summary["resent"],
            )

        self._call(work, done, "notify-resend")
