"""The ingest queue: one job at a time (ingest, re-index, sync of followed folders, rebuild),
later ones wait their turn; its progress and outcome in the documents pane."""

from __future__ import annotations

from PySide6.QtCore import QObject, Slot

from rag import (FileFailed, FileIndexed, FileProgress, FileRemoved, FileSearchable, FileSkipped, FileStarted,
                 IngestDone)

from .workers import IngestWorker


class IngestController(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.mw = window
        self.worker: IngestWorker | None = None
        self._queued: list[tuple[str, list[str], str, str | None]] = []  # (job, paths, kb, embedder)
        self._failures: list[str] = []
        self._position = (0, 1)  # (index, total) of the file being ingested
        self._reading: str | None = None  # the file being read (its pages say how far); None: vectors are being made
        window.docs.cancel_clicked.connect(self.cancel)
        window.docs.reindex_requested.connect(self.reindex)

    @property
    def running(self) -> bool:
        return self.worker is not None

    @property
    def queued(self) -> list[tuple[str, list[str], str]]:
        """The jobs waiting for the running one, as (job, paths, kb)."""
        return [q[:3] for q in self._queued]

    @property
    def busy(self) -> bool:
        return self.running or bool(self._queued)

    def has_job(self, job: str, kb: str) -> bool:
        """A `job` for knowledge base `kb` is running or waiting."""
        if self.worker is not None and self.worker.job == job and self.worker.kb == kb:
            return True
        return any(q[0] == job and q[2] == kb for q in self._queued)

    def ingest(self, paths, kb: str | None = None) -> None:
        """Index files and folders into `kb` (the current one by default), after any running batch."""
        if paths:
            self.run_job("ingest", [str(p) for p in paths], kb or self.mw.kb)

    def reindex(self, paths: list[str]) -> None:
        self.run_job("reindex", paths, self.mw.kb)

    def run_job(self, job: str, paths: list[str], kb: str, embedder: str | None = None) -> None:
        if self.worker is not None:
            self._queued.append((job, paths, kb, embedder))
            return
        self._failures = []
        self.mw.statusBar().clearMessage()
        docs = self.mw.docs
        docs.set_busy(True)
        docs.status.setText(self.tr("Starting… (the embedding model loads on first use)"))
        self.worker = IngestWorker(self.mw.engine, paths, kb, job, embedder)
        self.worker.event.connect(self._on_event)
        self.worker.failed.connect(self._on_failed)
        self.worker.finished.connect(self._on_finished)
        self.mw.start_worker(self.worker)

    @Slot()
    def cancel(self) -> None:
        self._queued.clear()
        if self.worker is not None:
            self.worker.stop()
            self.mw.docs.cancel.setEnabled(False)
            self.mw.docs.status.setText(self.tr("Cancelling…"))

    def shutdown(self) -> None:
        self._queued.clear()

    def _read(self, ev) -> None:
        """The file being read is searchable, skipped, removed or failed: reading it is over."""
        if self._reading == str(ev.path):
            self._reading = None

    def _set_progress(self, fraction_of_file: float) -> None:
        index, total = self._position
        self.mw.docs.progress.setValue(int(1000 * (index - 1 + fraction_of_file) / max(total, 1)))

    @Slot(object)
    def _on_event(self, ev) -> None:
        docs = self.mw.docs
        stages = {"reading": self.tr("reading"), "embedding": self.tr("embedding"), "storing": self.tr("storing"),
                  "ocr": self.tr("OCR")}
        match ev:
            case FileStarted():
                self._position = (ev.index, ev.total)
                self._reading = str(ev.path)
                self._set_progress(0)
                docs.status.setText(f"{ev.name} ({ev.index}/{ev.total})")
            case FileProgress(unit="chunk"):  # vectors of a searchable file: its row in the list says how far
                docs.embedding_now[str(ev.path)] = ev.done
                self._read(ev)  # its vectors are counted once it is committed: its reading is over
                if self._reading is None:  # every file is read: the bar and the line follow the vectors
                    docs.progress.setValue(int(1000 * ev.done / max(ev.total, 1)))
                    docs.status.setText(f"{ev.name}: " + self.tr("searchable · embedding {percent}%").format(
                        percent=ev.percent))
                self.mw.library.refresh()
            case FileSearchable():
                self._read(ev)
                self._set_progress(1)
                self.mw.library.refresh()
            case FileProgress():
                self._set_progress(ev.done / ev.total if ev.total else 0)
                if ev.stage == "ocr":
                    what = self.tr("page {done}/{total} · OCR").format(done=ev.done, total=ev.total or "?")
                else:
                    pages = self.tr(", page {done}/{total}").format(done=ev.done, total=ev.total) if ev.total else ""
                    what = f"{stages.get(ev.stage, ev.stage)}{pages}"
                docs.status.setText(f"{ev.name} ({self._position[0]}/{self._position[1]}): {what}")
                self.mw.library.refresh()
            case FileIndexed() | FileSkipped() | FileRemoved():
                docs.embedding_now.pop(str(ev.path), None)
                self._read(ev)
                if not isinstance(ev, FileIndexed):
                    self._set_progress(1)
                if isinstance(ev, FileIndexed) and ev.note:
                    self._failures.append(self.tr("{name}: indexed, but {note}").format(name=ev.name, note=ev.note))
                    self.mw.show_error("; ".join(self._failures))
                self.mw.library.refresh()
            case FileFailed():
                docs.embedding_now.pop(str(ev.path), None)
                self._read(ev)
                self._failures.append(f"{ev.name}: {ev.reason}")
                self.mw.show_error("; ".join(self._failures))
                self.mw.library.refresh()
            case IngestDone():
                docs.progress.setValue(1000)
                parts = [self.tr("{n} indexed ({chunks} chunks)").format(n=ev.indexed, chunks=ev.chunks)]
                if ev.searchable:
                    parts.append(self.tr("{n} searchable, vectors to come").format(n=ev.searchable))
                if ev.skipped:
                    parts.append(self.tr("{n} unchanged").format(n=ev.skipped))
                if ev.removed:
                    parts.append(self.tr("{n} removed").format(n=ev.removed))
                if ev.failed:
                    parts.append(self.tr("{n} failed").format(n=ev.failed))
                verb = self.tr("Cancelled") if ev.cancelled else self.tr("Done")
                docs.status.setText(self.tr("{verb}: {parts} in {seconds:.1f} s").format(
                    verb=verb, parts=", ".join(parts), seconds=ev.seconds))

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.mw.docs.status.setText(self.tr("Indexing stopped."))
        self.mw.show_error(message)

    @Slot()
    def _on_finished(self) -> None:
        self.worker = None
        self.mw.docs.embedding_now.clear()  # what is not stored now is made again by the next job
        self.mw.docs.set_busy(False)
        self.mw.library.refresh()
        if self._queued:
            self.run_job(*self._queued.pop(0))
        else:
            self.mw.advisor.check()  # what was indexed may make the multilingual embedder worth suggesting
        self.mw.check_idle()
