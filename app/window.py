"""The main window: knowledge base, documents and chats on the left, the chat in the middle,
sources and the cited page on the right.

Engine work runs on worker threads (app.workers); their events arrive here as queued
signals. Streamed tokens are buffered and written into the transcript every FLUSH_MS.
Errors go to one place: the status bar (and, for questions, a line in the transcript).
Window geometry, splitters and the last knowledge base and chat are kept in
`<data dir>/app-state.ini`; conversations live in the engine's chat history (SQLite).
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QSettings, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
)

from rag.errors import RagError
from rag.events import (
    Abstained,
    AnswerDone,
    FileFailed,
    FileIndexed,
    FileProgress,
    FileRemoved,
    FileSkipped,
    FileStarted,
    IngestDone,
    SourcesFound,
    Token,
)

from .dialogs import REINDEX_FIELDS, DataDialog, SettingsDialog, file_details
from .widgets import ChatPane, LeftPane, SourcesPane, drop_hint
from .workers import AnswerWorker, EngineWorker, IngestWorker

log = logging.getLogger("rag_desk.app")

MAX_WATCHED_DIRS = 2000  # folders handed to QFileSystemWatcher (inotify watches are limited)


class MainWindow(QMainWindow):
    FLUSH_MS = 30
    SHUTDOWN_WAIT_S = 5.0
    HISTORY_TURNS = 4
    SYNC_DELAY_MS = 1500  # wait for a copy into a watched folder to settle
    RESYNC_MS = 120_000  # also re-check watched folders now and then (file edits do not touch the folder)

    def __init__(self, engine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.state = QSettings(str(engine.home / "app-state.ini"), QSettings.Format.IniFormat)
        self.kb = self.state.value("kb", engine.settings.default_kb)
        self.chat_id: int | None = None
        self.last_answer: AnswerDone | None = None
        self.token_flushes = 0  # how many timer ticks wrote tokens (tests read it)
        self._workers: set[EngineWorker] = set()
        self._ingest: IngestWorker | None = None
        self._answer: AnswerWorker | None = None
        self._question = ""
        self._discard_answer = False
        self._queued: list[tuple[list[str], str, str]] = []
        self._failures: list[str] = []
        self._position = (0, 1)  # (index, total) of the file being ingested
        self._pending: list[str] = []
        self._answers: dict[int, tuple] = {}  # answer key -> its sources (for [n] links)
        self._answer_key = 0
        self._last_question_message: int | None = None

        self.left = LeftPane()
        self.docs = self.left.docs
        self.chats = self.left.chats
        self.chat = ChatPane()
        self.sources = SourcesPane()
        self.splitter = QSplitter()
        for pane in (self.left, self.chat, self.sources):
            self.splitter.addWidget(pane)
            self.splitter.setCollapsible(self.splitter.indexOf(pane), False)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([290, 560, 420])
        self.splitter.setContentsMargins(8, 8, 8, 0)
        self.setCentralWidget(self.splitter)
        self.model_state = QLabel(self.tr("Models load on first use"))
        self.device_state = QLabel()
        self.statusBar().addPermanentWidget(self.model_state)
        self.statusBar().addPermanentWidget(self.device_state)

        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(self.FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush_tokens)
        self._sync_timer = QTimer(self, singleShot=True, interval=self.SYNC_DELAY_MS)
        self._sync_timer.timeout.connect(self.sync_watched)
        self._resync_timer = QTimer(self, interval=self.RESYNC_MS)
        self._resync_timer.timeout.connect(self.sync_watched)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _: self._sync_timer.start())

        d = self.docs
        d.kb_selected.connect(self.select_kb)
        d.new_kb_clicked.connect(self.new_kb)
        d.rename_kb_clicked.connect(self.rename_kb)
        d.delete_kb_clicked.connect(self.delete_kb)
        d.add_clicked.connect(self.add_documents)
        d.cancel_clicked.connect(self.cancel_ingest)
        d.remove_requested.connect(self.remove_documents)
        d.reindex_requested.connect(self.reindex_documents)
        d.reveal_requested.connect(self.reveal)
        d.details_requested.connect(self.show_details)
        d.selection_changed.connect(self._selection_changed)
        c = self.chats
        c.chat_selected.connect(self.open_chat)
        c.new_clicked.connect(self.new_chat)
        c.rename_requested.connect(self.rename_chat)
        c.delete_requested.connect(self.delete_chat)
        c.export_requested.connect(self.export_chat)
        self.chat.send_clicked.connect(self.send)
        self.chat.stop_clicked.connect(self.stop_answer)
        self.chat.copy_clicked.connect(self.copy_answer)
        self.chat.regenerate_clicked.connect(self.regenerate)
        self.chat.transcript.citation_clicked.connect(self.open_citation)
        self.sources.source_activated.connect(self.open_source)
        self.sources.viewer.message.connect(self.show_error)
        self._build_menus()

        self.setAcceptDrops(True)
        self.setWindowTitle("RAG Desk")
        self.resize(1280, 800)
        self._restore_state()
        self.refresh()
        self._show_device()
        self.chat.input.setFocus()
        QTimer.singleShot(0, self._start_watching)

    # ---- menus and shortcuts -------------------------------------------------------------

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda *_: slot())
        menu.addAction(action)
        self.addAction(action)  # shortcuts work while the menu bar is hidden too
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu(self.tr("&File"))
        self._action(file, self.tr("Add documents…"), self.add_documents, QKeySequence.StandardKey.Open)
        self._action(file, self.tr("Add a folder…"), self.add_folder)
        self._action(file, self.tr("Follow a folder…"), self.follow_folder,
                     tip=self.tr("Keep the knowledge base in step with a folder: new, changed and deleted files"))
        file.addSeparator()
        self._action(file, self.tr("Export chat to Markdown…"), lambda: self.export_chat(self.chat_id), "Ctrl+E")
        self._action(file, self.tr("Settings…"), self.open_settings, QKeySequence.StandardKey.Preferences)
        self._action(file, self.tr("Models…"), self.open_models, "Ctrl+Shift+M",
                     tip=self.tr("Download, choose and remove LLM and embedding models"))
        file.addSeparator()
        self._action(file, self.tr("Quit"), self.close, QKeySequence.StandardKey.Quit)
        chat = bar.addMenu(self.tr("&Chat"))
        self._action(chat, self.tr("New chat"), self.new_chat, "Ctrl+N")
        self._action(chat, self.tr("Regenerate answer"), self.regenerate, "Ctrl+R")
        self._action(chat, self.tr("Copy answer"), self.copy_answer, "Ctrl+Shift+C")
        self._action(chat, self.tr("Stop answer"), self.stop_answer, Qt.Key.Key_Escape)
        self._action(chat, self.tr("Focus the question box"), lambda: self.chat.input.setFocus(), "Ctrl+L")
        kb = bar.addMenu(self.tr("&Knowledge base"))
        self._action(kb, self.tr("New…"), self.new_kb)
        self._action(kb, self.tr("Rename…"), self.rename_kb)
        self._action(kb, self.tr("Delete…"), self.delete_kb)
        kb.addSeparator()
        self._action(kb, self.tr("Stop following folders…"), self.unfollow_folder)
        self._action(kb, self.tr("Check watched folders now"), self.sync_watched, "F5")
        self._action(kb, self.tr("Rebuild with current settings"), self.rebuild_kb)
        help_ = bar.addMenu(self.tr("&Help"))
        self._action(help_, self.tr("Where is my data…"), self.show_data)
        self._action(help_, self.tr("Keyboard shortcuts"), self.show_shortcuts, QKeySequence.StandardKey.HelpContents)
        self._action(help_, self.tr("About RAG Desk"), self.show_about)

    # ---- shared helpers ------------------------------------------------------------------

    def show_error(self, message: str) -> None:
        log.warning(message)
        self.statusBar().showMessage(message)

    def refresh(self) -> None:
        """Re-read knowledge bases, the current one's documents, watched folders and chats."""
        try:
            files = self.engine.list_files(self.kb)
            names = sorted({kb.name for kb in self.engine.list_kbs()} | {self.kb})
            watched = self.engine.watched_folders(self.kb)
            chats = [c for c in self.engine.chats.chats() if c.kb == self.kb]
        except RagError as err:
            self.show_error(str(err))
            return
        self.docs.set_kbs(names, self.kb)
        self.docs.show_files(files)
        self.docs.show_watched(watched)
        self.chats.show_chats(chats, self.chat_id)
        self._selection_changed()

    def _show_device(self) -> None:
        try:
            from models.hardware import llama_hardware, resolve_threads

            hw = llama_hardware()
            threads = resolve_threads(self.engine.settings.threads)
            self.device_state.setText(self.tr("{device} · {threads} threads").format(device=hw.device, threads=threads))
        except Exception as exc:  # hardware probing must never stop the window
            log.warning("hardware probe failed: %s", exc)

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

    @property
    def history(self) -> list[tuple[str, str]]:
        """Completed (question, answer) turns of the current chat."""
        return self.engine.chats.turns(self.chat_id) if self.chat_id is not None else []

    # ---- window state --------------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.state.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        sizes = self.state.value("splitter")
        if sizes:
            self.splitter.restoreState(sizes)
        inner = self.state.value("sources_splitter")
        if inner:
            self.sources.split.restoreState(inner)
        chat_id = self.state.value("chat")
        if chat_id not in (None, ""):
            try:
                chat = self.engine.chats.get(int(chat_id))
                if chat.kb == self.kb:
                    self.open_chat(chat.id)
            except (RagError, ValueError):
                pass

    def save_state(self) -> None:
        self.state.setValue("geometry", self.saveGeometry())
        self.state.setValue("splitter", self.splitter.saveState())
        self.state.setValue("sources_splitter", self.sources.split.saveState())
        self.state.setValue("kb", self.kb)
        self.state.setValue("chat", self.chat_id if self.chat_id is not None else "")
        self.state.sync()

    # ---- knowledge bases -----------------------------------------------------------------

    @Slot(str)
    def select_kb(self, name: str) -> None:
        if name == self.kb:
            return
        self.kb = name
        self.new_chat()
        self.refresh()

    @Slot()
    def new_kb(self) -> None:
        name, ok = QInputDialog.getText(self, self.tr("New knowledge base"), self.tr("Name:"))
        if not ok or not name.strip():
            return
        try:
            kb = self.engine.create_kb(name)
        except RagError as err:
            self.show_error(str(err))
            return
        self.refresh()
        self.select_kb(kb.name)

    @Slot()
    def rename_kb(self) -> None:
        name, ok = QInputDialog.getText(self, self.tr("Rename knowledge base"), self.tr("New name:"), text=self.kb)
        if not ok or not name.strip() or name.strip() == self.kb:
            return
        self.rename_kb_to(name.strip())

    def rename_kb_to(self, new: str) -> bool:
        try:
            self.engine.rename_kb(self.kb, new)
        except RagError as err:
            self.show_error(str(err))
            return False
        self.kb = new
        self.refresh()
        return True

    @Slot()
    def delete_kb(self) -> None:
        answer = QMessageBox.warning(
            self, self.tr("Delete knowledge base"),
            self.tr("Delete knowledge base '{name}' with its index? Your document files are not touched.")
            .format(name=self.kb),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_kb_now()

    def delete_kb_now(self) -> bool:
        if self._ingest is not None:
            self.show_error(self.tr("Wait for indexing to finish (or cancel it) before deleting a knowledge base."))
            return False
        try:
            self.engine.delete_kb(self.kb)
        except RagError as err:
            self.show_error(str(err))
            return False
        self.kb = self.engine.settings.default_kb
        self.new_chat()
        self.refresh()
        self._start_watching()
        return True

    # ---- documents -----------------------------------------------------------------------

    @Slot()
    def add_documents(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, self.tr("Add documents"), "",
                                                self.tr("Documents (*.pdf *.txt *.md *.markdown);;All files (*)"))
        self.ingest(paths)

    @Slot()
    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder of documents"))
        if folder:
            self.ingest([folder])

    @Slot()
    def follow_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Follow a folder"))
        if folder:
            self.follow(folder)

    def follow(self, folder: str) -> bool:
        try:
            self.engine.watch(folder, self.kb)
        except RagError as err:
            self.show_error(str(err))
            return False
        self.refresh()
        self._start_watching()
        self.sync_watched()
        return True

    @Slot()
    def unfollow_folder(self) -> None:
        folders = self.engine.watched_folders(self.kb)
        if not folders:
            self.show_error(self.tr("Knowledge base '{name}' follows no folders.").format(name=self.kb))
            return
        folder, ok = QInputDialog.getItem(self, self.tr("Stop following a folder"),
                                          self.tr("Folder (its documents stay indexed):"), folders, 0, False)
        if ok and folder:
            self.engine.unwatch(folder, self.kb)
            self.refresh()
            self._start_watching()

    def _start_watching(self) -> None:
        """Watch every followed folder (and its subfolders) of every knowledge base."""
        if self.watcher.directories():
            self.watcher.removePaths(self.watcher.directories())
        dirs: list[str] = []
        try:
            for kb in self.engine.list_kbs():
                for folder in self.engine.watched_folders(kb.name):
                    root = Path(folder)
                    if root.is_dir():
                        dirs.append(str(root))
                        dirs += [str(p) for p in root.rglob("*") if p.is_dir() and not p.name.startswith(".")]
        except (RagError, OSError) as err:
            self.show_error(str(err))
        if dirs:
            self.watcher.addPaths(dirs[:MAX_WATCHED_DIRS])
            self._resync_timer.start()
            self._sync_timer.start()  # pick up what changed while the app was closed
        else:
            self._resync_timer.stop()

    @Slot()
    def sync_watched(self) -> None:
        for kb in self.engine.list_kbs():
            if self.engine.watched_folders(kb.name) and not any(
                    q[1] == kb.name and q[2] == "sync" for q in self._queued):
                if self._ingest is not None and self._ingest.job == "sync" and self._ingest.kb == kb.name:
                    continue
                self.run_job("sync", [], kb.name)

    def remove_documents(self, paths: list[str]) -> None:
        if self._ingest is not None:
            self.show_error(self.tr("Wait for indexing to finish (or cancel it) before removing documents."))
            return
        removed = 0
        for path in paths:
            try:
                self.engine.remove(path, self.kb)
                removed += 1
            except RagError as err:
                self.show_error(str(err))
        if removed:
            self.statusBar().showMessage(self.tr("Removed {n} document(s).").format(n=removed))
        self.refresh()

    def reindex_documents(self, paths: list[str]) -> None:
        self.run_job("reindex", paths, self.kb)

    def reveal(self, path: str) -> None:
        target = Path(path)
        if not target.exists():
            self.show_error(self.tr("{path}: the file is no longer there").format(path=path))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(target.parent)))

    def show_details(self, path: str) -> None:
        rec = self.docs.record(path)
        if rec is not None:
            QMessageBox.information(self, rec.name, file_details(rec, self))

    def _selection_changed(self) -> None:
        n = len(self.docs.selected_paths())
        self.chat.only_selected.setEnabled(n > 0)
        if n == 0:
            self.chat.only_selected.setChecked(False)
        self.chat.only_selected.setText(self.tr("Only the selected documents ({n})").format(n=n) if n
                                        else self.tr("Only the selected documents"))

    # ---- ingestion -----------------------------------------------------------------------

    def ingest(self, paths, kb: str | None = None) -> None:
        """Index files and folders into `kb` (the current one by default), after any running batch."""
        if paths:
            self.run_job("ingest", [str(p) for p in paths], kb or self.kb)

    def run_job(self, job: str, paths: list[str], kb: str) -> None:
        if self._ingest is not None:
            self._queued.append((paths, kb, job))
            return
        self._failures = []
        self.statusBar().clearMessage()
        self.docs.set_busy(True)
        self.docs.status.setText(self.tr("Starting… (the embedding model loads on first use)"))
        self._ingest = IngestWorker(self.engine, paths, kb, job)
        self._start(self._ingest, self._on_ingest_event, self._on_ingest_failed, self._on_ingest_finished)

    @Slot()
    def cancel_ingest(self) -> None:
        self._queued.clear()
        if self._ingest is not None:
            self._ingest.stop()
            self.docs.cancel.setEnabled(False)
            self.docs.status.setText(self.tr("Cancelling…"))

    def _set_progress(self, fraction_of_file: float) -> None:
        index, total = self._position
        self.docs.progress.setValue(int(1000 * (index - 1 + fraction_of_file) / max(total, 1)))

    @Slot(object)
    def _on_ingest_event(self, ev) -> None:
        stages = {"reading": self.tr("reading"), "embedding": self.tr("embedding"), "storing": self.tr("storing"),
                  "ocr": self.tr("OCR")}
        match ev:
            case FileStarted():
                self._position = (ev.index, ev.total)
                self._set_progress(0)
                self.docs.status.setText(f"{ev.name} ({ev.index}/{ev.total})")
            case FileProgress():
                self._set_progress(ev.done / ev.total if ev.total else 0)
                if ev.stage == "ocr":
                    what = self.tr("page {done}/{total} · OCR").format(done=ev.done, total=ev.total or "?")
                else:
                    pages = self.tr(", page {done}/{total}").format(done=ev.done, total=ev.total) if ev.total else ""
                    what = f"{stages.get(ev.stage, ev.stage)}{pages}"
                self.docs.status.setText(f"{ev.name} ({self._position[0]}/{self._position[1]}): {what}")
                self.refresh()
            case FileIndexed() | FileSkipped() | FileRemoved():
                self._set_progress(1)
                if isinstance(ev, FileIndexed) and ev.note:
                    self._failures.append(self.tr("{name}: indexed, but {note}").format(name=ev.name, note=ev.note))
                    self.show_error("; ".join(self._failures))
                self.refresh()
            case FileFailed():
                self._failures.append(f"{ev.name}: {ev.reason}")
                self.show_error("; ".join(self._failures))
                self.refresh()
            case IngestDone():
                self.docs.progress.setValue(1000)
                parts = [self.tr("{n} indexed ({chunks} chunks)").format(n=ev.indexed, chunks=ev.chunks)]
                if ev.skipped:
                    parts.append(self.tr("{n} unchanged").format(n=ev.skipped))
                if ev.removed:
                    parts.append(self.tr("{n} removed").format(n=ev.removed))
                if ev.failed:
                    parts.append(self.tr("{n} failed").format(n=ev.failed))
                verb = self.tr("Cancelled") if ev.cancelled else self.tr("Done")
                self.docs.status.setText(self.tr("{verb}: {parts} in {seconds:.1f} s").format(
                    verb=verb, parts=", ".join(parts), seconds=ev.seconds))

    @Slot(str)
    def _on_ingest_failed(self, message: str) -> None:
        self.docs.status.setText(self.tr("Indexing stopped."))
        self.show_error(message)

    @Slot()
    def _on_ingest_finished(self) -> None:
        self._ingest = None
        self.docs.set_busy(False)
        self.refresh()
        if self._queued:
            paths, kb, job = self._queued.pop(0)
            self.run_job(job, paths, kb)

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

    # ---- chats ---------------------------------------------------------------------------

    @Slot()
    def new_chat(self) -> None:
        if self._answer is not None:
            self._discard_answer = True
            self.stop_answer()
        self._pending.clear()
        self.chat_id = None
        self._answers.clear()
        self.chat.transcript.clear()
        self.sources.set_sources(())
        self.chats.show_chats([c for c in self.engine.chats.chats() if c.kb == self.kb], None)
        self.chat.input.setFocus()

    clear_chat = new_chat

    @Slot(int)
    def open_chat(self, chat_id: int) -> None:
        if self._answer is not None or chat_id == self.chat_id:
            return
        try:
            messages = self.engine.chats.messages(chat_id)
        except RagError as err:
            self.show_error(str(err))
            return
        self.chat_id = chat_id
        self._answers.clear()
        self.chat.transcript.clear()
        last_sources = ()
        for m in messages:
            if m.role == "user":
                self.chat.transcript.add_question(m.text)
            else:
                key = self._remember(m.sources)
                self.chat.transcript.add_answer(m.text, key, [s.n for s in m.sources])
                last_sources = m.sources
        self.sources.set_sources(last_sources)
        self.chat.input.setFocus()

    def _remember(self, sources) -> int:
        self._answer_key += 1
        self._answers[self._answer_key] = tuple(sources)
        return self._answer_key

    def rename_chat(self, chat_id: int) -> None:
        chat = self.engine.chats.get(chat_id)
        title, ok = QInputDialog.getText(self, self.tr("Rename chat"), self.tr("Title:"), text=chat.title)
        if ok and title.strip():
            self.engine.chats.rename(chat_id, title)
            self.refresh()

    def delete_chat(self, chat_id: int) -> None:
        answer = QMessageBox.question(self, self.tr("Delete chat"), self.tr("Delete this conversation?"),
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self.engine.chats.delete(chat_id)
            if chat_id == self.chat_id:
                self.new_chat()
            self.refresh()

    def export_chat(self, chat_id: int | None, path: str | None = None) -> str | None:
        if chat_id is None:
            self.show_error(self.tr("There is no saved conversation to export yet."))
            return None
        chat = self.engine.chats.get(chat_id)
        if path is None:
            safe = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in chat.title)[:60].strip() or "chat"
            path, _ = QFileDialog.getSaveFileName(self, self.tr("Export chat"), str(Path.home() / f"{safe}.md"),
                                                  self.tr("Markdown (*.md)"))
        if not path:
            return None
        try:
            Path(path).write_text(self.engine.chats.export_markdown(chat_id), encoding="utf-8")
        except OSError as exc:
            self.show_error(self.tr("{path}: cannot write the file ({why})").format(path=path, why=exc.strerror))
            return None
        self.statusBar().showMessage(self.tr("Exported to {path}").format(path=path))
        return path

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
            self.chat.transcript.add_note(self.tr("Knowledge base '{name}' has no documents yet. {hint}")
                                          .format(name=self.kb, hint=drop_hint()))
            return
        history = self.history[-self.HISTORY_TURNS:]
        if self.chat_id is None:
            self.chat_id = self.engine.chats.create(question.splitlines()[0][:80], self.kb).id
        self._last_question_message = self.engine.chats.add(self.chat_id, "user", question).id
        self.refresh()
        self._ask(question, history)

    def _ask(self, question: str, history) -> None:
        self.sources.set_sources(())
        self._question = question
        self._pending.clear()
        self.chat.set_answering(True)
        self.model_state.setText(self.tr("answering…"))
        files = self.docs.selected_names() if self.chat.only_selected.isChecked() else []
        self._answer = AnswerWorker(self.engine, question, self.kb, history, files)
        self._start(self._answer, self._on_answer_event, self._on_answer_failed, self._on_answer_finished)

    @Slot()
    def regenerate(self) -> None:
        """Answer the last question of this chat again, replacing its answer."""
        if self._answer is not None or self.chat_id is None:
            return
        messages = self.engine.chats.messages(self.chat_id)
        if not messages:
            return
        if messages[-1].role == "assistant":
            self.engine.chats.delete_message(messages[-1].id)
            messages = messages[:-1]
        if not messages or messages[-1].role != "user":
            return
        question = messages[-1].text
        chat_id, self.chat_id = self.chat_id, None
        self.open_chat(chat_id)  # redraw without the old answer
        self._ask(question, self.history[-self.HISTORY_TURNS:])

    @Slot()
    def copy_answer(self) -> None:
        if self.last_answer is None:
            return
        lines = [self.last_answer.answer, ""]
        lines += [f"[{s.n}] {s.label()}" for s in self.last_answer.sources]
        QGuiApplication.clipboard().setText("\n".join(lines).strip())
        self.statusBar().showMessage(self.tr("Answer copied."), 3000)

    @Slot()
    def stop_answer(self) -> None:
        if self._answer is not None:
            self._answer.stop()
            self.model_state.setText(self.tr("stopping…"))

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
                self.model_state.setText(self.tr("{tokens} tokens, {rate:.1f} tok/s · {model}").format(
                    tokens=s.tokens, rate=s.tokens_per_s, model=s.model))
                if s.cancelled:
                    self.chat.transcript.add_note(self.tr("Stopped."))
                elif ev.answer:
                    key = self._remember(ev.sources)
                    self.chat.transcript.finish_answer(ev.answer, key, [x.n for x in ev.sources])
                    if self.chat_id is not None:
                        self.engine.chats.add(self.chat_id, "assistant", ev.answer, ev.sources)
                else:
                    self.chat.transcript.add_note(self.tr("The model gave no answer; try rephrasing the question."))
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
        if self.model_state.text() in (self.tr("answering…"), self.tr("stopping…")):
            self.model_state.setText(self.tr("Models load on first use") if self.last_answer is None
                                     else self.tr("ready"))

    @Slot()
    def _flush_tokens(self) -> None:
        if self._pending:
            self.chat.transcript.extend_answer("".join(self._pending))
            self._pending.clear()
            self.token_flushes += 1

    # ---- sources and the page viewer -----------------------------------------------------

    @Slot(int, int)
    def open_citation(self, answer_key: int, n: int) -> None:
        sources = self._answers.get(answer_key)
        if sources is None:
            return
        if sources != self.sources.sources:
            self.sources.set_sources(sources)
        self.open_source(self.sources.row_of(n))

    @Slot(int)
    def open_source(self, row: int) -> None:
        self.sources.open_row(row)

    # ---- settings and data ---------------------------------------------------------------

    @Slot()
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.engine.settings, self)
        if dialog.exec() and dialog.result_settings() is not None:
            self.apply_settings(dialog.result_settings())

    @Slot()
    def open_models(self) -> None:
        from rag.settings import config_file

        from .models_dialog import ModelsDialog

        dialog = ModelsDialog(self.engine.home / "models", config_file(), self)
        dialog.model_chosen.connect(self.use_model)
        dialog.exec()

    @Slot(str, str)
    def use_model(self, setting: str, value: str) -> None:
        """The Models dialog has written `setting = value` to the settings file: use it now."""
        from dataclasses import replace

        try:
            changed = self.engine.update_settings(replace(self.engine.settings, **{setting: value}).validate())
        except (RagError, TypeError) as err:
            self.show_error(str(err))
            return
        if changed & set(REINDEX_FIELDS) and self.engine.needs_reindex(self.kb):
            self.rebuild_kb()

    def apply_settings(self, settings, offer_rebuild=True) -> set[str]:
        from rag.settings import config_file, save_settings

        try:
            save_settings(settings, config_file())
        except (RagError, OSError) as err:
            self.show_error(self.tr("Could not save the settings: {why}").format(why=err))
            return set()
        changed = self.engine.update_settings(settings)
        if "theme" in changed:
            from .main import apply_theme

            apply_theme(QGuiApplication.instance(), settings.theme)
        self._show_device()
        if changed & set(REINDEX_FIELDS) and offer_rebuild and self.engine.needs_reindex(self.kb):
            self.rebuild_kb()
        return changed

    @Slot()
    def rebuild_kb(self) -> None:
        missing = self.engine.missing_sources(self.kb)
        text = self.tr("Index knowledge base '{name}' again with the current embedding model and chunk settings?") \
            .format(name=self.kb)
        if missing:
            text += "\n\n" + self.tr("These files are no longer on disk and will be dropped: {files}").format(
                files=", ".join(m.name for m in missing))
        answer = QMessageBox.question(self, self.tr("Rebuild knowledge base"), text,
                                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        if answer == QMessageBox.StandardButton.Yes:
            self.run_job("rebuild", [], self.kb)

    def data_places(self) -> list[tuple[str, Path]]:
        from rag.settings import config_file

        home = self.engine.home
        return [(self.tr("Data folder"), home), (self.tr("Settings file"), config_file()),
                (self.tr("Log file"), home / "logs" / "rag-desk.log"),
                (self.tr("Knowledge bases"), home / "catalog.sqlite3"), (self.tr("Chats"), home / "chats.sqlite3")]

    @Slot()
    def show_data(self) -> None:
        dialog = DataDialog(self.data_places(), self)
        dialog.delete_all.clicked.connect(lambda: self._confirm_delete_all(dialog))
        dialog.exec()

    def _confirm_delete_all(self, dialog) -> None:
        answer = QMessageBox.warning(
            dialog, self.tr("Delete all data"),
            self.tr("Delete every knowledge base, chat, cached model and the log in {home}? Your document files are "
                    "not touched. This cannot be undone.").format(home=self.engine.home),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes and self.delete_all_data():
            dialog.accept()

    def delete_all_data(self) -> bool:
        """Remove everything under the data folder except settings.toml, then start empty."""
        if self.busy():
            self.show_error(self.tr("Wait for indexing and answers to finish before deleting data."))
            return False
        from rag.engine import Engine

        home = self.engine.home
        settings = self.engine.settings
        self.engine.close()
        for entry in home.iterdir():
            if entry.name in ("settings.toml",):
                continue
            try:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            except OSError as exc:
                self.show_error(self.tr("{path}: could not delete ({why})").format(path=entry, why=exc.strerror))
        try:
            import chromadb

            chromadb.api.client.SharedSystemClient.clear_system_cache()
        except Exception:  # an older chromadb without the cache: nothing to clear
            pass
        self.engine = Engine(settings, home=home, embedder=self.engine._embedder)
        self.state = QSettings(str(home / "app-state.ini"), QSettings.Format.IniFormat)
        self.kb = settings.default_kb
        self.last_answer = None
        self.new_chat()
        self.refresh()
        self._start_watching()
        self.statusBar().showMessage(self.tr("All data deleted."))
        return True

    def show_shortcuts(self) -> None:
        rows = [("Enter", self.tr("Send the question")), ("Shift+Enter", self.tr("New line in the question")),
                ("Esc", self.tr("Stop the answer")), ("Ctrl+N", self.tr("New chat")),
                ("Ctrl+R", self.tr("Regenerate the last answer")), ("Ctrl+Shift+C", self.tr("Copy the last answer")),
                ("Ctrl+O", self.tr("Add documents")), ("Ctrl+E", self.tr("Export the chat")),
                ("Ctrl+L", self.tr("Focus the question box")), ("F5", self.tr("Check watched folders now")),
                ("Ctrl+Q", self.tr("Quit"))]
        QMessageBox.information(self, self.tr("Keyboard shortcuts"), "\n".join(f"{k}\t{v}" for k, v in rows))

    def show_about(self) -> None:
        QMessageBox.about(self, self.tr("About RAG Desk"),
                          self.tr("RAG Desk answers questions from your documents, offline. Nothing leaves "
                                  "this computer."))

    # ---- shutdown ------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        """Cancel running work and wait for it, a few seconds at most, so the app exits cleanly."""
        self.save_state()
        self._queued.clear()
        self._flush_timer.stop()
        self._sync_timer.stop()
        self._resync_timer.stop()
        for worker in list(self._workers):
            worker.stop()
        deadline = time.monotonic() + self.SHUTDOWN_WAIT_S
        for worker in list(self._workers):
            worker.wait(max(0, int((deadline - time.monotonic()) * 1000)))
        super().closeEvent(event)
