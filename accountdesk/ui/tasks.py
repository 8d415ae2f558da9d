"""The one helper that runs work off the GUI thread (after Anki's taskman and Picard's thread.py).

Two lanes:

- the **database lane** runs one task at a time, in order (SQLite has one writer; queries for the
  big lists must not pile up behind each other out of order);
- the **pool** runs everything else concurrently (network, PDF, imports).

Business logic stays in plain callables. A task gets its result and errors back on the GUI thread
through Qt signals; ``progress`` is reported the same way. Each task has a :class:`CancelToken`:
the callable may look at it (``token.cancelled``) and the task's callbacks are not called once it
is cancelled, so a stale search result never reaches the screen.

A task belongs to the widget its callbacks are methods of (or closures over, as ``lambda r:
self._show(r)``): once that widget is deleted (a page rebuilt by a language switch, a closed
workspace) its callbacks are not called — they would reach deleted Qt objects. ``owner=`` names
it where the callbacks do not show it.

    handle = tasks.run_db(lambda token: list_clients_page(ctx, ...), on_result=self._show)
    handle.cancel()
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]
ProgressCallback = Callable[[int, int, str], None]


class Cancelled(Exception):
    """Raised inside a task (by :meth:`CancelToken.check`) to stop it early."""


class CancelToken:
    """Shared between the GUI thread (which cancels) and the worker (which checks)."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def event(self) -> threading.Event:
        """The underlying event, for libraries that take a ``threading.Event`` (the sync engine)."""
        return self._event

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def __call__(self) -> bool:  # usable as a ``cancel()`` predicate by services
        return self._event.is_set()

    def __bool__(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class TaskSignals(QObject):
    """Lives on the GUI thread; the worker emits, Qt queues the calls to the GUI thread."""

    result = Signal(object)
    error = Signal(object)
    progress = Signal(int, int, str)
    finished = Signal()


class TaskHandle:
    """What the caller keeps: cancel it, or listen to its signals."""

    def __init__(self, name: str, signals: TaskSignals, token: CancelToken):
        self.name = name
        self.signals = signals
        self.token = token
        self.done = False

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled


class _Box:
    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[..., Any], handle: TaskHandle, wants: tuple[bool, bool]):
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._handle = handle
        self._wants_token, self._wants_progress = wants

    def run(self) -> None:  # worker thread
        handle = self._handle
        signals = handle.signals
        if handle.token.cancelled:
            signals.finished.emit()
            return
        kwargs: dict[str, Any] = {}
        if self._wants_token:
            kwargs["token"] = handle.token
        if self._wants_progress:
            kwargs["progress"] = lambda done, total, message="": signals.progress.emit(
                int(done), int(total), str(message)
            )
        try:
            value = self._fn(**kwargs)
        except Cancelled:
            pass
        except BaseException as exc:  # noqa: BLE001 - delivered to the GUI thread, never lost
            log.debug("task %s failed", handle.name, exc_info=True)
            signals.error.emit(exc)
        else:
            # Boxed, so that a None result travels like any other object (PySide6 6.12.0 mis-counted
            # references of None and True; pyproject keeps PySide6 below 6.12).
            signals.result.emit(_Box(value))
        signals.finished.emit()


def _wants(fn: Callable[..., Any]) -> tuple[bool, bool]:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False, False
    return "token" in params, "progress" in params


def _owner_of(callback: Callable[..., Any] | None) -> QObject | None:
    """The Qt object a callback belongs to: a bound method's object, or the ``self`` a lambda or
    nested function defined in a method closes over."""
    if callback is None:
        return None
    bound = getattr(callback, "__self__", None)
    if isinstance(bound, QObject):
        return bound
    code = getattr(callback, "__code__", None)
    cells = getattr(callback, "__closure__", None)
    if code is None or not cells:
        return None
    for name, cell in zip(code.co_freevars, cells, strict=False):
        if name == "self":
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                return None
            return value if isinstance(value, QObject) else None
    return None


