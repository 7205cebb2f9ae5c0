"""The main window: documents on the left, the chat in the middle, sources on the right.

Engine work runs on worker threads (app.workers); their events arrive here as queued
signals. Streamed tokens are buffered and written into the transcript every FLUSH_MS.
Errors go to one place: the status bar (and, for questions, a line in the transcript).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLabel, QMainWindow, QSplitter

from rag.errors import RagError
from rag.events import (
    Abstained,
    AnswerDone,
    FileFailed,
    FileIndexed,
    FileProgress,
    FileSkipped,
    FileStarted,
    IngestDone,
    SourcesFound,
    Token,
)

from .widgets import DROP_HINT, ChatPane, DocumentsPane, SourcesPane
from .workers import AnswerWorker, EngineWorker, IngestWorker

DOCUMENT_FILTER = "Documents (*.pdf *.txt *.md *.markdown);;All files (*)"
MODELS_IDLE = "Models load on first use"


class MainWindow(QMainWindow):
    FLUSH_MS = 30
    SHUTDOWN_WAIT_S = 5.0
    HISTORY_TURNS = 4

    def __init__(self, engine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.kb = engine.settings.default_kb
        self.history: list[tuple[str, str]] = []
        self.last_answer: AnswerDone | None = None
        self.token_flushes = 0  # how many timer ticks wrote tokens (tests read it)
        self._workers: set[EngineWorker] = set()
        self._ingest: IngestWorker | None = None
        self._answer: AnswerWorker | None = None
        self._question = ""
        self._discard_answer = False
        self._queued: list[tuple[list[str], str]] = []
        self._failures: list[str] = []
        self._position = (0, 1)  # (index, total) of the file being ingested
        self._pending: list[str] = []

        self.docs = DocumentsPane()
        self.chat = ChatPane()
        self.sources = SourcesPane()
        splitter = QSplitter()
        for pane in (self.docs, self.chat, self.sources):
            splitter.addWidget(pane)
            splitter.setCollapsible(splitter.indexOf(pane), False)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 640, 300])
        splitter.setContentsMargins(8, 8, 8, 0)
        self.setCentralWidget(splitter)
        self.model_state = QLabel(MODELS_IDLE)
        self.statusBar().addPermanentWidget(self.model_state)

        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(self.FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush_tokens)
        self.docs.kb_selected.connect(self.select_kb)
        self.docs.new_kb_clicked.connect(self.new_kb)
        self.docs.add_clicked.connect(self.add_documents)
        self.docs.cancel_clicked.connect(self.cancel_ingest)
        self.chat.send_clicked.connect(self.send)
        self.chat.stop_clicked.connect(self.stop_answer)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.stop_answer)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.clear_chat)

        self.setAcceptDrops(True)
        self.setWindowTitle("RAG Desk")
        self.resize(1240, 780)
        self.refresh()
        self.chat.input.setFocus()

    # ---- shared helpers ------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        self.statusBar().showMessage(message)

    def refresh(self) -> None:
        """Re-read the knowledge bases and the current one's documents from the catalog."""
        try:
            files = self.engine.list_files(self.kb)
            names = sorted({kb.name for kb in self.engine.list_kbs()} | {self.kb})
        except RagError as err:
            self.show_error(str(err))
            return
        self.docs.set_kbs(names, self.kb)
        self.docs.show_files(files)

    def _start(self, worker: EngineWorker, on_event, on_failed, on_finished) -> EngineWorker:
        worker.event.connect(on_event)
        worker.failed.connect(on_failed)
        worker.finished.connect(on_finished)
        worker.finished.connect(self._forget_worker)
        self._workers.add(worker)
        worker.start()
        return worker

    @Slot()
    def _forget_worker(self) -> None:
        self._workers.discard(self.sender())

    def busy(self) -> bool:
        return any(w.isRunning() for w in self._workers)

    # ---- knowledge bases -----------------------------------------------------------------

    @Slot(str)
    def select_kb(self, name: str) -> None:
        if name == self.kb:
            return
        self.kb = name
        self.history.clear()
        self.sources.set_sources(())
        if not self.chat.transcript.document().isEmpty():
            self.chat.transcript.add_note(f"Now answering from knowledge base '{name}'.")
        self.refresh()

    @Slot()
    def new_kb(self) -> None:
        name, ok = QInputDialog.getText(self, "New knowledge base", "Name:")
        if not ok or not name.strip():
            return
        try:
            kb = self.engine.create_kb(name)
        except RagError as err:
            self.show_error(str(err))
            return
        self.refresh()
        self.select_kb(kb.name)

    # ---- ingestion -----------------------------------------------------------------------

    @Slot()
    def add_documents(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add documents", "", DOCUMENT_FILTER)
        self.ingest(paths)

    def ingest(self, paths, kb: str | None = None) -> None:
        """Index files and folders into `kb` (the current one by default), after any running batch."""
        paths, kb = [str(p) for p in paths], kb or self.kb
        if not paths:
            return
        if self._ingest is not None:
            self._queued.append((paths, kb))
            return
        self._failures = []
        self.statusBar().clearMessage()
        self.docs.set_busy(True)
        self.docs.status.setText("Starting… (the embedding model loads on first use)")
        self._ingest = IngestWorker(self.engine, paths, kb)
        self._start(self._ingest, self._on_ingest_event, self._on_ingest_failed, self._on_ingest_finished)

    @Slot()
    def cancel_ingest(self) -> None:
        self._queued.clear()
        if self._ingest is not None:
            self._ingest.stop()
            self.docs.cancel.setEnabled(False)
            self.docs.status.setText("Cancelling…")

    def _set_progress(self, fraction_of_file: float) -> None:
        index, total = self._position
        self.docs.progress.setValue(int(1000 * (index - 1 + fraction_of_file) / max(total, 1)))

    @Slot(object)
    def _on_ingest_event(self, ev) -> None:
        match ev:
            case FileStarted():
                self._position = (ev.index, ev.total)
                self._set_progress(0)
                self.docs.status.setText(f"{ev.name} ({ev.index}/{ev.total})")
            case FileProgress():
                self._set_progress(ev.done / ev.total if ev.total else 0)
                self.docs.status.setText(f"{ev.name} ({self._position[0]}/{self._position[1]}): "
                                         f"{ev.describe()}")
                self.refresh()
            case FileIndexed() | FileSkipped():
                self._set_progress(1)
                if isinstance(ev, FileIndexed) and ev.ocr_failed:
                    pages = ", ".join(map(str, ev.ocr_failed))
                    self._failures.append(f"{ev.name}: indexed, but OCR could not read page(s) {pages}")
                    self.show_error("; ".join(self._failures))
                self.refresh()
            case FileFailed():
                self._failures.append(f"{ev.name}: {ev.reason}")
                self.show_error("; ".join(self._failures))
                self.refresh()
            case IngestDone():
                self.docs.progress.setValue(1000)
                parts = [f"{ev.indexed} indexed ({ev.chunks} chunks)"]
                if ev.skipped:
                    parts.append(f"{ev.skipped} unchanged")
                if ev.failed:
                    parts.append(f"{ev.failed} failed")
                verb = "Cancelled" if ev.cancelled else "Done"
                self.docs.status.setText(f"{verb}: {', '.join(parts)} in {ev.seconds:.1f} s")

    @Slot(str)
    def _on_ingest_failed(self, message: str) -> None:
        self.docs.status.setText("Indexing stopped.")
        self.show_error(message)

    @Slot()
    def _on_ingest_finished(self) -> None:
        self._ingest = None
        self.docs.set_busy(False)
        self.refresh()
        if self._queued:
            self.ingest(*self._queued.pop(0))

    # ---- drag and drop -------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.ingest(paths)

    # ---- questions and answers -----------------------------------------------------------

    @Slot()
    def send(self) -> None:
        question = self.chat.input.toPlainText().strip()
        if not question or self._answer is not None:
            return
        self.chat.input.clear()
        self.statusBar().clearMessage()
        self.chat.transcript.add_question(question)
        if self.docs.files.count() == 0:
            self.chat.transcript.add_note(f"Knowledge base '{self.kb}' has no documents yet. {DROP_HINT}")
            return
        self.sources.set_sources(())
        self._question = question
        self._pending.clear()
        self.chat.set_answering(True)
        self.model_state.setText("answering…")
        history = self.history[-self.HISTORY_TURNS:]
        self._answer = AnswerWorker(self.engine, question, self.kb, history)
        self._start(self._answer, self._on_answer_event, self._on_answer_failed, self._on_answer_finished)

    @Slot()
    def stop_answer(self) -> None:
        if self._answer is not None:
            self._answer.stop()
            self.model_state.setText("stopping…")

    @Slot()
    def clear_chat(self) -> None:
        if self._answer is not None:
            self._discard_answer = True
            self.stop_answer()
        self._pending.clear()
        self.history.clear()
        self.chat.transcript.clear()
        self.sources.set_sources(())
        self.chat.input.setFocus()

    @Slot(object)
    def _on_answer_event(self, ev) -> None:
        if self._discard_answer:
            return
        match ev:
            case SourcesFound():
                self.sources.set_sources(ev.sources)
                self.chat.transcript.begin_answer()
                self._flush_timer.start()
            case Token():
                self._pending.append(ev.text)
            case AnswerDone():
                self._flush_tokens()
                self.last_answer = ev
                self.sources.set_sources(ev.sources)
                s = ev.stats
                self.model_state.setText(f"{s.tokens} tokens, {s.tokens_per_s:.1f} tok/s · {s.model}")
                if s.cancelled:
                    self.chat.transcript.add_note("Stopped.")
                elif ev.answer:
                    self.history.append((self._question, ev.answer))
                else:
                    self.chat.transcript.add_note("The model gave no answer; try rephrasing the question.")
            case Abstained():
                self.sources.set_sources(ev.sources)
                self.chat.transcript.add_note(ev.reason)

    @Slot(str)
    def _on_answer_failed(self, message: str) -> None:
        if self._discard_answer:
            return
        self._flush_tokens()
        self.chat.transcript.add_note(message, error=True)
        self.show_error(message)

    @Slot()
    def _on_answer_finished(self) -> None:
        self._flush_timer.stop()
        if not self._discard_answer:
            self._flush_tokens()
        self._pending.clear()
        self._answer = None
        self._discard_answer = False
        self.chat.set_answering(False)
        if self.model_state.text() in ("answering…", "stopping…"):
            self.model_state.setText(MODELS_IDLE if self.last_answer is None else "ready")

    @Slot()
    def _flush_tokens(self) -> None:
        if self._pending:
            self.chat.transcript.extend_answer("".join(self._pending))
            self._pending.clear()
            self.token_flushes += 1

    # ---- shutdown ------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        """Cancel running work and wait for it, a few seconds at most, so the app exits cleanly."""
        self._queued.clear()
        self._flush_timer.stop()
        for worker in list(self._workers):
            worker.stop()
        deadline = time.monotonic() + self.SHUTDOWN_WAIT_S
        for worker in list(self._workers):
            worker.wait(max(0, int((deadline - time.monotonic()) * 1000)))
        super().closeEvent(event)
