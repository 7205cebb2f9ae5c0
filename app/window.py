"""The main window: knowledge base, documents and chats on the left, the chat in the middle,
sources and the cited page on the right.

The window builds the panes, the menus and the status bar and hands the work to four
controllers: `library` (knowledge bases, documents, followed folders), `ingestion` (the
ingest queue), `conversation` (chats and the answer stream) and `preferences` (settings,
models, the data folder). Blocking engine calls run on `tasks` (app.tasks), streaming jobs
on workers (app.workers); results and events arrive on the GUI thread. Errors go to one
place: the status bar (and, for questions, a line in the transcript). Window geometry,
splitters and the last knowledge base and chat are kept in `<data dir>/app-state.ini`;
conversations live in the engine's chat history.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QSettings, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter

from .chat_controller import ChatController
from .chat_pane import ChatPane
from .embedder_advisor import EmbedderAdvisor
from .ingest_controller import IngestController
from .left_pane import LeftPane
from .library_controller import LibraryController
from .server_controller import ServerController
from .settings_controller import SettingsController
from .sources_pane import SourcesPane
from .tasks import TaskRunner

log = logging.getLogger("rag_desk.app")


class MainWindow(QMainWindow):
    SHUTDOWN_WAIT_S = 5.0
    idle = Signal()  # nothing is indexing, answering or waiting on the task runner any more

    def __init__(self, engine, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.state = QSettings(str(engine.home / "app-state.ini"), QSettings.Format.IniFormat)
        self.kb: str = self.state.value("kb", engine.settings.default_kb)
        self._workers: set[QThread] = set()
        self.tasks = TaskRunner(on_error=self.show_error, parent=self)
        self.tasks.idle.connect(self.check_idle)

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
        self.api_state = QLabel()
        self.api_state.hide()
        self.statusBar().addPermanentWidget(self.api_state)
        self.statusBar().addPermanentWidget(self.device_state)
        self.sources.viewer.message.connect(self.show_error)

        self.library = LibraryController(self)
        self.ingestion = IngestController(self)
        self.conversation = ChatController(self)
        self.preferences = SettingsController(self)
        self.preferences.connect_model_notice()
        self.advisor = EmbedderAdvisor(self)
        self.api = ServerController(self)
        self.api.state_changed.connect(self._show_api_state)
        self.preferences.applied.connect(lambda changed: self.api.apply(self.engine.settings))
        self._build_menus()

        self.setAcceptDrops(True)
        self.setWindowTitle("RAG Desk")
        self.resize(1280, 800)
        self._restore_state()
        self.library.refresh()
        self.preferences.show_device()
        self.chat.input.setFocus()
        QTimer.singleShot(0, self.library.start_watching)
        QTimer.singleShot(0, lambda: self.api.apply(self.engine.settings))
        QTimer.singleShot(0, self.advisor.check)

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
        lib, talk, prefs = self.library, self.conversation, self.preferences
        bar = self.menuBar()
        file = bar.addMenu(self.tr("&File"))
        self._action(file, self.tr("Add documents…"), lib.add_documents, QKeySequence.StandardKey.Open)
        self._action(file, self.tr("Add a folder…"), lib.add_folder)
        self._action(file, self.tr("Follow a folder…"), lib.follow_folder,
                     tip=self.tr("Keep the knowledge base in step with a folder: new, changed and deleted files"))
        file.addSeparator()
        self._action(file, self.tr("Export chat to Markdown…"), talk.export_chat, "Ctrl+E")
        self._action(file, self.tr("Settings…"), prefs.open_settings, QKeySequence.StandardKey.Preferences)
        self._action(file, self.tr("Models…"), prefs.open_models, "Ctrl+Shift+M",
                     tip=self.tr("Download, choose and remove LLM and embedding models"))
        file.addSeparator()
        self._action(file, self.tr("Quit"), self.close, QKeySequence.StandardKey.Quit)
        chat = bar.addMenu(self.tr("&Chat"))
        self._action(chat, self.tr("New chat"), talk.new_chat, "Ctrl+N")
        self._action(chat, self.tr("Regenerate answer"), talk.regenerate, "Ctrl+R")
        self._action(chat, self.tr("Copy answer"), talk.copy_answer, "Ctrl+Shift+C")
        self._action(chat, self.tr("Stop answer"), talk.stop_answer, Qt.Key.Key_Escape)
        self._action(chat, self.tr("Focus the question box"), lambda: self.chat.input.setFocus(), "Ctrl+L")
        kb = bar.addMenu(self.tr("&Knowledge base"))
        self._action(kb, self.tr("New…"), lib.new_kb)
        self._action(kb, self.tr("Rename…"), lib.rename_kb)
        self._action(kb, self.tr("Delete…"), lib.delete_kb)
        kb.addSeparator()
        self._action(kb, self.tr("Stop following folders…"), lib.unfollow_folder)
        self._action(kb, self.tr("Check watched folders now"), lib.sync_watched, "F5")
        self._action(kb, self.tr("Rebuild with current settings"), prefs.rebuild_kb)
        help_ = bar.addMenu(self.tr("&Help"))
        self._action(help_, self.tr("Where is my data…"), prefs.show_data)
        self._action(help_, self.tr("Keyboard shortcuts"), self.show_shortcuts, QKeySequence.StandardKey.HelpContents)
        self._action(help_, self.tr("About RAG Desk"), self.show_about)

    @Slot(str, str)
    def _show_api_state(self, url: str, error: str) -> None:
        if url:
            self.api_state.setText(self.tr("API: {url}").format(url=url))
            self.api_state.setToolTip(self.tr("Other programs can use your knowledge bases through this OpenAI-"
                                              "compatible address (model = knowledge base). Settings ▸ Local API "
                                              "turns it off."))
        else:
            self.api_state.setText(self.tr("API off") if error else "")
            self.api_state.setToolTip(error)
        self.api_state.setVisible(bool(url or error))

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

    # ---- what the self-test, the benchmarks and scripts drive ---------------------------------

    def ingest(self, paths, kb: str | None = None) -> None:
        """Index files and folders into `kb` (the current one by default), after any running batch."""
        self.ingestion.ingest(paths, kb)

    def send(self) -> None:
        """Ask what is in the question box."""
        self.conversation.send()

    def new_chat(self) -> None:
        self.conversation.new_chat()

    def open_source(self, row: int) -> None:
        self.conversation.open_source(row)

    @property
    def last_answer(self):
        """The last AnswerDone (None before the first answer)."""
        return self.conversation.last_answer

    @property
    def ingesting(self) -> bool:
        """An ingest job is running or waiting."""
        return self.ingestion.busy

    @property
    def answering(self) -> bool:
        return self.conversation.answering

    @property
    def working(self) -> bool:
        """Indexing, answering, or engine work queued or running on the task runner."""
        return self.ingesting or self.answering or self.tasks.busy

    @Slot()
    def check_idle(self) -> None:
        if not self.working:
            self.idle.emit()

    def show_error(self, message: str) -> None:
        log.warning(message)
        self.statusBar().showMessage(message)

    # ---- worker threads --------------------------------------------------------------------

    def start_worker(self, worker: QThread) -> None:
        """Start a streaming worker (app.workers) once the engine work queued on `tasks` before
        it is done, so the job sees its effects (a knowledge base made or deleted, a folder
        followed) and never races it. Closing the window stops and waits for the worker."""
        worker.finished.connect(self._forget_worker)
        self.tasks.run(lambda: None, success=lambda _: self._launch(worker))

    def _launch(self, worker: QThread) -> None:
        self._workers.add(worker)
        worker.start()

    @Slot()
    def _forget_worker(self) -> None:
        self._workers.discard(self.sender())

    @property
    def workers(self) -> list[QThread]:
        """The streaming workers that have not finished yet."""
        return list(self._workers)

    def busy(self) -> bool:
        """Some thread still runs engine work (a worker, or an op on the task runner)."""
        return any(w.isRunning() for w in self._workers) or self.tasks.running

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
        if chat_id not in (None, "") and str(chat_id).isdigit():
            self.conversation.open_chat(int(chat_id), kb=self.kb)  # only if it belongs to that knowledge base

    def save_state(self) -> None:
        self.state.setValue("geometry", self.saveGeometry())
        self.state.setValue("splitter", self.splitter.saveState())
        self.state.setValue("sources_splitter", self.sources.split.saveState())
        self.state.setValue("kb", self.kb)
        chat_id = self.conversation.chat_id
        self.state.setValue("chat", chat_id if chat_id is not None else "")
        self.state.sync()

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

    # ---- shutdown ------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        """Cancel running work and wait for it, a few seconds at most, so the app exits cleanly."""
        self.save_state()
        self.ingestion.shutdown()
        self.conversation.shutdown()
        self.library.shutdown()
        self.api.shutdown()
        for worker in list(self._workers):
            worker.stop()
        deadline = time.monotonic() + self.SHUTDOWN_WAIT_S
        self.tasks.shutdown(max(0.0, deadline - time.monotonic()))
        for worker in list(self._workers):
            worker.wait(max(0, int((deadline - time.monotonic()) * 1000)))
        super().closeEvent(event)
