"""The right pane: the sources of the current answer, the passage of the selected one and
the cited page in the viewer."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPlainTextEdit, QSplitter, QWidget

from .pdfviewer import PageViewer
from .widgets import column, heading


class SourcesPane(QWidget):
    source_activated = Signal(int)  # row

    def __init__(self, parent=None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAcceptDrops(False)
        self.list.setWordWrap(True)
        self.list.currentRowChanged.connect(self._show_passage)
        self.list.itemClicked.connect(lambda item: self.source_activated.emit(self.list.row(item)))
        self.list.itemActivated.connect(lambda item: self.source_activated.emit(self.list.row(item)))
        self.passage = QPlainTextEdit()
        self.passage.setReadOnly(True)
        self.passage.setAcceptDrops(False)
        self.passage.setPlaceholderText(self.tr("Select a source to read its passage and open its page."))
        self.viewer = PageViewer()
        self.viewer.setAcceptDrops(False)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.list)
        self.split.addWidget(self.passage)
        self.split.addWidget(self.viewer)
        self.split.setSizes([120, 90, 600])
        self.setLayout(column(heading(self.tr("Sources")), self.split))
        self._sources = ()

    @property
    def sources(self):
        return self._sources

    def set_sources(self, sources) -> None:
        self._sources = tuple(sources)
        self.list.blockSignals(True)
        self.list.clear()
        self.passage.clear()
        for s in self._sources:
            item = QListWidgetItem(f"[{s.n}] {s.label()} ({s.score:.2f})")
            item.setToolTip(f"<p>{html.escape(s.text)}</p>")  # rich text, so long passages wrap
            self.list.addItem(item)
        self.list.blockSignals(False)

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def row_of(self, n: int) -> int:
        return next((i for i, s in enumerate(self._sources) if s.n == n), -1)

    def _show_passage(self, row: int) -> None:
        if 0 <= row < len(self._sources):
            self.passage.setPlainText(self._sources[row].text)

    def open_row(self, row: int) -> bool:
        """Show source `row`: its passage below the list and its page, highlighted, in the viewer."""
        if not 0 <= row < len(self._sources):
            return False
        self.list.blockSignals(True)
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        s = self._sources[row]
        self._show_passage(row)
        return self.viewer.show_passage(s.path, s.page, s.text, s.char_start, s.char_end)
