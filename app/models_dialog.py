"""The Models dialog: the catalog (bundled, recommended, your own), what is installed and in
use; Pull with a progress bar (bytes, rate, ETA) and Cancel, Use, Remove.

The download runs on a QThread (`PullWorker`) that only emits signals; the dialog touches
widgets from the GUI thread. Cancel sets the worker's event, checked between 1 MiB blocks;
the part file stays, so the next Pull resumes. Use asks `models.catalog.use` which setting
selects the model and hands (setting, value) to the `use_model` it was given (the window
gives `Engine.use_model`, which saves it to the settings file and applies it);
`model_chosen(setting, value)` then tells the window, which offers a rebuild if need be.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QThread, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from models import catalog
from models.download import DownloadCancelled, Progress, format_bytes, format_eta, pull
from rag import RagError, load_settings

PERMILLE = 1000  # the progress bar counts in 1/1000 (byte counts overflow Qt's int)


class PullWorker(QThread):
    progress = Signal(object)  # models.download.Progress
    succeeded = Signal(str)  # the model's folder
    failed = Signal(str)  # a user-facing sentence
    cancelled = Signal(str)

    def __init__(self, entry: catalog.CatalogEntry, models_dir: Path, parent=None):
        super().__init__(parent)
        self.entry = entry
        self.models_dir = models_dir
        self.cancel = threading.Event()

    def stop(self) -> None:
        self.cancel.set()

    def run(self) -> None:
        try:
            folder = pull(self.entry, self.models_dir, self.progress.emit, self.cancel)
        except DownloadCancelled as err:
            self.cancelled.emit(str(err))
        except RagError as err:
            self.failed.emit(str(err))
        except Exception as exc:  # keep the thread alive long enough to report it
            self.failed.emit(f"unexpected error ({type(exc).__name__}: {exc}); please report it")
        else:
            self.succeeded.emit(str(folder))


class ModelsDialog(QDialog):
    model_chosen = Signal(str, str)  # setting name, value

    COLUMNS = ("name", "kind", "size", "licence", "languages", "status")

    def __init__(self, models_dir: Path, use_model: Callable[[str, str], object], settings_path: Path | None = None,
                 parent=None):
        """`use_model(setting, value)` saves and applies a model choice; `settings_path` is the
        settings file it writes (the default one when None), read back for "In use"."""
        super().__init__(parent)
        self.models_dir = Path(models_dir)
        self.use_model = use_model
        self.settings_path = settings_path
        self.worker: PullWorker | None = None
        self._entries: list[catalog.CatalogEntry] = []
        self.setWindowTitle(self.tr("Models"))
        self.resize(860, 460)

        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([self.tr("Name"), self.tr("Kind"), self.tr("Size"), self.tr("Licence"),
                                              self.tr("Languages"), self.tr("Status")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.note = QLabel()
        self.note.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, PERMILLE)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.pull_button = QPushButton(self.tr("Pull"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.use_button = QPushButton(self.tr("Use"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.close_button = QPushButton(self.tr("Close"))
        self.pull_button.clicked.connect(self.start_pull)
        self.cancel_button.clicked.connect(self.cancel_pull)
        self.use_button.clicked.connect(self.use_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.close_button.clicked.connect(self.reject)

        buttons = QHBoxLayout()
        for b in (self.pull_button, self.cancel_button, self.use_button, self.remove_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.refresh()

    # ---- the table ----------------------------------------------------------------------

    def _settings(self):
        return load_settings(self.settings_path)

    def refresh(self) -> None:
        selected = self.selected_entry()
        try:
            rows = catalog.status(self.models_dir, self._settings())
        except RagError as err:
            self.show_status(str(err), error=True)
            rows = []
        self._entries = [r.entry for r in rows]
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            e = r.entry
            if r.in_use:
                state = self.tr("In use")
            elif e.source == "bundled":
                state = self.tr("Bundled")
            elif r.installed:
                state = self.tr("Installed")
            else:
                state = self.tr("Not downloaded")
            kind = self.tr("LLM") if e.kind == "llm" else self.tr("Embeddings")
            values = (e.name, kind, format_bytes(e.size) if e.size else "?", e.licence or "-",
                      ", ".join(e.languages) or "-", state)
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                if col == 0:
                    item.setToolTip(e.note)
                    if e.recommended:
                        font = item.font()
                        font.setBold(True)
                        item.setFont(font)
                self.table.setItem(i, col, item)
        if selected is not None:
            self.select(selected.name)
        self._update_buttons()

    def select(self, name: str) -> None:
        for i, e in enumerate(self._entries):
            if e.name == name:
                self.table.selectRow(i)
                self.table.scrollToItem(self.table.item(i, 0))
                return

    def selected_entry(self) -> catalog.CatalogEntry | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self._entries):
            return None
        return self._entries[rows[0].row()]

    def status_of(self, name: str) -> str:
        for i, e in enumerate(self._entries):
            if e.name == name:
                return self.table.item(i, self.COLUMNS.index("status")).text()
        return ""

    def _update_buttons(self) -> None:
        e = self.selected_entry()
        busy = self.worker is not None
        installed = e is not None and catalog.is_installed(e, self.models_dir)
        self.pull_button.setEnabled(e is not None and e.source == "hub" and not installed and not busy)
        self.cancel_button.setEnabled(busy)
        self.use_button.setEnabled(e is not None and installed and not busy)
        self.remove_button.setEnabled(e is not None and e.source != "bundled" and not busy)
        if e is not None:
            bits = [self.tr("Recommended")] if e.recommended else []
            bits += [e.note] if e.note else []
            if e.context:
                bits.append(self.tr("context {0} tokens").format(e.context))
            if e.ram_gb:
                bits.append(self.tr("needs about {0} GB RAM").format(f"{e.ram_gb:g}"))
            if e.repo:
                bits.append(e.repo)
            self.note.setText(" · ".join(bits))

    def show_status(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #c0392b;" if error else "")

    # ---- pull / cancel --------------------------------------------------------------------

    def start_pull(self) -> None:
        e = self.selected_entry()
        if e is None or self.worker is not None:
            return
        self.progress.setValue(0)
        self.progress.setFormat(self.tr("starting…"))
        self.show_status(self.tr("Contacting the model hub for {0}…").format(e.name))
        self.worker = PullWorker(e, self.models_dir, self)
        self.worker.progress.connect(self._on_progress)
        self.worker.succeeded.connect(self._on_succeeded)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.finished.connect(self._on_finished)
        self.worker.start()
        self._update_buttons()

    def cancel_pull(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.show_status(self.tr("Cancelling…"))

    def _on_progress(self, p: Progress) -> None:
        eta = format_eta(p.eta_s) if p.eta_s is not None else "?"
        self.progress.setFormat(self.tr("{0} of {1} · {2}/s · {3} left").format(
            format_bytes(p.done), format_bytes(p.total), format_bytes(p.rate), eta))
        self.progress.setValue(int(PERMILLE * p.done / p.total) if p.total else 0)

    def _on_succeeded(self, folder: str) -> None:
        self.progress.setValue(PERMILLE)
        self.progress.setFormat(self.tr("done"))
        self.show_status(self.tr("Downloaded and verified into {0}").format(folder))

    def _on_failed(self, message: str) -> None:
        self.progress.setFormat(self.tr("failed"))
        self.show_status(message, error=True)

    def _on_cancelled(self, message: str) -> None:
        self.progress.setFormat(self.tr("cancelled"))
        self.show_status(self.tr("Cancelled; Pull again to resume where it stopped."))

    def _on_finished(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.deleteLater()
        self.refresh()

    # ---- use / remove -----------------------------------------------------------------------

    def use_selected(self) -> None:
        e = self.selected_entry()
        if e is None:
            return
        try:
            setting, value = catalog.use(e, self.models_dir)
            self.use_model(setting, value)
        except (RagError, OSError) as err:
            self.show_status(str(err), error=True)
            return
        self.show_status(self.tr("{0} is now {1}").format(setting, e.name))
        self.refresh()
        self.model_chosen.emit(setting, value)

    def remove_selected(self, confirm: bool = True) -> None:
        e = self.selected_entry()
        if e is None:
            return
        if confirm and QMessageBox.question(self, self.tr("Remove model"),
                                            self.tr("Remove {0} from this computer?").format(e.name)) \
                != QMessageBox.StandardButton.Yes:
            return
        try:
            catalog.remove(e, self.models_dir, self._settings())
        except RagError as err:
            self.show_status(str(err), error=True)
            return
        self.show_status(self.tr("Removed {0}").format(e.name))
        self.refresh()

    # ---- closing --------------------------------------------------------------------------------

    def done(self, result: int) -> None:
        """Closing cancels a running pull and waits for it (the part file is kept)."""
        if self.worker is not None:
            self.worker.stop()
            self.worker.wait(30_000)
        super().done(result)
