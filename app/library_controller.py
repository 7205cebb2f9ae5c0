"""Knowledge bases, their documents and followed folders: what the left pane shows and the
operations on them. Every engine call runs through the window's task runner (app.tasks).

`refresh()` re-reads knowledge bases, the current one's documents, watched folders and chats
off the GUI thread; requests made while one is waiting to run are folded into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from rag import LEXICAL, RagError

from .dialogs import file_details
from .tasks import error_message

MAX_WATCHED_DIRS = 2000  # folders handed to QFileSystemWatcher (inotify watches are limited)


@dataclass(frozen=True)
class LibraryView:
    """What the left pane shows for knowledge base `kb`, read in one go."""
    kb: str
    kbs: list
    files: list
    watched: list
    chats: list


class LibraryController(QObject):
    SYNC_DELAY_MS = 1500  # wait for a copy into a watched folder to settle
    RESYNC_MS = 120_000  # also re-check watched folders now and then (file edits do not touch the folder)

    def __init__(self, window):
        super().__init__(window)
        self.mw = window
        self._refresh_waiting = False
        self._finishing: set[str] = set()  # knowledge bases whose leftover vectors were asked for
        self.sync_timer = QTimer(self, singleShot=True, interval=self.SYNC_DELAY_MS)
        self.sync_timer.timeout.connect(self.sync_watched)
        self.resync_timer = QTimer(self, interval=self.RESYNC_MS)
        self.resync_timer.timeout.connect(self.sync_watched)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _: self.sync_timer.start())
        d = window.docs
        d.kb_selected.connect(self.select_kb)
        d.new_kb_clicked.connect(self.new_kb)
        d.rename_kb_clicked.connect(self.rename_kb)
        d.delete_kb_clicked.connect(self.delete_kb)
        d.add_clicked.connect(self.add_documents)
        d.remove_requested.connect(self.remove_documents)
        d.reveal_requested.connect(self.reveal)
        d.details_requested.connect(self.show_details)

    @property
    def engine(self):
        return self.mw.engine

    @property
    def kb(self) -> str:
        return self.mw.kb

    # ---- what the left pane shows -----------------------------------------------------------

    def refresh(self) -> None:
        """Re-read knowledge bases, the current one's documents, watched folders and chats."""
        if not self._refresh_waiting:
            self._refresh_waiting = True
            self.mw.tasks.run(self._read, success=self._show, failure=self._read_failed)

    def _read(self) -> LibraryView:  # on the task thread
        self._refresh_waiting = False  # before reading: a later change asks for another refresh
        kb, engine = self.mw.kb, self.engine
        return LibraryView(kb, sorted({k.name for k in engine.list_kbs()} | {kb}), engine.list_files(kb),
                           engine.watched_folders(kb), [c for c in engine.chats.chats() if c.kb == kb])

    def _read_failed(self, err) -> None:
        self._refresh_waiting = False
        self.mw.show_error(error_message(err))

    def _show(self, view: LibraryView) -> None:
        if view.kb != self.mw.kb:
            self.refresh()  # the knowledge base changed meanwhile
            return
        d = self.mw.docs
        d.set_kbs(view.kbs, view.kb)
        d.show_files(view.files)
        self._finish_vectors(view)
        d.show_watched(view.watched)
        self.mw.chats.show_chats(view.chats, self.mw.conversation.chat_id)
        self.mw.conversation.selection_changed()

    def _finish_vectors(self, view: LibraryView) -> None:
        """Files an earlier job left searchable by their text only (`rag-cli ingest --no-wait`,
        a cancel, a crash) get their vectors in the background, once per knowledge base and run."""
        if view.kb in self._finishing or self.mw.ingestion.busy:
            return
        if any(f.state == LEXICAL for f in view.files):
            self._finishing.add(view.kb)
            self.mw.ingestion.run_job("finish", [], view.kb)

    # ---- knowledge bases ----------------------------------------------------------------------

    @Slot(str)
    def select_kb(self, name: str) -> None:
        if name == self.mw.kb:
            return
        self.mw.kb = name
        self.mw.conversation.new_chat()
        self.refresh()
        self.mw.advisor.check()

    @Slot()
    def new_kb(self) -> None:
        name, ok = QInputDialog.getText(self.mw, self.tr("New knowledge base"), self.tr("Name:"))
        if ok and name.strip():
            self.create_kb(name)

    def create_kb(self, name: str) -> None:
        self.mw.tasks.run(lambda: self.engine.create_kb(name), success=lambda kb: self._switch_to(kb.name))

    def _switch_to(self, name: str) -> None:
        self.refresh()
        self.select_kb(name)

    @Slot()
    def rename_kb(self) -> None:
        name, ok = QInputDialog.getText(self.mw, self.tr("Rename knowledge base"), self.tr("New name:"),
                                        text=self.kb)
        if ok and name.strip() and name.strip() != self.kb:
            self.rename_kb_to(name.strip())

    def rename_kb_to(self, new: str) -> None:
        old = self.kb
        self.mw.tasks.run(lambda: self.engine.rename_kb(old, new), success=lambda kb: self._renamed(old, kb.name))

    def _renamed(self, old: str, new: str) -> None:
        if self.mw.kb == old:
            self.mw.kb = new
        self.refresh()

    @Slot()
    def delete_kb(self) -> None:
        answer = QMessageBox.warning(
            self.mw, self.tr("Delete knowledge base"),
            self.tr("Delete knowledge base '{name}' with its index? Your document files are not touched.")
            .format(name=self.kb),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_kb_now()

    def delete_kb_now(self) -> bool:
        """Delete the current knowledge base; False (and why, in the status bar) when refused."""
        if self.mw.ingestion.busy:
            self.mw.show_error(self.tr("Wait for indexing to finish (or cancel it) before deleting a knowledge base."))
            return False
        name = self.kb
        self.mw.tasks.run(lambda: self.engine.delete_kb(name), success=lambda _: self._deleted(name))
        return True

    def _deleted(self, name: str) -> None:
        if self.mw.kb == name:
            self.mw.kb = self.engine.settings.default_kb
            self.mw.conversation.new_chat()
        self.refresh()
        self.start_watching()

    # ---- documents ----------------------------------------------------------------------------

    @Slot()
    def add_documents(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.mw, self.tr("Add documents"), "",
                                                self.tr("Documents (*.pdf *.txt *.md *.markdown);;All files (*)"))
        self.mw.ingestion.ingest(paths)

    @Slot()
    def add_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.mw, self.tr("Add a folder of documents"))
        if folder:
            self.mw.ingestion.ingest([folder])

    def remove_documents(self, paths: list[str]) -> None:
        if self.mw.ingestion.busy:
            self.mw.show_error(self.tr("Wait for indexing to finish (or cancel it) before removing documents."))
            return
        kb = self.kb

        def remove() -> tuple[int, list[str]]:
            removed, problems = 0, []
            for path in paths:
                try:
                    self.engine.remove(path, kb)
                    removed += 1
                except RagError as err:
                    problems.append(str(err))
            return removed, problems

        self.mw.tasks.run(remove, success=lambda done: self._removed(*done))

    def _removed(self, removed: int, problems: list[str]) -> None:
        for problem in problems:
            self.mw.show_error(problem)
        if removed:
            self.mw.statusBar().showMessage(self.tr("Removed {n} document(s).").format(n=removed))
        self.refresh()

    def reveal(self, path: str) -> None:
        target = Path(path)
        if not target.exists():
            self.mw.show_error(self.tr("{path}: the file is no longer there").format(path=path))
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(target.parent)))

    def show_details(self, path: str) -> None:
        rec = self.mw.docs.record(path)
        if rec is not None:
            QMessageBox.information(self.mw, rec.name, file_details(rec, self.mw))

    # ---- followed folders -----------------------------------------------------------------------

    @Slot()
    def follow_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.mw, self.tr("Follow a folder"))
        if folder:
            self.follow(folder)

    def follow(self, folder: str) -> None:
        """Keep the current knowledge base in step with `folder` (indexed now, then watched)."""
        kb = self.kb
        self.mw.tasks.run(lambda: self.engine.watch(folder, kb), success=lambda _: self._watched_changed(sync=True))

    def _watched_changed(self, sync: bool = False) -> None:
        self.refresh()
        self.start_watching()
        if sync:
            self.sync_watched()

    @Slot()
    def unfollow_folder(self) -> None:
        kb = self.kb
        self.mw.tasks.run(lambda: self.engine.watched_folders(kb), success=lambda folders: self._ask_unfollow(kb, folders))

    def _ask_unfollow(self, kb: str, folders: list[str]) -> None:
        if not folders:
            self.mw.show_error(self.tr("Knowledge base '{name}' follows no folders.").format(name=kb))
            return
        folder, ok = QInputDialog.getItem(self.mw, self.tr("Stop following a folder"),
                                          self.tr("Folder (its documents stay indexed):"), folders, 0, False)
        if ok and folder:
            self.unfollow(folder, kb)

    def unfollow(self, folder: str, kb: str | None = None) -> None:
        kb = kb or self.kb
        self.mw.tasks.run(lambda: self.engine.unwatch(folder, kb), success=lambda _: self._watched_changed())

    def start_watching(self) -> None:
        """Watch every followed folder (and its subfolders) of every knowledge base."""
        self.mw.tasks.run(self._folders_to_watch, success=lambda found: self._watch(*found))

    def _folders_to_watch(self) -> tuple[list[str], str | None]:  # on the task thread
        dirs: list[str] = []
        try:
            for kb in self.engine.list_kbs():
                for folder in self.engine.watched_folders(kb.name):
                    root = Path(folder)
                    if root.is_dir():
                        dirs.append(str(root))
                        dirs += [str(p) for p in root.rglob("*") if p.is_dir() and not p.name.startswith(".")]
                        if len(dirs) >= MAX_WATCHED_DIRS:
                            return dirs[:MAX_WATCHED_DIRS], None
        except (RagError, OSError) as err:
            return dirs, error_message(err)
        return dirs, None

    def _watch(self, dirs: list[str], problem: str | None) -> None:
        if problem:
            self.mw.show_error(problem)
        if self.watcher.directories():
            self.watcher.removePaths(self.watcher.directories())
        if dirs:
            self.watcher.addPaths(dirs)
            self.resync_timer.start()
            self.sync_timer.start()  # pick up what changed while the app was closed
        else:
            self.resync_timer.stop()

    @Slot()
    def sync_watched(self) -> None:
        """Bring every knowledge base that follows folders in step with them (queued jobs)."""
        def followed() -> list[str]:
            return [kb.name for kb in self.engine.list_kbs() if self.engine.watched_folders(kb.name)]

        self.mw.tasks.run(followed, success=self._sync)

    def _sync(self, names: list[str]) -> None:
        for name in names:
            if not self.mw.ingestion.has_job("sync", name):
                self.mw.ingestion.run_job("sync", [], name)

    def shutdown(self) -> None:
        self.sync_timer.stop()
        self.resync_timer.stop()
