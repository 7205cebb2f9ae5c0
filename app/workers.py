"""Background threads that drive the engine's generators and re-emit their events.

Each worker is a QThread whose `run()` iterates one engine generator off the GUI thread
and emits every event object through `event`. The QThread object itself lives in the
GUI thread, so slots connected to it run there (queued): no widget is touched here.
`stop()` sets the cancel event the engine checks between pages, chunks and tokens.
"""

from __future__ import annotations

import threading
from typing import Iterator, Sequence

from PySide6.QtCore import QThread, Signal

from rag.errors import RagError


class EngineWorker(QThread):
    event = Signal(object)  # one engine event dataclass
    failed = Signal(str)  # a user-facing sentence

    def __init__(self, engine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.cancel = threading.Event()

    def events(self) -> Iterator[object]:
        raise NotImplementedError

    def stop(self) -> None:
        self.cancel.set()

    def run(self) -> None:
        try:
            for event in self.events():
                self.event.emit(event)
        except RagError as err:
            self.failed.emit(str(err))
        except Exception as exc:  # keep the thread alive long enough to report it
            self.failed.emit(f"unexpected error ({type(exc).__name__}: {exc}); please report it")


class IngestWorker(EngineWorker):
    def __init__(self, engine, paths: Sequence[str], kb: str, parent=None):
        super().__init__(engine, parent)
        self.paths = list(paths)
        self.kb = kb

    def events(self):
        return self.engine.ingest(self.paths, self.kb, cancel=self.cancel)


class AnswerWorker(EngineWorker):
    def __init__(self, engine, question: str, kb: str, history: Sequence[tuple[str, str]] = (), parent=None):
        super().__init__(engine, parent)
        self.question = question
        self.kb = kb
        self.history = tuple(history)

    def events(self):
        return self.engine.ask(self.question, self.kb, self.history, cancel=self.cancel)
