"""Background threads that drive the engine's generators and re-emit their events.

Each worker is a QThread whose `run()` iterates one engine generator off the GUI thread
and emits every event object through `event`. (Work that returns once, rather than
streaming events, goes through app.tasks instead.) The QThread object itself lives in the
GUI thread, so slots connected to it run there (queued): no widget is touched here.
`stop()` sets the cancel event the engine checks between pages, chunks and tokens.
"""

from __future__ import annotations

import threading
from typing import Iterator, Sequence

from PySide6.QtCore import QThread, Signal

from rag import RagError


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
    """Any engine job that yields ingest events: ingest (default), sync, reindex, reindex_kb."""

    def __init__(self, engine, paths: Sequence[str], kb: str, job: str = "ingest", embedder: str | None = None,
                 parent=None):
        super().__init__(engine, parent)
        self.paths = list(paths)
        self.kb = kb
        self.job = job
        self.embedder = embedder  # "rebuild" with another embedder (the knowledge base switches to it)

    def events(self):
        if self.job == "ingest":
            return self.engine.ingest(self.paths, self.kb, cancel=self.cancel)
        if self.job == "reindex":
            return self.engine.reindex(self.paths, self.kb, cancel=self.cancel)
        if self.job == "sync":
            return self.engine.sync(self.kb, cancel=self.cancel)
        if self.job == "rebuild":
            return self.engine.reindex_kb(self.kb, cancel=self.cancel, embedder=self.embedder)
        if self.job == "finish":  # the vectors of files an earlier job left searchable by their text only
            return self.engine.finish(self.kb, cancel=self.cancel)
        raise ValueError(self.job)


class AnswerWorker(EngineWorker):
    """A question asked into chat `chat` (its id, or "new"), or, with `regenerate`, the last
    question of chat `chat` answered again. The engine saves the question and the answer."""

    def __init__(self, engine, kb: str, question: str = "", chat: int | str = "new", files: Sequence[str] = (),
                 regenerate: bool = False, parent=None):
        super().__init__(engine, parent)
        self.kb = kb
        self.question = question
        self.chat = chat
        self.files = tuple(files)
        self.regenerate = regenerate

    def events(self):
        if self.regenerate:
            return self.engine.regenerate(self.chat, self.kb, files=self.files, cancel=self.cancel)
        return self.engine.ask(self.question, self.kb, files=self.files, cancel=self.cancel, chat=self.chat)
