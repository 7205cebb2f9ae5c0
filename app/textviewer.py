"""The text view: a cited DOCX, EPUB or HTML section shown as text, the passage highlighted.

Those documents have no pages to render; their "pages" are sections, and a source's (or an
evidence quote's) character offsets index the section's raw text as the reader made it
(headings and paragraphs separated by blank lines). So the view reads the document again
(`rag.read_page_texts`, in a reader child, on a thread of its own: the GUI never waits),
shows the cited section in a read-only text box and highlights the span, scrolled into view.
When the offsets do not fit any more (the file changed since it was indexed), the passage is
found by its words instead (`pdfviewer.locate`).

It shares the sources pane's place with the PDF viewer: `take(source, quote)` shows a section
document's source here and hides the PDF viewer, or hides itself for a PDF.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from rag import cited_by_section, read_page_texts

from .pdfviewer import HIGHLIGHT, locate


class SectionTextView(QWidget):
    loaded = Signal(str, int, object)  # path, request number, page texts (list) or an error message (str)
    shown = Signal(int, int)  # the highlighted span in the text box (start, end); (-1, -1) when none

    def __init__(self, pdf_viewer: QWidget | None = None, parent=None):
        super().__init__(parent)
        self.pdf_viewer = pdf_viewer
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAcceptDrops(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        self._cache: dict[tuple[str, int], list[str]] = {}  # (path, mtime_ns) -> page texts
        self._request = 0
        self._wanted = None  # (path, page, passage, start, end, label) of the last request
        self.span = (-1, -1)
        self.loaded.connect(self._on_loaded)
        self.hide()

    @staticmethod
    def handles(source) -> bool:
        return cited_by_section(source.file)

    def take(self, source, quote=None) -> bool:
        """Show `source` (its quote highlighted, else its passage) when it is a section of a
        DOCX, EPUB or HTML file, hiding the PDF viewer; otherwise hide this view and say no."""
        if not self.handles(source):
            self.hide()
            if self.pdf_viewer is not None:
                self.pdf_viewer.show()
            return False
        if self.pdf_viewer is not None:
            self.pdf_viewer.hide()
        self.show()
        if quote is not None:
            self.show_passage(quote.path or source.path, quote.page, quote.text, quote.start, quote.end,
                              source.label())
        else:
            end = source.char_end if source.page_end == source.page else 0
            self.show_passage(source.path, source.page, source.text, source.char_start, end, source.label())
        return True

    def show_passage(self, path: str, page: int, passage: str, start: int, end: int, label: str = "") -> None:
        self._request += 1
        self._wanted = (path, page, passage, start, end, label or Path(path).name)
        self.title.setText(self.tr("{label} — reading…").format(label=self._wanted[5]))
        try:
            key = (path, Path(path).stat().st_mtime_ns)
        except OSError as exc:
            self._show_error(self.tr("cannot open {name}: {why}").format(name=Path(path).name, why=exc.strerror))
            return
        if key in self._cache:
            self._on_loaded(path, self._request, self._cache[key])
            return
        request = self._request

        def read() -> None:
            try:
                texts = read_page_texts(path)
                self._cache[key] = texts
                self.loaded.emit(path, request, texts)
            except Exception as exc:  # a RagError names the file and what to do
                self.loaded.emit(path, request, str(exc))

        threading.Thread(target=read, name="section-text", daemon=True).start()

    def _on_loaded(self, path: str, request: int, texts) -> None:
        if request != self._request or self._wanted is None:
            return  # another source was opened since
        if isinstance(texts, str):
            self._show_error(texts)
            return
        _, page, passage, start, end, label = self._wanted
        if not 1 <= page <= len(texts):
            self._show_error(self.tr("{label}: the document has changed since it was indexed; re-index it")
                             .format(label=label))
            return
        section = texts[page - 1]
        self.title.setText(label)
        self.text.setPlainText(section)
        span = locate(section, passage, start, end or len(section))
        self.span = span or (-1, -1)
        selections = []
        if span is not None:
            cursor = QTextCursor(self.text.document())
            cursor.setPosition(span[0])
            cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
            fmt = QTextCharFormat()
            fmt.setBackground(HIGHLIGHT)
            mark = QTextEdit.ExtraSelection()
            mark.cursor = cursor
            mark.format = fmt
            selections.append(mark)
            at = QTextCursor(self.text.document())
            at.setPosition(span[0])
            self.text.setTextCursor(at)
            self.text.centerCursor()
        self.text.setExtraSelections(selections)
        self.shown.emit(*self.span)

    def highlighted(self) -> str:
        """The highlighted text (tests, the self-test)."""
        start, end = self.span
        return self.text.toPlainText()[start:end] if start >= 0 else ""

    def _show_error(self, message: str) -> None:
        self.title.setText(message)
        self.text.clear()
        self.span = (-1, -1)
        self.text.setExtraSelections([])
        self.shown.emit(-1, -1)
