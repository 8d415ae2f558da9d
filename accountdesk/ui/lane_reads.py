"""Reads of the workspace's tabs and the dialogs on the database lane (:mod:`.tasks`), as the pages do.

A :class:`LaneReads` belongs to one widget. ``read(fetch, show, failed)`` runs ``fetch`` (plain
service calls, no widget touched) on the database lane and hands its value to ``show`` on the GUI
thread. Only the newest read of a widget lands: a result of an earlier one, or for a widget that is
gone (a workspace closed, another client opened), is dropped. Work that needs the data waits with
:meth:`LaneReads.then`.

Without lanes (a form or dialog used on its own, e.g. by a test), the read runs at once, here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from ..errors import AccountDeskError
from ..i18n import _
from . import style

if TYPE_CHECKING:
    from .tasks import TaskHandle, TaskManager

log = logging.getLogger(__name__)

T = TypeVar("T")


def error_text(exc: BaseException) -> str:
    """What a failed read says in place of the data."""
    message = exc.message if isinstance(exc, AccountDeskError) else str(exc) or type(exc).__name__
    return _("Could not read this: {message}").format(message=message)


class LaneReads:
    """The reads of one widget on the database lane: the newest wins."""

    def __init__(self, widget: QWidget, name: str) -> None:
        self.widget = widget
        self.name = name
        self.tasks: TaskManager | None = None
        self._serial = 0
        self._handle: TaskHandle | None = None
        self._loading = False
        self._waiting: list[Callable[[], None]] = []
        widget.destroyed.connect(self.cancel)

    @property
    def loading(self) -> bool:
        """A read was asked for and its result has not landed yet."""
        return self._loading

    def read(
        self,
        fetch: Callable[[], T],
        show: Callable[[T], None],
        failed: Callable[[BaseException], None],
    ) -> None:
        """Read with ``fetch`` on the database lane; ``show`` (or ``failed``) on the GUI thread."""
        self._serial += 1
        serial = self._serial
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        self._loading = True

        def current() -> bool:
            return serial == self._serial and shiboken6.isValid(self.widget)

        def done(value: Any) -> None:
            if not current():
                return
            self._loading = False
            self._handle = None
            show(value)
            self._run_waiting()

        def error(exc: BaseException) -> None:
            if not current():
                return
            self._loading = False
            self._handle = None
            log.warning("reading %s failed: %s", self.name, exc)
            failed(exc)
            self._waiting.clear()

        if self.tasks is None:
            try:
                value = fetch()
            except Exception as exc:  # noqa: BLE001 - shown in place, like a lane's error
                error(exc)
            else:
                done(value)
            return
        self._handle = self.tasks.run_db(
            fetch, on_result=done, on_error=error, name=self.name, owner=self.widget
        )

    def then(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the data has landed (now, if no read is under way)."""
        if self._loading:
            self._waiting.append(fn)
        else:
            fn()

    def cancel(self, *_args: object) -> None:
        """Drop the read under way: its result will not land."""
        self._serial += 1
        self._loading = False
        self._waiting.clear()
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _run_waiting(self) -> None:
        waiting, self._waiting = self._waiting, []
        for fn in waiting:
            fn()


class LoadingNote(QLabel):
    """ "Loading…" while a widget's first read runs, and what went wrong when a read failed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setObjectName("loading_note")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def loading(self) -> None:
        self.setStyleSheet(style.MUTED_CSS)
        self.setText(_("Loading…"))
        self.show()

    def failed(self, exc: BaseException) -> None:
        self.setStyleSheet(style.ERROR_CSS)
        self.setText(error_text(exc))
        self.show()

    def done(self) -> None:
        self.hide()
        self.setText("")


def after_all(reads: list[LaneReads], fn: Callable[[], None]) -> None:
    """Run ``fn`` once every read under way of ``reads`` has landed (now, if none is)."""
    pending = [r for r in reads if r.loading]
    if not pending:
        fn()
        return
    left = [len(pending)]

    def one() -> None:
        left[0] -= 1
        if left[0] == 0:
            fn()

    for r in pending:
        r.then(one)