class DatabaseLane(Protocol):
    """What runs work on the database lane: a :class:`TaskManager`, or a stand-in that finds
    one when the work starts (the equipment list's tools)."""

    def run_db(
        self,
        fn: Callable[..., Any],
        *,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_progress: ProgressCallback | None = None,
        name: str = "",
        owner: QObject | None = None,
    ) -> TaskHandle: ...


class TaskManager(QObject):
    """The two lanes. One per application; pages receive it (never a global)."""

    idle_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, *, pool_threads: int = 4):
        super().__init__(parent)
        self._db = QThreadPool(self)
        self._db.setMaxThreadCount(1)
        self._db.setExpiryTimeout(-1)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(pool_threads)
        self._running: set[TaskHandle] = set()

    # -- public ------------------------------------------------------------------------------
    def run_db(
        self,
        fn: Callable[..., Any],
        *,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_progress: ProgressCallback | None = None,
        name: str = "",
        owner: QObject | None = None,
    ) -> TaskHandle:
        """Run ``fn`` on the serial database lane. ``fn`` may take ``token`` and/or ``progress``."""
        return self._start(self._db, fn, on_result, on_error, on_progress, name, None, owner)

    def run(
        self,
        fn: Callable[..., Any],
        *,
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_progress: ProgressCallback | None = None,
        on_finished: Callable[[], None] | None = None,
        name: str = "",
        owner: QObject | None = None,
    ) -> TaskHandle:
        """Run ``fn`` on the pool (network, PDF, long jobs that do not hold the database).
        ``on_finished`` runs last, whatever happened (also when cancelled); it is connected before
        the task starts, so a task that ends at once cannot miss it."""
        return self._start(self._pool, fn, on_result, on_error, on_progress, name, on_finished, owner)

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until both lanes are empty (tests and shutdown only)."""
        ok = self._db.waitForDone(msecs) and self._pool.waitForDone(msecs)
        return ok

    def shutdown(self) -> None:
        for handle in list(self._running):
            handle.cancel()
        self._db.clear()
        self._pool.clear()
        self.wait(10_000)

    # -- internals ---------------------------------------------------------------------------
    def _start(
        self,
        lane: QThreadPool,
        fn: Callable[..., Any],
        on_result: ResultCallback | None,
        on_error: ErrorCallback | None,
        on_progress: ProgressCallback | None,
        name: str,
        on_finished: Callable[[], None] | None = None,
        owner: QObject | None = None,
    ) -> TaskHandle:
        signals = TaskSignals()  # created on the GUI thread: its slots run there
        handle = TaskHandle(name or getattr(fn, "__name__", "task"), signals, CancelToken())
        token = handle.token
        if owner is None:
            owner = next(
                (o for o in map(_owner_of, (on_result, on_error, on_progress, on_finished)) if o is not None),
                None,
            )

        def gone() -> bool:  # the widget the callbacks belong to was deleted meanwhile
            return owner is not None and not shiboken6.isValid(owner)

        def deliver_result(box: _Box) -> None:
            if on_result is not None and not token.cancelled and not gone():
                on_result(box.value)

        def deliver_error(exc: BaseException) -> None:
            if token.cancelled:
                return
            if gone():
                log.warning(
                    "background task %s failed after its window closed: %s", handle.name, exc, exc_info=exc
                )
                return
            if on_error is not None:
                on_error(exc)
            else:
                log.error("background task %s failed: %s", handle.name, exc, exc_info=exc)

        def deliver_progress(done: int, total: int, message: str) -> None:
            if on_progress is not None and not token.cancelled and not gone():
                on_progress(done, total, message)

        signals.result.connect(deliver_result)
        signals.error.connect(deliver_error)
        signals.progress.connect(deliver_progress)
        signals.finished.connect(lambda: self._finished(handle))
        if on_finished is not None:
            signals.finished.connect(lambda: None if gone() else on_finished())
        was_idle = not self._running
        self._running.add(handle)
        if was_idle:
            self.idle_changed.emit(False)
        lane.start(_Runnable(fn, handle, _wants(fn)))
        return handle

    @Slot()
    def _finished(self, handle: TaskHandle) -> None:
        handle.done = True
        self._running.discard(handle)
        if not self._running:
            self.idle_changed.emit(True)
