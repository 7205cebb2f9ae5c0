"""app.tasks.TaskRunner: blocking work off the GUI thread, in order, results on the GUI thread."""

from __future__ import annotations

import threading
import time

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QApplication  # noqa: E402

from app.tasks import TaskRunner, error_message  # noqa: E402
from rag import RagError  # noqa: E402

pytestmark = pytest.mark.gui


@pytest.fixture
def runner(qtbot):
    errors: list[str] = []
    r = TaskRunner(on_error=errors.append)
    r.errors = errors
    yield r
    r.shutdown(5)


def on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread() and QApplication.instance() is not None


def test_ops_run_off_the_gui_thread_in_order_and_results_arrive_on_it(qtbot, runner):
    ran, delivered = [], []

    def op(i):
        def run():
            time.sleep(0.02 if i == 0 else 0)  # the first is slowest: order still holds
            ran.append((i, threading.current_thread() is not threading.main_thread()))
            return i * 10
        return run

    for i in range(5):
        runner.run(op(i), success=lambda result: delivered.append((result, on_gui_thread())))
    assert runner.busy
    with qtbot.waitSignal(runner.idle, timeout=5_000):
        pass
    assert ran == [(i, True) for i in range(5)]
    assert delivered == [(i * 10, True) for i in range(5)]
    assert not runner.busy and not runner.running and runner.errors == []


def test_a_later_op_sees_what_an_earlier_one_did(qtbot, runner):
    state = {"n": 0}
    seen = []
    runner.run(lambda: state.update(n=1))
    runner.run(lambda: state["n"], success=seen.append)
    qtbot.waitUntil(lambda: not runner.busy, timeout=5_000)
    assert seen == [1]


def test_failures_go_to_the_failure_callback_or_to_on_error(qtbot, runner):
    failed = []

    def boom():
        raise RagError("knowledge base 'x' does not exist")

    runner.run(boom, success=lambda _: failed.append("success?"), failure=lambda err: failed.append(err))
    runner.run(boom)
    runner.run(lambda: open("/nonexistent/folder/file.txt"))
    runner.run(lambda: 1 / 0)
    runner.run(lambda: "still running")
    qtbot.waitUntil(lambda: not runner.busy, timeout=5_000)
    assert len(failed) == 1 and isinstance(failed[0], RagError)
    assert runner.errors[0] == "knowledge base 'x' does not exist"
    assert runner.errors[1] == "/nonexistent/folder/file.txt: No such file or directory"
    assert runner.errors[2].startswith("unexpected error (ZeroDivisionError: ") and "please report it" in runner.errors[2]
    assert len(runner.errors) == 3  # a failure does not stop the ops after it


def test_progress_reaches_the_gui_thread_before_success(qtbot, runner):
    events = []

    def count(report):
        for i in range(3):
            report(i, 3)
        return "done"

    runner.run(count, progress=lambda i, n: events.append(("progress", i, n, on_gui_thread())),
               success=lambda result: events.append(("success", result, on_gui_thread())))
    qtbot.waitUntil(lambda: not runner.busy, timeout=5_000)
    assert events == [("progress", 0, 3, True), ("progress", 1, 3, True), ("progress", 2, 3, True),
                      ("success", "done", True)]


def test_shutdown_finishes_the_running_op_and_drops_the_rest(qtbot, runner):
    started, delivered = threading.Event(), []

    def slow():
        started.set()
        time.sleep(0.2)
        return "slow"

    running = runner.run(slow, success=delivered.append)
    later = runner.run(lambda: delivered.append("later ran"), success=delivered.append)
    assert started.wait(5)
    assert runner.running
    assert runner.shutdown(5)
    assert running.done.is_set() and running.result == "slow" and later.dropped
    qtbot.wait(50)
    assert delivered == [] and not runner.busy  # nothing is delivered after shutdown
    after = runner.run(lambda: delivered.append("after"))
    assert after.dropped and delivered == []


def test_error_message_is_a_sentence():
    assert error_message(RagError("no such knowledge base")) == "no such knowledge base"
    assert error_message(PermissionError(13, "Permission denied", "/x")) == "/x: Permission denied"
    assert error_message(ValueError("bad")) == "unexpected error (ValueError: bad); please report it"
