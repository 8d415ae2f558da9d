"""The background lanes: results and errors come back on the GUI thread; cancelled work is dropped."""

from __future__ import annotations

import threading
import time

import pytest

from accountdesk.errors import ValidationError


def test_result_arrives_on_the_gui_thread(qtbot, tasks):
    gui = threading.get_ident()
    seen = {}

    def work():
        seen["worker"] = threading.get_ident()
        return 42

    tasks.run_db(work, on_result=lambda v: seen.update(result=v, thread=threading.get_ident()))
    qtbot.waitUntil(lambda: "result" in seen)
    assert seen["result"] == 42
    assert seen["thread"] == gui
    assert seen["worker"] != gui


def test_none_results_are_delivered(qtbot, tasks):
    got = []
    for _ in range(50):
        tasks.run_db(lambda: None, on_result=got.append)
    qtbot.waitUntil(lambda: len(got) == 50)
    assert got == [None] * 50


def test_errors_are_delivered_not_raised(qtbot, tasks):
    errors = []

    def work():
        raise ValidationError("name", "Enter a name.")

    tasks.run(work, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ValidationError) and errors[0].field == "name"


def test_the_database_lane_runs_in_order(qtbot, tasks):
    order = []
    for i in range(10):
        tasks.run_db(lambda i=i: (time.sleep(0.002), order.append(i)))
    qtbot.waitUntil(lambda: len(order) == 10)
    assert order == list(range(10))


def test_cancelled_task_result_is_dropped_and_the_work_can_stop(qtbot, tasks):
    started = threading.Event()
    results = []

    def work(token):
        started.set()
        for _ in range(200):
            if token.cancelled:
                return "stopped"
            time.sleep(0.005)
        return "finished"

    handle = tasks.run(work, on_result=results.append)
    assert started.wait(5)
    handle.cancel()
    qtbot.waitUntil(lambda: handle.done)
    assert results == []


def test_progress_is_reported(qtbot, tasks):
    steps = []

    def work(progress):
        for i in range(3):
            progress(i + 1, 3, f"step {i + 1}")
        return "ok"

    done = []
    tasks.run(work, on_progress=lambda d, t, m: steps.append((d, t, m)), on_result=done.append)
    qtbot.waitUntil(lambda: done == ["ok"])
    assert steps == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]


@pytest.mark.parametrize("lane", ["run", "run_db"])
def test_busy_flag_follows_the_work(qtbot, tasks, lane):
    gate = threading.Event()
    getattr(tasks, lane)(lambda: gate.wait(5))
    assert tasks.busy
    gate.set()
    qtbot.waitUntil(lambda: not tasks.busy)


def test_on_finished_is_not_missed_by_a_task_that_ends_at_once(qtbot, tasks):
    seen: list[int] = []
    handle = tasks.run(lambda: None, on_finished=lambda: seen.append(1))
    time.sleep(0.3)  # the GUI thread busy (a loaded machine): the task ends before anyone connects
    late: list[int] = []
    handle.signals.finished.connect(lambda: late.append(1))
    qtbot.waitUntil(lambda: seen == [1])
    qtbot.wait(50)
    # connecting after the start missed it (the window's sync stayed "syncing" for good that way)
    assert late == []


def test_results_for_a_deleted_widget_are_dropped(qtbot, tasks):
    """A page rebuilt (language switch) or closed while its load runs: the load's result, error
    and progress must not reach the deleted widget (they raised RuntimeError in the event loop)."""
    from PySide6.QtWidgets import QLabel, QWidget

    gate = threading.Event()
    landed = []

    class Page(QWidget):
        def __init__(self):
            super().__init__()
            self.label = QLabel(self)

        def load(self):
            tasks.run_db(lambda: (gate.wait(5), "rows")[1], on_result=lambda r: self.show_rows(r))
            tasks.run(lambda: (gate.wait(5), 1 / 0), on_error=self.failed)

        def show_rows(self, rows):
            self.label.setText(rows)  # RuntimeError once the label is deleted
            landed.append(rows)

        def failed(self, exc):
            self.label.setText(str(exc))
            landed.append(exc)

    page = Page()
    page.load()
    page.deleteLater()
    qtbot.waitUntil(lambda: not __import__("shiboken6").isValid(page))
    gate.set()
    assert tasks.wait(5000)
    qtbot.wait(50)  # the queued results are delivered (and dropped) here
    assert landed == []

    # the same page alive gets both
    gate.clear()
    alive = Page()
    alive.load()
    gate.set()
    qtbot.waitUntil(lambda: len(landed) == 2)
    assert "rows" in landed and any(isinstance(x, ZeroDivisionError) for x in landed)
    alive.deleteLater()


def test_switching_language_while_today_loads(qtbot, window, ctx):
    """The language switch rebuilds every page while Today's load waits on the database lane:
    the old page's result is dropped and the new Today fills in the new language."""
    from .conftest import make_clients

    make_clients(ctx)
    window.show_page("today")
    window.tasks.wait(5000)
    gate = threading.Event()
    window.tasks.run_db(lambda: gate.wait(5))  # the lane is busy: Today's next load queues
    old = window.pages["today"]
    old.refresh()
    window.apply_language("zh_CN")
    try:
        gate.set()
        assert window.tasks.wait(5000)
        new = window.pages["today"]
        assert new is not old
        qtbot.waitUntil(lambda: new.items is not None and new.stack.currentWidget() is not new.loading_state)
        qtbot.wait(50)
    finally:
        window.apply_language("en")
        window.tasks.wait(5000)
