"""The one way the app runs blocking work off the GUI thread.

    window.tasks.run(lambda: engine.remove(path, kb), success=lambda rec: ..., failure=...)

`op` runs on a worker thread; `success(result)` or `failure(error)` then runs on the GUI
thread, where widgets may be touched. Every op of one runner runs on the same single worker,
in the order they were given, so work on the shared engine (SQLite, the writer lock, the
vector store, the settings) never overlaps with itself and a later op sees what an earlier
one did. With `progress=`, `op` is called with a `report(*args)` function whose calls reach
`progress(*args)` on the GUI thread.

Without `failure=`, a RagError (a user-facing sentence) or an OSError goes to the runner's
`on_error`; anything else is logged and reported as an unexpected error. `idle` is emitted
when the last op given has been delivered. The streaming ingest and answer jobs, which emit
events for as long as they run, are QThreads of their own (app.workers); the window starts
one only after the ops queued before it have run (MainWindow.start_worker).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from rag import RagError

log = logging.getLogger("rag_desk.app")


@dataclass(eq=False)
class Task:
    op: Callable
    success: Callable | None = None
    failure: Callable | None = None
    progress: Callable | None = None
    result: Any = None
    error: BaseException | None = None
    dropped: bool = False  # set when the runner shuts down before the op ran
    done: threading.Event = field(default_factory=threading.Event)


def error_message(error: BaseException) -> str:
    """A user-facing sentence for an error raised by an op."""
    if isinstance(error, RagError):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        return f"{error.filename}: {error.strerror}" if error.filename else error.strerror
    return f"unexpected error ({type(error).__name__}: {error}); please report it"


class TaskRunner(QObject):
    idle = Signal()
    _finished = Signal(object)  # a Task, emitted on the worker thread, delivered on the GUI thread
    _progressed = Signal(object, tuple)

    def __init__(self, on_error: Callable[[str], None] | None = None, parent=None, name: str = "rag-desk-tasks"):
        super().__init__(parent)
        self.on_error = on_error or (lambda message: log.warning(message))
        self._queue: queue.Queue[Task | None] = queue.Queue()
        self._undelivered: list[Task] = []
        self._running: Task | None = None
        self._closed = False
        self._finished.connect(self._deliver)
        self._progressed.connect(self._report)
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    # ---- the GUI thread's side ----------------------------------------------------------------

    def run(self, op: Callable, *, success: Callable | None = None, failure: Callable | None = None,
            progress: Callable | None = None) -> Task:
        """Queue `op`; see the module's docstring. Returns the task (its `done` event is set
        once the op has run, before success or failure is called)."""
        task = Task(op, success, failure, progress)
        if self._closed:
            task.dropped = True
            task.done.set()
            return task
        self._undelivered.append(task)
        self._queue.put(task)
        return task

    @property
    def busy(self) -> bool:
        """Some op is queued, running, or waiting for its result to be delivered."""
        return bool(self._undelivered)

    @property
    def running(self) -> bool:
        """The worker is inside an op right now."""
        return self._running is not None

    def shutdown(self, timeout_s: float) -> bool:
        """Drop the ops not started yet, let the running one finish (at most `timeout_s`) and
        stop the worker. Nothing is delivered afterwards. Returns whether the worker stopped."""
        self._closed = True
        for task in self._undelivered:
            task.dropped = True
        self._undelivered.clear()
        self._queue.put(None)
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @Slot(object)
    def _deliver(self, task: Task) -> None:
        if self._closed or task not in self._undelivered:
            return
        self._undelivered.remove(task)
        try:
            if task.error is None:
                if task.success is not None:
                    task.success(task.result)
            elif task.failure is not None:
                task.failure(task.error)
            else:
                self.on_error(error_message(task.error))
        finally:
            if not self._undelivered:
                self.idle.emit()

    @Slot(object, tuple)
    def _report(self, task: Task, args: tuple) -> None:
        if not self._closed and task.progress is not None and task in self._undelivered:
            task.progress(*args)

    # ---- the worker thread ------------------------------------------------------------------------

    def _work(self) -> None:
        while (task := self._queue.get()) is not None:
            if task.dropped:
                task.done.set()
                continue
            self._running = task
            try:
                if task.progress is not None:
                    task.result = task.op(lambda *args, t=task: self._emit(self._progressed, t, args))
                else:
                    task.result = task.op()
            except Exception as exc:  # delivered to failure() or on_error on the GUI thread
                if not isinstance(exc, (RagError, OSError)):
                    log.exception("background task failed")
                task.error = exc
            finally:
                self._running = None
                task.done.set()
            if not self._emit(self._finished, task):
                return

    @staticmethod
    def _emit(signal, *args) -> bool:
        try:
            signal.emit(*args)
            return True
        except RuntimeError:  # the runner's Qt object is gone (the window was destroyed)
            return False
